/**
 * @module The sessions endpoints in DuckDB SQL (the production path), same semantics as
 * `reference.ts`: sessions are grouped from every active event with a session id, and kept when they
 * start in the range, so a session running past `end` keeps its full length.
 */
import type { Store } from '../../store/store.ts'
import { INACTIVE_EVENT_TYPES, queryEventsCte } from '../query-event.ts'
import { SqlParams } from '../sql-params.ts'
import { bucketLabelSql, bucketStartSql } from '../time-buckets.ts'
import type { SessionsQuery } from './query.ts'
import type { SessionStats } from './result.ts'

export function sessionsSql(query: SessionsQuery): { sql: string; values: SqlParams['values'] } {
  const { range } = query
  const params = new SqlParams()
  const inactive = params.bindList(INACTIVE_EVENT_TYPES)
  const start = params.bind(range.startMs)
  const end = params.bind(range.endMs)
  // Referenced several times: inlined, each reference reads only its columns (materialized, DuckDB
  // would copy every column of every active event first; measured several times slower).
  const ev = queryEventsCte(params, query.projectId, {
    where: `e.event_type NOT IN ${inactive}`,
  }).replace(/^ev AS \(/, 'ev AS NOT MATERIALIZED (')
  const day = (ms: string) => bucketLabelSql(bucketStartSql(ms, 'day', range.timeZone), 'day')
  // One pass over every sessioned active event: a session's start is its minimum, known only
  // after all its events are seen, so no time filter can narrow the scan (measured: as fast as the
  // hand-written GROUP BY on 10 M events, faster than finding the range's sessions first).
  const sessions = `ss AS (SELECT user_key, session_id, min(event_time_ms) AS start_ms,
        max(event_time_ms) - min(event_time_ms) AS len
      FROM ev WHERE coalesce(session_id, -1) <> -1
      GROUP BY ALL HAVING min(event_time_ms) >= ${start} AND min(event_time_ms) < ${end})`
  let select: string
  if (query.metric === 'length') {
    const { bins, clampLast } = query.bins
    const cases = bins.map((bin, k) => `WHEN len >= ${bin.minMs} AND len < ${bin.maxMs} THEN ${k}`)
    const last = bins[bins.length - 1]
    if (clampLast && last !== undefined)
      cases.push(`WHEN len >= ${last.maxMs} THEN ${bins.length - 1}`)
    select = `SELECT 'bin' AS kind, CAST(bin AS VARCHAR) AS k, count(*) AS n, 0 AS total
      FROM (SELECT CASE ${cases.join(' ')} END AS bin FROM ss) WHERE bin IS NOT NULL GROUP BY bin`
  } else {
    select = `SELECT 'day' AS kind, ${day('start_ms')} AS k, count(*) AS n, sum(len) AS total
      FROM ss GROUP BY ALL`
    if (query.metric === 'peruser')
      select += `\nUNION ALL SELECT 'users', ${day('event_time_ms')}, count(DISTINCT user_key), 0
        FROM ev WHERE event_time_ms >= ${start} AND event_time_ms < ${end} GROUP BY ALL`
  }
  return { sql: `WITH ${ev}, ${sessions} ${select}`, values: params.values }
}

export async function sqlSessions(store: Store, query: SessionsQuery): Promise<SessionStats> {
  const { sql, values } = sessionsSql(query)
  const stats: SessionStats = { bins: query.bins.bins.map(() => 0), days: new Map() }
  for (const row of await store.selectRows(sql, values)) {
    const key = String(row.k)
    const n = Number(row.n)
    if (row.kind === 'bin') {
      stats.bins[Number(key)] = n
      continue
    }
    const stat = stats.days.get(key) ?? { sessions: 0, totalMs: 0, activeUsers: 0 }
    if (row.kind === 'day') {
      stat.sessions = n
      stat.totalMs = Number(row.total)
    } else {
      stat.activeUsers = n
    }
    stats.days.set(key, stat)
  }
  return stats
}
