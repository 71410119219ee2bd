/**
 * @module `GET /api/2/realtime` (query-api.md §3.6): active users per 5 minutes, today and yesterday
 * in the project time zone, as of the server clock. A user counts in a 5-minute bucket when they
 * logged ≥ 1 active event in it. X-values are the 288 wall-clock times of a day, `"HH:MM"`; on a
 * day with a DST change the repeated hour's buckets merge and the skipped hour's stay 0. Today's
 * buckets after the current one are 0.
 */
import type { Store } from '../../store/store.ts'
import { queryError } from '../params.ts'
import { INACTIVE_EVENT_TYPES, type QueryEvent, queryEventsCte } from '../query-event.ts'
import { SqlParams } from '../sql-params.ts'
import { instantOfWall, isTimeZone, localTimestampSql, localWallMs } from '../time-buckets.ts'

const DAY_MS = 86_400_000
const BUCKET_MS = 300_000

export interface RealtimeQuery {
  projectId: number
  timeZone: string
  /** Wall-clock midnight (as if UTC) of today in the project zone. */
  todayWallMs: number
  /** Events with `startMs <= time < endMs` (yesterday's and today's) are read. */
  startMs: number
  endMs: number
}

/** Parses `i` (only `5`, the default) and fixes the two days at the server clock. */
export function realtimeQueryOf(
  url: URL,
  project: { id: number; timeZone: string },
  nowMs: number,
): RealtimeQuery {
  const i = url.searchParams.get('i')
  if (i !== null && i !== '' && i !== '5')
    throw queryError('Invalid parameter i: the real-time chart takes i=5 (5-minute buckets)')
  if (!isTimeZone(project.timeZone))
    throw queryError(`Unknown project time zone ${project.timeZone}`)
  const todayWallMs = Math.floor(localWallMs(nowMs, project.timeZone) / DAY_MS) * DAY_MS
  return {
    projectId: project.id,
    timeZone: project.timeZone,
    todayWallMs,
    startMs: instantOfWall(todayWallMs - DAY_MS, project.timeZone),
    endMs: instantOfWall(todayWallMs + DAY_MS, project.timeZone),
  }
}

/** `"<day>|HH:MM"` (day 0 today, 1 yesterday) → distinct active users. */
export type RealtimeCounts = Map<string, number>

function hhmm(minutesOfDay: number): string {
  const h = Math.floor(minutesOfDay / 60)
  const m = minutesOfDay % 60
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`
}

export function referenceRealtime(
  query: RealtimeQuery,
  events: readonly QueryEvent[],
): RealtimeCounts {
  const users = new Map<string, Set<number>>()
  for (const event of events) {
    if (event.timeMs < query.startMs || event.timeMs >= query.endMs) continue
    if (INACTIVE_EVENT_TYPES.includes(event.eventType)) continue
    const wall = localWallMs(event.timeMs, query.timeZone)
    const day = wall >= query.todayWallMs ? 0 : 1
    const minutes = Math.floor((((wall % DAY_MS) + DAY_MS) % DAY_MS) / BUCKET_MS) * 5
    const key = `${day}|${hhmm(minutes)}`
    users.set(key, (users.get(key) ?? new Set()).add(event.userKey))
  }
  return new Map([...users].map(([key, set]) => [key, set.size]))
}

export async function sqlRealtime(store: Store, query: RealtimeQuery): Promise<RealtimeCounts> {
  const params = new SqlParams()
  const ev = queryEventsCte(params, query.projectId, {
    where: `e.event_time_ms >= ${params.bind(query.startMs)}
      AND e.event_time_ms < ${params.bind(query.endMs)}
      AND e.event_type NOT IN ${params.bindList(INACTIVE_EVENT_TYPES)}`,
  })
  const local = localTimestampSql('ev.event_time_ms', query.timeZone)
  const today = new Date(query.todayWallMs).toISOString().slice(0, 10)
  const sql = `WITH ${ev}
    SELECT CASE WHEN CAST(${local} AS DATE) >= DATE '${today}' THEN 0 ELSE 1 END AS day,
      strftime(time_bucket(INTERVAL 5 MINUTE, ${local}), '%H:%M') AS hm,
      count(DISTINCT ev.user_key) AS n
    FROM ev GROUP BY ALL`
  const counts: RealtimeCounts = new Map()
  for (const row of await store.selectRows(sql, params.values))
    counts.set(`${Number(row.day)}|${String(row.hm)}`, Number(row.n))
  return counts
}

/** `data`: `xValues` the 288 times of a day, series today then yesterday. */
export function realtimeData(counts: RealtimeCounts) {
  const xValues = Array.from({ length: DAY_MS / BUCKET_MS }, (_, k) => hhmm(k * 5))
  return {
    series: [0, 1].map((day) => xValues.map((x) => counts.get(`${day}|${x}`) ?? 0)),
    seriesLabels: ['Today', 'Yesterday'],
    xValues,
  }
}
