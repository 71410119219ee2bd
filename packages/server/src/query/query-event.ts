/**
 * @module The event as queries see it, and the SQL that produces it. Users are counted by canonical
 * Amplitude id (`user_key`): an anonymous id merged into a user's (query-api.md §2.4) counts as that
 * user, on its old rows too. The reference evaluators work on `QueryEvent`s loaded with `QUERY_EVENT_SQL`;
 * the SQL engines read the same relation (`queryEventsCte`).
 */
import type { Store } from '../store/store.ts'
import type { BuiltinColumn } from './ir.ts'
import { SqlParams } from './sql-params.ts'

/** One stored event, as the reference evaluators see it. */
export interface QueryEvent {
  /** Append order, the tie-break between events of the same millisecond. */
  seq: number
  /** Canonical Amplitude id of the user. */
  userKey: number
  eventType: string
  /** `event_time`, ms since the epoch (UTC). */
  timeMs: number
  /** -1 outside sessions. */
  sessionId: number
  /** price × quantity, or null. */
  revenue: number | null
  eventProperties: Record<string, unknown>
  /** User properties as of the event. */
  userProperties: Record<string, unknown>
  columns: Readonly<Record<BuiltinColumn, string | null>>
  /** The other export fields (`dma`, `library`, …). */
  extra: Record<string, unknown>
}

/** Built-in columns carried by `QueryEvent.columns`, as selected by `QUERY_EVENT_SQL`. */
export const BUILTIN_COLUMNS: readonly BuiltinColumn[] = [
  'platform',
  'os_name',
  'os_version',
  'device_model',
  'country',
  'region',
  'city',
  'language',
  'version_name',
]

/**
 * Event types that never make a user active (Amplitude's identify and group-identify events; the
 * session markers its SDKs send). Unconfirmed beyond the identify family: the taxonomy can mark more.
 */
export const INACTIVE_EVENT_TYPES: readonly string[] = [
  '$identify',
  '$groupidentify',
  'session_start',
  'session_end',
]

/** Options of `queryEventsCte`. */
export interface QueryEventsCteOptions {
  /** The CTE's name. @default 'ev' */
  name?: string
  /** A predicate over alias `e` (an `events` row) that narrows the scan. @default all events */
  where?: string
  /** Adds `is_first` (the user's first-ever event), computed before `where` narrows. */
  firstEventFlag?: boolean
}

/**
 * A CTE over the project's events with `user_key` (the canonical Amplitude id), for the SQL
 * engines: `<name> AS (…)`, to put after `WITH`.
 */
export function queryEventsCte(
  params: SqlParams,
  projectId: number,
  options: QueryEventsCteOptions = {},
): string {
  const name = options.name ?? 'ev'
  const where = options.where ?? 'true'
  const project = params.bind(projectId)
  const keyed = `SELECT e.*, coalesce(m.merged_into, e.amplitude_id) AS user_key
    FROM events e
    LEFT JOIN (SELECT DISTINCT amplitude_id, merged_into FROM users
               WHERE project_id = ${project} AND merged_into IS NOT NULL) m
      ON e.amplitude_id = m.amplitude_id
    WHERE e.project_id = ${project}`
  if (options.firstEventFlag !== true) return `${name} AS (${keyed} AND (${where}))`
  // `is_first` needs every event of the user, so the narrowing applies after the window.
  return `${name} AS (SELECT * FROM (SELECT k.*, row_number() OVER (PARTITION BY user_key
      ORDER BY event_time_ms, seq) = 1 AS is_first FROM (${keyed}) k) e WHERE (${where}))`
}

function parseObject(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string' || text === '') return {}
  const value: unknown = JSON.parse(text)
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

/**
 * Every event of a project, ordered by user, time and append order: the input of the reference
 * evaluators (meant for the small datasets of tests, not for production queries).
 */
export async function loadQueryEvents(store: Store, projectId: number): Promise<QueryEvent[]> {
  const params = new SqlParams()
  const sql = `WITH ${queryEventsCte(params, projectId)}
    SELECT seq, user_key, event_type, event_time_ms, session_id, revenue, event_properties,
           user_properties, extra, ${BUILTIN_COLUMNS.join(', ')}
    FROM ev ORDER BY user_key, event_time_ms, seq`
  const rows = await store.selectRows(sql, params.values)
  return rows.map((row) => {
    const columns = {} as Record<BuiltinColumn, string | null>
    for (const column of BUILTIN_COLUMNS) columns[column] = (row[column] as string | null) ?? null
    return {
      seq: Number(row.seq),
      userKey: Number(row.user_key),
      eventType: row.event_type as string,
      timeMs: Number(row.event_time_ms),
      sessionId: row.session_id === null ? -1 : Number(row.session_id),
      revenue: row.revenue === null ? null : Number(row.revenue),
      eventProperties: parseObject(row.event_properties),
      userProperties: parseObject(row.user_properties),
      columns,
      extra: parseObject(row.extra),
    }
  })
}
