/**
 * @module `GET /api/2/composition` (query-api.md §3.6): users per value of one user property. The
 * semantics, for `compositionSql` and `referenceComposition` alike (unconfirmed beyond the shape; the
 * robust reading): the users counted are those active in `[start, end]` (≥ 1 active event, project
 * time zone), each under the property's value on their *most recent* active event of the range (by
 * time, then append order): its first value, or `(none)`. So a user counts once, under the value
 * they have now (as of the range's end), not under every value they had. Several `p` (repeatable
 * per one source, unconfirmed) give one series per property over one shared x-axis: the union of
 * their values.
 */
import { NONE_VALUE } from '@ampkit/protocol'
import type { Store } from '../../store/store.ts'
import type { PropertyRef, QueryRange } from '../ir.ts'
import { limitParam, propertyRefOf, queryError, rangeParams } from '../params.ts'
import { groupLabel, propertyFirstSql } from '../property-filter.ts'
import { INACTIVE_EVENT_TYPES, type QueryEvent, queryEventsCte } from '../query-event.ts'
import { SqlParams } from '../sql-params.ts'

/** Most `p` in one query. */
export const MAX_COMPOSITION_PROPERTIES = 10

export interface CompositionQuery {
  projectId: number
  /** Each `p`: its name as written (the series label) and what it reads. */
  properties: readonly { name: string; ref: PropertyRef }[]
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
  if (names.length > MAX_COMPOSITION_PROPERTIES)
    throw queryError(`Invalid parameter p: at most ${MAX_COMPOSITION_PROPERTIES} properties`)
  return {
    projectId: project.id,
    properties: names.map((name) => ({
      name,
      ref: propertyRefOf('user', name, 'Invalid parameter p'),
    })),
    // Composition is one figure over the range; `i` is not read.
    range: rangeParams(url, { timeZone: project.timeZone, intervalParam: '_composition_i' }),
    limit: limitParam(url),
  }
}

/** `"<property index>|<value>"` → users. */
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
    query.properties.forEach(({ ref }, index) => {
      const key = `${index}|${groupLabel(ref, event)}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    })
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
  const none = params.bind(NONE_VALUE)
  const latest = query.properties.map(
    ({ ref }, index) =>
      `arg_max(coalesce(${propertyFirstSql(ref, 'ev')}, ${none}), [event_time_ms, seq]) AS v${index}`,
  )
  const perProperty = query.properties.map(
    (_, index) => `SELECT ${index} AS k, v${index} AS v, count(*) AS n FROM u GROUP BY v${index}`,
  )
  const sql = `WITH ${ev}, u AS (SELECT user_key, ${latest.join(', ')} FROM ev GROUP BY user_key)
    ${perProperty.join('\nUNION ALL\n')}`
  const counts: CompositionCounts = new Map()
  for (const row of await store.selectRows(sql, params.values))
    counts.set(`${Number(row.k)}|${String(row.v)}`, Number(row.n))
  return counts
}

/**
 * `data`: one series per property, users per value; the x-values are the values of every property,
 * most users (over all series) first, ties by value, cut to `limit`.
 */
export function compositionData(query: CompositionQuery, counts: CompositionCounts) {
  const totals = new Map<string, number>()
  for (const [key, n] of counts) {
    const value = key.slice(key.indexOf('|') + 1)
    totals.set(value, (totals.get(value) ?? 0) + n)
  }
  const xValues = [...totals]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, query.limit)
    .map(([value]) => value)
  return {
    series: query.properties.map((_, index) =>
      xValues.map((value) => counts.get(`${index}|${value}`) ?? 0),
    ),
    seriesLabels: query.properties.map(({ name }) => name),
    xValues,
  }
}
