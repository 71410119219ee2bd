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
  performedSelector,
  propertyFilterOf,
  windowBounds,
} from './cohort-definition.ts'
import { missingValueMatches } from './cohort-sql.ts'

/** The users and events a cohort is evaluated over. */
export interface CohortDataset {
  /** Every user of the project (canonical Amplitude ids; users without events included). */
  users: readonly number[]
  /** Every event of the project, `userKey` the canonical id. */
  events: readonly QueryEvent[]
  /** Members of a static cohort. */
  staticMembers: (cohortId: string) => ReadonlySet<number>
}

/** What evaluating needs besides the definition. */
export interface CohortEvaluationContext {
  nowMs: number
  resolve: (cohortId: string) => CohortReference
}

/** The users of `dataset` who satisfy `definition`. */
export function evaluateCohort(
  definition: CohortDefinition,
  dataset: CohortDataset,
  context: CohortEvaluationContext,
): Set<number> {
  const byUser = new Map<number, QueryEvent[]>(dataset.users.map((u) => [u, []]))
  for (const event of dataset.events) byUser.get(event.userKey)?.push(event)
  const firstSeqs = firstEventSeqs(dataset.events)

  const test = (condition: CohortCondition, user: number): boolean => {
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
        if (reference.kind === 'static') return dataset.staticMembers(condition.cohort_id).has(user)
        return test(reference.definition.condition, user)
      }
    }
  }
  return new Set([...byUser.keys()].filter((user) => test(definition.condition, user)))
}
