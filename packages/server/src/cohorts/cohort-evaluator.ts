/**
 * @module The reference evaluator of behavioral cohorts: the semantics of `cohort-sql.ts` in plain
 * TypeScript over in-memory events (`QueryEvent`s of the shared query core), small enough to check by
 * reading. The property-based tests compare it with the SQL on random datasets.
 */
import type { CohortCondition, CohortDefinition } from '@ampkit/protocol'
import { firstEventSeqs, matchesEvent } from '../query/event-selector.ts'
import { matchesFilter, propertyValues } from '../query/property-filter.ts'
import { INACTIVE_EVENT_TYPES, type QueryEvent } from '../query/query-event.ts'
import { compareCount } from '../query/segment.ts'
import {
  type CohortReference,
  definitionCountGroup,
  performedSelector,
  propertyFilterOf,
  windowBounds,
} from './cohort-definition.ts'
import { assertSameCountGroup, missingValueMatches } from './cohort-sql.ts'

/** The users and events a cohort is evaluated over. */
export interface CohortDataset {
  /** Every user of the project (canonical Amplitude ids; users without events included). */
  users: readonly number[]
  /** Every event of the project, `userKey` the canonical id. */
  events: readonly QueryEvent[]
  /** Members of a static cohort (Amplitude ids, or group values for a group cohort). */
  staticMembers: (cohortId: string) => ReadonlySet<number | string>
  /** Group cohorts only: every event's `groups` object (by `seq`), and the profiled values. */
  groups?: {
    of: (event: QueryEvent) => unknown
    /** Values of the definition's group type that have a group profile. */
    profiled: readonly string[]
  }
}

/** The group values `groups` (an event's `groups` object) carries under `groupType`. */
export function groupValuesOf(groups: unknown, groupType: string): string[] {
  if (typeof groups !== 'object' || groups === null || Array.isArray(groups)) return []
  const value = (groups as Record<string, unknown>)[groupType]
  const items = Array.isArray(value) ? value : [value]
  const out = new Set<string>()
  for (const item of items) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')
      out.add(String(item))
  }
  return [...out]
}

/** What evaluating needs besides the definition. */
export interface CohortEvaluationContext {
  nowMs: number
  resolve: (cohortId: string) => CohortReference
}

/**
 * The members of `dataset` who satisfy `definition`: users, or for a group cohort the group values
 * of its type (an event counts for each value it carried; the universe is every profiled or
 * carried value).
 */
export function evaluateCohort(
  definition: CohortDefinition,
  dataset: CohortDataset,
  context: CohortEvaluationContext,
): Set<number | string> {
  const countGroup = definitionCountGroup(definition)
  const byUser = new Map<number | string, QueryEvent[]>()
  if (countGroup === 'User') {
    for (const user of dataset.users) byUser.set(user, [])
    for (const event of dataset.events) byUser.get(event.userKey)?.push(event)
  } else {
    for (const value of dataset.groups?.profiled ?? []) byUser.set(value, [])
    for (const event of dataset.events) {
      for (const value of groupValuesOf(dataset.groups?.of(event), countGroup)) {
        const list = byUser.get(value)
        if (list === undefined) byUser.set(value, [event])
        else list.push(event)
      }
    }
  }
  const firstSeqs = firstEventSeqs(dataset.events)

  const test = (condition: CohortCondition, user: number | string): boolean => {
    const events = byUser.get(user) ?? []
    switch (condition.type) {
      case 'and':
        return condition.conditions.every((c) => test(c, user))
      case 'or':
        return condition.conditions.some((c) => test(c, user))
      case 'not':
        return !test(condition.condition, user)
      case 'performed': {
        const [fromMs, toMs] = windowBounds(condition.window, context.nowMs)
        const selector = performedSelector(condition)
        const count = events.filter(
          (e) => e.timeMs >= fromMs && e.timeMs < toMs && matchesEvent(selector, e, firstSeqs),
        ).length
        return compareCount(count, condition.op, condition.count)
      }
      case 'property': {
        const filter = propertyFilterOf(condition)
        const active = events.filter((e) => !INACTIVE_EVENT_TYPES.includes(e.eventType))
        if (condition.mode === 'most_recent') {
          let latest: QueryEvent | undefined
          for (const e of active) {
            if (
              latest === undefined ||
              e.timeMs > latest.timeMs ||
              (e.timeMs === latest.timeMs && e.seq > latest.seq)
            )
              latest = e
          }
          if (latest === undefined || propertyValues(filter.property, latest).length === 0)
            return missingValueMatches(filter)
          return matchesFilter(filter, latest)
        }
        const [fromMs, toMs] = windowBounds(condition.window!, context.nowMs)
        return active.some((e) => e.timeMs >= fromMs && e.timeMs < toMs && matchesFilter(filter, e))
      }
      case 'in_cohort': {
        const reference = context.resolve(condition.cohort_id)
        if (reference === undefined) return false
        assertSameCountGroup(condition.cohort_id, reference, countGroup)
        if (reference.kind === 'static') return dataset.staticMembers(condition.cohort_id).has(user)
        return test(reference.definition.condition, user)
      }
    }
  }
  return new Set([...byUser.keys()].filter((user) => test(definition.condition, user)))
}
