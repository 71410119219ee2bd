/**
 * @module `GET /api/2/composition` (query-api.md §3.6): users per value of one user property. The
 * semantics, for `compositionSql` and `referenceComposition` alike (unconfirmed beyond the shape; the
 * robust reading): the users counted are those active in `[start, end]` (≥ 1 active event, project
 * time zone), each under the property's value on their *most recent* active event of the range (by
 * time, then append order): its first value, or `(none)`. So a user counts once, under the value
 * they have now (as of the range's end), not under every value they had.
 */
import { NONE_VALUE } from '@ampkit/protocol'
import type { Store } from '../../store/store.ts'
import type { PropertyRef, QueryRange } from '../ir.ts'
import { limitParam, propertyRefOf, queryError, rangeParams } from '../params.ts'
import { groupLabel, propertyFirstSql } from '../property-filter.ts'
import { INACTIVE_EVENT_TYPES, type QueryEvent, queryEventsCte } from '../query-event.ts'
import { SqlParams } from '../sql-params.ts'

export interface CompositionQuery {
  projectId: number
  /** `p`, as written (the series label). */
  propertyName: string
  property: PropertyRef
  range: QueryRange
  /** Values kept, most users first. @default 100 */
  limit: number
}

/** Parses `start`, `end`, `p` (one user property: built-in or `gp:`), `limit`. */
export function compositionQueryOf(
  url: URL,
  project: { id: number; timeZone: string },
): CompositionQuery {
  const names = url.searchParams.getAll('p').filter((p) => p !== '')
  if (names.length === 0) throw queryError('Missing required parameter: p')
  // `p` is repeatable per one source [unconfirmed]; the answer's shape has one x-axis, so one property.
  if (names.length > 1) throw queryError('Invalid parameter p: one property per query')
  const name = names[0] as string
  return {
    projectId: project.id,
    propertyName: name,
    property: propertyRefOf('user', name, 'Invalid parameter p'),
    // Composition is one figure over the range; `i` is not read.
    range: rangeParams(url, { timeZone: project.timeZone, intervalParam: '_composition_i' }),
    limit: limitParam(url),
  }
}

/** Users per value. */
export type CompositionCounts = Map<string, number>

export function referenceComposition(
  query: CompositionQuery,
  events: readonly QueryEvent[],
): CompositionCounts {
  const latest = new Map<number, QueryEvent>()
  for (const event of events) {
    if (event.timeMs < query.range.startMs || event.timeMs >= query.range.endMs) continue
    if (INACTIVE_EVENT_TYPES.includes(event.eventType)) continue
    const seen = latest.get(event.userKey)
    if (
      seen === undefined ||
      event.timeMs > seen.timeMs ||
      (event.timeMs === seen.timeMs && event.seq > seen.seq)
    )
      latest.set(event.userKey, event)
  }
  const counts: CompositionCounts = new Map()
  for (const event of latest.values()) {
    const value = groupLabel(query.property, event)
    counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  return counts
}

export async function sqlComposition(
  store: Store,
  query: CompositionQuery,
): Promise<CompositionCounts> {
  const params = new SqlParams()
  const ev = queryEventsCte(params, query.projectId, {
    where: `e.event_time_ms >= ${params.bind(query.range.startMs)}
      AND e.event_time_ms < ${params.bind(query.range.endMs)}
      AND e.event_type NOT IN ${params.bindList(INACTIVE_EVENT_TYPES)}`,
  })
  const value = `coalesce(${propertyFirstSql(query.property, 'ev')}, ${params.bind(NONE_VALUE)})`
  const sql = `WITH ${ev}
    SELECT v, count(*) AS n FROM (
      SELECT user_key, arg_max(${value}, [event_time_ms, seq]) AS v FROM ev GROUP BY user_key)
    GROUP BY v`
  const counts: CompositionCounts = new Map()
  for (const row of await store.selectRows(sql, params.values))
    counts.set(String(row.v), Number(row.n))
  return counts
}

/** `data`: one series of users per value, values as x-values (most users first, cut to `limit`). */
export function compositionData(query: CompositionQuery, counts: CompositionCounts) {
  const values = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, query.limit)
  return {
    series: [values.map(([, n]) => n)],
    seriesLabels: [query.propertyName],
    xValues: values.map(([value]) => value),
  }
}
