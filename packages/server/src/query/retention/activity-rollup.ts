/**
 * @module A per-(Amplitude id, UTC hour) activity rollup for retention over `_all`/`_active`/`_new`:
 * 10M events of the benchmark shape fold into ~1.5M rows, so the two 10M-row aggregations of a
 * retention query (first start per user and bucket, returns per user and hour) read 6–7x fewer rows.
 *
 * It stays exactly in step with `events` (analytics-semantics.md §0 asks for a rollup; a stale one
 * would be a wrong answer):
 * - `refreshActivityRollup` runs before each query, under `store.writeSql` (in turn with ingestion
 *   and `deleteUsers`): when the events up to the watermark `max_seq` no longer number `events` (a
 *   deletion happened) the project's rows are dropped and rebuilt; then events past the watermark
 *   are folded in as new partial rows (min/max compose, so a key may have several rows).
 * - The query itself reads the rows of its own snapshot plus the events past the watermark (ingested
 *   after the refresh), and a guard fails the statement with `ROLLUP_STALE` when a deletion (or
 *   another refresh) landed between the refresh and the query; the caller refreshes and runs it
 *   again.
 * Merged anonymous ids are mapped to their user at query time, so later merges need no rebuild.
 */
import type { SqlStatement, Store } from '../../store/store.ts'
import { INACTIVE_EVENT_TYPES } from '../query-event.ts'
import type { SqlParams } from '../sql-params.ts'
import { sqlString } from '../time-buckets.ts'

/** The rows: one or more per (project, Amplitude id, UTC hour) with activity. */
export const ROLLUP_TABLE = 'retention_activity'
/** Per project: the `seq` the rollup covers up to, and how many events that was. */
export const ROLLUP_STATE_TABLE = 'retention_activity_state'
/** The message of the guard's error (a deletion landed after the refresh). */
export const ROLLUP_STALE = 'retention activity rollup is stale'

const INACTIVE_LIST = `(${INACTIVE_EVENT_TYPES.map(sqlString).join(', ')})`

/**
 * Partial rows of the events of project `projectSql` whose `seq` is above `afterSeqSql`, optionally
 * narrowed by `where` over alias `e`.
 */
function partialRowsSql(projectSql: string, afterSeqSql: string, where = 'true'): string {
  return `SELECT e.project_id, e.amplitude_id, e.event_time_ms // 3600000 * 3600000 AS hour_ms,
      min(e.event_time_ms) AS all_min_ms, max(e.event_time_ms) AS all_max_ms,
      min(e.event_time_ms) FILTER (WHERE e.event_type NOT IN ${INACTIVE_LIST}) AS active_min_ms,
      max(e.event_time_ms) FILTER (WHERE e.event_type NOT IN ${INACTIVE_LIST}) AS active_max_ms
    FROM events e WHERE e.project_id = ${projectSql} AND e.seq > ${afterSeqSql} AND (${where})
    GROUP BY ALL`
}

const watermarkSql = (projectSql: string) =>
  `coalesce((SELECT max_seq FROM ${ROLLUP_STATE_TABLE} WHERE project_id = ${projectSql}), -1)`

