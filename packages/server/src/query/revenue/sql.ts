/**
 * @module `/api/2/revenue/ltv` in DuckDB SQL (the production path), same semantics as
 * `reference.ts`: per segment, each user's first-ever event in the range (`first-events.ts`) gives the
 * cohort; their revenue events join by user with the local-day offset from that first day; one
 * aggregate per cohort computes every window with FILTER clauses.
 */
import { NONE_VALUE } from '@ampkit/protocol'
import type { Store } from '../../store/store.ts'
import { propertyFirstSql } from '../property-filter.ts'
import { CteList, segmentSql } from '../segment.ts'
import { SqlParams } from '../sql-params.ts'
import { bucketLabelSql, bucketStartSql, localTimestampSql } from '../time-buckets.ts'
import { addFirstEventCtes } from '../users/first-events.ts'
import { LTV_DAYS, type RevenueLtvQuery } from './query.ts'
import { emptyCohort, type LtvCounts, ltvKey } from './result.ts'

export function revenueLtvSql(query: RevenueLtvQuery): {
  sql: string
  values: SqlParams['values']
} {
  const { range } = query
  const params = new SqlParams()
  const ctes = new CteList()
  addFirstEventCtes(ctes, params, query.projectId, range, 'ev')
  const localDay = (ms: string) => `CAST(${localTimestampSql(ms, range.timeZone)} AS DATE)`
  const group =
    query.groupBy === undefined
      ? 'NULL::VARCHAR'
      : `coalesce(${propertyFirstSql(query.groupBy, 'ev')}, ${params.bind(NONE_VALUE)})`
  const parts = query.segments.map((segment, index) => {
    const inSegment = segmentSql(
      segment,
      { range, cohorts: query.cohorts, projectId: query.projectId, params, ctes },
      `s${index}`,
      'ev',
    )
    return `SELECT ${index} AS seg, ${group} AS grp, ev.user_key,
        ${bucketStartSql('ev.event_time_ms', range.interval, range.timeZone)} AS cohort,
        ${localDay('ev.event_time_ms')} AS day0
      FROM ev WHERE ${inSegment}`
  })
  ctes.add('co', () => `co AS (${parts.join('\nUNION ALL\n')})`)
  ctes.add(
    'rv',
    () => `rv AS (SELECT user_key, ${localDay('event_time_ms')} AS day, revenue FROM ek
      WHERE revenue IS NOT NULL AND user_key IN (SELECT user_key FROM co))`,
  )
  // Each revenue event's window: the first k with d < LTV_DAYS[k] (NULL past the last); windows
  // are cumulative, so per-window sums are added up in `sqlRevenueLtv` (no FILTER per window).
  const window = `CASE ${LTV_DAYS.map((days, k) => `WHEN d < ${days} THEN ${k}`).join(' ')} END`
  ctes.add(
    'pu',
    () => `pu AS (SELECT seg, grp, cohort, user_key, revenue, ${window} AS w
      FROM (SELECT co.seg, co.grp, co.cohort, co.user_key, rv.revenue, (rv.day - co.day0) AS d
        FROM co LEFT JOIN rv ON rv.user_key = co.user_key))`,
  )
  ctes.add(
    'uu',
    () => `uu AS MATERIALIZED (SELECT seg, grp, cohort, user_key,
        coalesce(sum(revenue), 0) AS total, min(w) FILTER (WHERE revenue > 0) AS first_paid,
        bool_or(revenue > 0) AS paid
      FROM pu GROUP BY ALL)`,
  )
  const label = bucketLabelSql('cohort', range.interval)
  const sql = `${ctes.toSql()}
    SELECT 'size' AS kind, seg, grp, ${label} AS label, NULL::INTEGER AS w, count(*) AS n,
      count(*) FILTER (WHERE paid) AS paid, sum(total) AS amount
    FROM uu GROUP BY seg, grp, cohort
    UNION ALL
    SELECT 'pay', seg, grp, ${label}, first_paid, count(*), 0, 0
    FROM uu WHERE first_paid IS NOT NULL GROUP BY seg, grp, cohort, first_paid
    UNION ALL
    SELECT 'rev', seg, grp, ${label}, w, 0, 0, sum(revenue)
    FROM pu WHERE w IS NOT NULL GROUP BY seg, grp, cohort, w`
  return { sql, values: params.values }
}

export async function sqlRevenueLtv(store: Store, query: RevenueLtvQuery): Promise<LtvCounts> {
  const { sql, values } = revenueLtvSql(query)
  const counts: LtvCounts = new Map()
  const rows = await store.selectRows(sql, values)
  for (const row of rows) {
    const key = ltvKey(Number(row.seg), (row.grp as string | null) ?? null, String(row.label))
    const cohort = counts.get(key) ?? emptyCohort()
    counts.set(key, cohort)
    if (row.kind === 'size') {
      cohort.users = Number(row.n)
      cohort.paid = Number(row.paid)
      cohort.total = Number(row.amount)
      continue
    }
    // A window's amount adds to it and every wider window.
    for (let k = Number(row.w); k < LTV_DAYS.length; k++) {
      if (row.kind === 'pay') cohort.paying[k] = (cohort.paying[k] ?? 0) + Number(row.n)
      else cohort.revenue[k] = (cohort.revenue[k] ?? 0) + Number(row.amount)
    }
  }
  return counts
}
