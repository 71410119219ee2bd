/**
 * @module `/api/2/users` in DuckDB SQL (the production path), same semantics as `reference.ts`: one
 * statement; per segment the counted events (active ones, or each user's first-ever event, from
 * `first-events.ts`) in the
 * range, then distinct users per (segment, group, bucket) and per (segment, group) over the range
 * with GROUPING SETS, so the collapsed value is de-duplicated in the same scan.
 */
import { NONE_VALUE } from '@ampkit/protocol'
import type { Store } from '../../store/store.ts'
import { propertyFirstSql } from '../property-filter.ts'
import { INACTIVE_EVENT_TYPES, queryEventsCte } from '../query-event.ts'
import { CteList, segmentSql } from '../segment.ts'
import { SqlParams } from '../sql-params.ts'
import { bucketLabelSql, bucketStartSql } from '../time-buckets.ts'
import { addFirstEventCtes } from './first-events.ts'
import type { UsersQuery } from './query.ts'
import { COLLAPSED, countKey, type UserCounts } from './result.ts'

/** The statement and its parameter values. */
export function usersSql(query: UsersQuery): { sql: string; values: SqlParams['values'] } {
  const { range } = query
  const params = new SqlParams()
  const ctes = new CteList()
  const isNew = query.mode === 'new'
  let counted: string
  if (isNew) {
    addFirstEventCtes(ctes, params, query.projectId, range, 'ev')
    counted = 'true'
  } else {
    const start = params.bind(range.startMs)
    const end = params.bind(range.endMs)
    ctes.add('ev', () =>
      queryEventsCte(params, query.projectId, {
        where: `e.event_time_ms >= ${start} AND e.event_time_ms < ${end}`,
      }),
    )
    counted = `ev.event_type NOT IN ${params.bindList(INACTIVE_EVENT_TYPES)}`
  }
  const group =
    query.groupBy === undefined
      ? 'NULL::VARCHAR'
      : `coalesce(${propertyFirstSql(query.groupBy, 'ev')}, ${params.bind(NONE_VALUE)})`
  const bucket = bucketStartSql('ev.event_time_ms', range.interval, range.timeZone)
  const parts = query.segments.map((segment, index) => {
    const inSegment = segmentSql(
      segment,
      { range, cohorts: query.cohorts, projectId: query.projectId, params, ctes },
      `s${index}`,
      'ev',
    )
    return `SELECT ${index} AS seg, ${group} AS grp, ${bucket} AS bucket, ev.user_key
      FROM ev WHERE ${counted} AND ${inSegment}`
  })
  const sql = `${ctes.toSql()}
    SELECT seg, grp, CASE WHEN grouping(bucket) = 1 THEN NULL ELSE ${bucketLabelSql('bucket', range.interval)} END AS label,
      count(DISTINCT user_key) AS n
    FROM (${parts.join('\nUNION ALL\n')})
    GROUP BY GROUPING SETS ((seg, grp, bucket), (seg, grp))`
  return { sql, values: params.values }
}

/** Runs the statement: distinct users per (segment, group, bucket). */
export async function sqlUsers(store: Store, query: UsersQuery): Promise<UserCounts> {
  const { sql, values } = usersSql(query)
  const counts: UserCounts = new Map()
  for (const row of await store.selectRows(sql, values)) {
    const label = row.label === null ? COLLAPSED : String(row.label)
    counts.set(countKey(Number(row.seg), (row.grp as string | null) ?? null, label), Number(row.n))
  }
  return counts
}
