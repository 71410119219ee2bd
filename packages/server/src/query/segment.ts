/**
 * @module Segments (`s`, query-api.md §3.2) in both renderings: `segmentMatcher` (reference) and
 * `segmentSql` (DuckDB). A segment is tested per event: property conditions read the event's user
 * properties as of that event; cohort conditions the user's membership; "who performed" conditions
 * count the user's matching events in their window (all time, the query range, or the event's own
 * interval bucket). A count condition that zero satisfies (`< 2`, `= 0`) includes users who never did
 * the event.
 */
import type { PerformedOperator } from '@ampkit/protocol'
import { eventSql, matchesEvent, needsFirstEventFlag } from './event-selector.ts'
import type { CohortMembers, QueryRange, Segment, SegmentCondition } from './ir.ts'
import { filterSql, matchesFilter } from './property-filter.ts'
import { type QueryEvent, queryEventsCte } from './query-event.ts'
import type { SqlParams } from './sql-params.ts'
import { bucketLabel, bucketStartSql } from './time-buckets.ts'

/** What segments need besides the event itself. */
export interface SegmentContext {
  range: QueryRange
  cohorts: CohortMembers
}

/** `count op n`. */
export function compareCount(count: number, op: PerformedOperator, n: number): boolean {
  switch (op) {
    case '>=':
      return count >= n
    case '<=':
      return count <= n
    case '=':
      return count === n
    case '>':
      return count > n
    case '<':
      return count < n
    case '!=':
      return count !== n
  }
}

function cohortUnion(ids: readonly string[], cohorts: CohortMembers): Set<number> {
  const users = new Set<number>()
  for (const id of ids) for (const user of cohorts.get(id) ?? []) users.add(user)
  return users
}

/**
 * The reference test of a segment. `events` are every event of the project (the performed counts
 * look beyond the range); `firstSeqs` as `firstEventSeqs(events)`.
 */
export function segmentMatcher(
  segment: Segment,
  events: readonly QueryEvent[],
  context: SegmentContext,
  firstSeqs: ReadonlySet<number>,
): (event: QueryEvent) => boolean {
  const tests = segment.conditions.map((condition) =>
    conditionMatcher(condition, events, context, firstSeqs),
  )
  return (event) => tests.every((test) => test(event))
}

function conditionMatcher(
  condition: SegmentCondition,
  events: readonly QueryEvent[],
  context: SegmentContext,
  firstSeqs: ReadonlySet<number>,
): (event: QueryEvent) => boolean {
  switch (condition.kind) {
    case 'property':
      return (event) => matchesFilter(condition.filter, event)
    case 'cohort': {
      const users = cohortUnion(condition.cohortIds, context.cohorts)
      return (event) => users.has(event.userKey) !== condition.negate
    }
    case 'performed': {
      const { range } = context
      const perBucket = condition.window.kind === 'forEachInterval'
      const counts = new Map<string, number>()
      const keyOf = (event: QueryEvent) =>
        perBucket
          ? `${event.userKey}|${bucketLabel(event.timeMs, range.interval, range.timeZone)}`
          : String(event.userKey)
      for (const event of events) {
        if (!matchesEvent(condition.event, event, firstSeqs)) continue
        if (
          condition.window.kind === 'currentInterval' &&
          (event.timeMs < range.startMs || event.timeMs >= range.endMs)
        ) {
          continue
        }
        counts.set(keyOf(event), (counts.get(keyOf(event)) ?? 0) + 1)
      }
      return (event) => compareCount(counts.get(keyOf(event)) ?? 0, condition.op, condition.count)
    }
  }
}

/** Named CTEs an SQL query needs, each added once, in order. */
export class CteList {
  readonly #ctes = new Map<string, string>()

  /** Adds `name AS (…)` built by `build` unless a CTE of that name is already there. */
  add(name: string, build: () => string): void {
    if (!this.#ctes.has(name)) this.#ctes.set(name, build())
  }

  /** `WITH a AS (…), b AS (…)` (empty when there are none). */
  toSql(): string {
    return this.#ctes.size === 0 ? '' : `WITH ${[...this.#ctes.values()].join(',\n')}`
  }
}

/** What `segmentSql` needs to know to build its CTEs. */
export interface SegmentSqlContext extends SegmentContext {
  projectId: number
  params: SqlParams
  ctes: CteList
}

/**
 * The DuckDB predicate of a segment over alias `ev` (which must carry `user_key` and
 * `event_time_ms`); "who performed" conditions add CTEs over every event of the project (`ev_all`).
 * `prefix` keeps CTE names of several segments apart.
 */
export function segmentSql(
  segment: Segment,
  context: SegmentSqlContext,
  prefix: string,
  alias = 'ev',
): string {
  const parts = segment.conditions.map((condition, index) =>
    conditionSql(condition, context, `${prefix}_c${index}`, alias),
  )
  return parts.length === 0 ? 'true' : parts.map((p) => `(${p})`).join(' AND ')
}

function conditionSql(
  condition: SegmentCondition,
  context: SegmentSqlContext,
  name: string,
  alias: string,
): string {
  const { params, ctes, range } = context
  switch (condition.kind) {
    case 'property':
      return filterSql(condition.filter, params, alias)
    case 'cohort': {
      // Cohort members are integers: inlined, they need no parameter per member.
      const users = [...cohortUnion(condition.cohortIds, context.cohorts)]
      const test = users.length === 0 ? 'false' : `${alias}.user_key IN (${users.join(', ')})`
      return condition.negate ? `NOT (${test})` : test
    }
    case 'performed': {
      const allName = needsFirstEventFlag([condition.event]) ? 'ev_all_first' : 'ev_all'
      ctes.add(allName, () =>
        queryEventsCte(params, context.projectId, {
          name: allName,
          firstEventFlag: allName === 'ev_all_first',
        }),
      )
      const perBucket = condition.window.kind === 'forEachInterval'
      const bucket = (a: string) =>
        bucketStartSql(`${a}.event_time_ms`, range.interval, range.timeZone)
      const inRange =
        condition.window.kind === 'currentInterval'
          ? ` AND p.event_time_ms >= ${params.bind(range.startMs)} AND p.event_time_ms < ${params.bind(range.endMs)}`
          : ''
      const keys = perBucket ? `p.user_key, ${bucket('p')} AS bucket` : 'p.user_key'
      const zeroPasses = compareCount(0, condition.op, condition.count)
      const having = `count(*) ${condition.op === '=' ? '=' : condition.op === '!=' ? '<>' : condition.op} ${params.bind(condition.count)}`
      // Users with no matching event are absent from the grouping: when zero satisfies the test,
      // select those that fail it and negate.
      ctes.add(
        name,
        () => `${name} AS (SELECT ${keys} FROM ${allName} p
          WHERE ${eventSql(condition.event, params, 'p')}${inRange}
          GROUP BY ALL HAVING ${zeroPasses ? `NOT (${having})` : having})`,
      )
      const found = perBucket
        ? `EXISTS (SELECT 1 FROM ${name} s WHERE s.user_key = ${alias}.user_key AND s.bucket = ${bucket(alias)})`
        : `${alias}.user_key IN (SELECT user_key FROM ${name})`
      return zeroPasses ? `NOT (${found})` : found
    }
  }
}