/** The statements of one refresh (one transaction). */
export function refreshStatements(projectId: number): SqlStatement[] {
  const p = String(Math.trunc(projectId))
  const mismatch = `(SELECT count(*) FROM events WHERE project_id = ${p} AND seq <= ${watermarkSql(p)})
    <> coalesce((SELECT events FROM ${ROLLUP_STATE_TABLE} WHERE project_id = ${p}), 0)`
  return [
    {
      sql: `CREATE TABLE IF NOT EXISTS ${ROLLUP_TABLE} (project_id INTEGER, amplitude_id BIGINT,
        hour_ms BIGINT, all_min_ms BIGINT, all_max_ms BIGINT, active_min_ms BIGINT,
        active_max_ms BIGINT)`,
    },
    {
      sql: `CREATE TABLE IF NOT EXISTS ${ROLLUP_STATE_TABLE} (project_id INTEGER, max_seq BIGINT,
        events BIGINT)`,
    },
    // Events were deleted under the watermark: start over (both statements test the same thing,
    // which the first does not change).
    { sql: `DELETE FROM ${ROLLUP_TABLE} WHERE project_id = ${p} AND ${mismatch}` },
    { sql: `DELETE FROM ${ROLLUP_STATE_TABLE} WHERE project_id = ${p} AND ${mismatch}` },
    { sql: `INSERT INTO ${ROLLUP_TABLE} ${partialRowsSql(p, watermarkSql(p))}` },
    { sql: `DELETE FROM ${ROLLUP_STATE_TABLE} WHERE project_id = ${p}` },
    {
      sql: `INSERT INTO ${ROLLUP_STATE_TABLE}
        SELECT ${p}, coalesce(max(seq), -1), count(*) FROM events WHERE project_id = ${p}`,
    },
  ]
}

/** What a refresh left: the rollup covers the `events` events of `seq` up to `maxSeq`. */
export interface RollupWatermark {
  maxSeq: number
  events: number
}

/** Brings the project's rollup up to date with its events; resolves with its watermark. */
export async function refreshActivityRollup(
  store: Store,
  projectId: number,
): Promise<RollupWatermark> {
  await store.writeSql(refreshStatements(projectId))
  const rows = await store.selectRows(
    `SELECT max_seq, events FROM ${ROLLUP_STATE_TABLE} WHERE project_id = $1`,
    [projectId],
  )
  return { maxSeq: Number(rows[0]?.max_seq ?? -1), events: Number(rows[0]?.events ?? 0) }
}

/**
 * CTEs (to add after `WITH`) giving `<name>(user_key, hour_ms, all_min_ms, all_max_ms,
 * active_min_ms, active_max_ms)`: the rollup rows of hours from `fromMs` on (every hour when
 * undefined), and the events past the watermark (ingested after the refresh; rows of a later
 * refresh may repeat them, which min and max absorb), with merged ids mapped to their user.
 * The watermark is bound as constants so the events scans prune by `seq`; the guard fails the
 * statement with `ROLLUP_STALE` when the state moved since (another refresh: retry) or events under
 * the watermark were deleted since (a deletion: the rollup still holds the user's rows).
 */
export function activityCtes(
  params: SqlParams,
  projectId: number,
  name: string,
  fromMs: number | undefined,
  watermark: RollupWatermark,
): string[] {
  const p = params.bind(projectId)
  const maxSeq = params.bind(watermark.maxSeq)
  const events = params.bind(watermark.events)
  const from = fromMs === undefined ? 'true' : `hour_ms >= ${params.bind(fromMs)}`
  const fromEvents = fromMs === undefined ? 'true' : `e.event_time_ms >= ${params.bind(fromMs)}`
  return [
    `${name}_guard AS (SELECT CASE
        WHEN (SELECT count(*) FROM events WHERE project_id = ${p} AND seq <= ${maxSeq}) = ${events}
          AND (SELECT count(*) FROM ${ROLLUP_STATE_TABLE}
               WHERE project_id = ${p} AND max_seq = ${maxSeq} AND events = ${events}) = 1
        THEN 1 ELSE error(${sqlString(ROLLUP_STALE)}) END AS ok)`,
    `${name} AS (SELECT coalesce(m.merged_into, r.amplitude_id) AS user_key, r.hour_ms,
        r.all_min_ms, r.all_max_ms, r.active_min_ms, r.active_max_ms
      FROM (SELECT * FROM ${ROLLUP_TABLE} WHERE project_id = ${p} AND ${from}
            UNION ALL ${partialRowsSql(p, maxSeq, fromEvents)}) r
      LEFT JOIN (SELECT DISTINCT amplitude_id, merged_into FROM users
                 WHERE project_id = ${p} AND merged_into IS NOT NULL) m
        ON r.amplitude_id = m.amplitude_id
      WHERE (SELECT ok FROM ${name}_guard) = 1)`,
  ]
}
