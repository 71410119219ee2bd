/**
 * @module The stored form of one event: the `events` table's columns, described once and used for the
 * DDL, the appender and the reader. Hot fields (ids, times, revenue, platform, geo) are typed columns
 * so the query engine can filter and group in SQL; property bags are JSON text columns; the fields
 * only the export record needs live together in the `extra` JSON column.
 */

/** The JS value kinds a column holds; each maps to one DuckDB type and one appender call. */
export type ColumnKind = 'bigint' | 'integer' | 'double' | 'varchar' | 'json'

/** One stored event, as written and as read back. JSON columns hold JSON text. */
export interface EventRow {
  /** Global append counter: the physical and tie-breaking order of rows. */
  seq: number
  projectId: number
  serverUploadTimeMs: number
  eventTimeMs: number
  amplitudeId: number | null
  eventType: string
  userId: string | null
  deviceId: string | null
  /** `-1` when the event is outside any session. */
  sessionId: number
  insertId: string | null
  uuid: string
  revenue: number | null
  quantity: number | null
  platform: string | null
  osName: string | null
  osVersion: string | null
  deviceModel: string | null
  country: string | null
  region: string | null
  city: string | null
  language: string | null
  versionName: string | null
  eventProperties: string
  userProperties: string
  groups: string
  groupProperties: string
  /** JSON object of the remaining export fields (`EventExtra`). */
  extra: string
}

/**
 * Export-record fields without a typed column, kept in `extra` (absent key = null). Each typed
 * column costs an appender call and commit work per row, so only what queries filter or group on
 * is typed; the rest travels as one JSON string.
 */
export interface EventExtra {
  event_id?: number
  /** Absent when equal to `event_time` (no clock-skew adjustment). */
  client_event_time_ms?: number
  client_upload_time_ms?: number
  server_received_time_ms?: number
  /** Absent when equal to `server_upload_time`. */
  processed_time_ms?: number
  user_creation_time_ms?: number
  price?: number
  product_id?: string
  revenue_type?: string
  currency?: string
  device_brand?: string
  device_manufacturer?: string
  device_carrier?: string
  ip_address?: string
  dma?: string
  location_lat?: number
  location_lng?: number
  library?: string
  plan?: Record<string, unknown>
  data?: Record<string, unknown>
  adid?: string
  idfa?: string
  partner_id?: string
  paying?: boolean
  start_version?: string
  is_attribution_event?: boolean
  /** Wire fields Amplitude accepts that the export record has no key for (idfv, user_agent, …). */
  other?: Record<string, unknown>
}

/** A column of the `events` table. */
export interface EventColumn {
  name: string
  kind: ColumnKind
  key: keyof EventRow
}

/** The `events` table, in appender order. */
export const EVENT_COLUMNS: readonly EventColumn[] = [
  { name: 'seq', kind: 'bigint', key: 'seq' },
  { name: 'project_id', kind: 'integer', key: 'projectId' },
  { name: 'server_upload_time_ms', kind: 'bigint', key: 'serverUploadTimeMs' },
  { name: 'event_time_ms', kind: 'bigint', key: 'eventTimeMs' },
  { name: 'amplitude_id', kind: 'bigint', key: 'amplitudeId' },
  { name: 'event_type', kind: 'varchar', key: 'eventType' },
  { name: 'user_id', kind: 'varchar', key: 'userId' },
  { name: 'device_id', kind: 'varchar', key: 'deviceId' },
  { name: 'session_id', kind: 'bigint', key: 'sessionId' },
  { name: 'insert_id', kind: 'varchar', key: 'insertId' },
  { name: 'uuid', kind: 'varchar', key: 'uuid' },
  { name: 'revenue', kind: 'double', key: 'revenue' },
  { name: 'quantity', kind: 'bigint', key: 'quantity' },
  { name: 'platform', kind: 'varchar', key: 'platform' },
  { name: 'os_name', kind: 'varchar', key: 'osName' },
  { name: 'os_version', kind: 'varchar', key: 'osVersion' },
  { name: 'device_model', kind: 'varchar', key: 'deviceModel' },
  { name: 'country', kind: 'varchar', key: 'country' },
  { name: 'region', kind: 'varchar', key: 'region' },
  { name: 'city', kind: 'varchar', key: 'city' },
  { name: 'language', kind: 'varchar', key: 'language' },
  { name: 'version_name', kind: 'varchar', key: 'versionName' },
  { name: 'event_properties', kind: 'json', key: 'eventProperties' },
  { name: 'user_properties', kind: 'json', key: 'userProperties' },
  { name: 'groups', kind: 'json', key: 'groups' },
  { name: 'group_properties', kind: 'json', key: 'groupProperties' },
  { name: 'extra', kind: 'json', key: 'extra' },
]

const SQL_TYPES: Record<ColumnKind, string> = {
  bigint: 'BIGINT',
  integer: 'INTEGER',
  double: 'DOUBLE',
  varchar: 'VARCHAR',
  // JSON text in a VARCHAR: the JSON type adds a validation pass on every append, and the
  // json_extract* functions accept VARCHAR just the same.
  json: 'VARCHAR',
}

/** The DuckDB type of a column kind. */
export function sqlTypeOf(kind: ColumnKind): string {
  return SQL_TYPES[kind]
}

/** `SELECT` list that reads every event column (use with `eventRowFromObject`). */
export const EVENT_SELECT_LIST = EVENT_COLUMNS.map((c) => c.name).join(', ')

/** Converts one row object from DuckDB (`getRowObjectsJS`) into an `EventRow`. */
export function eventRowFromObject(object: Readonly<Record<string, unknown>>): EventRow {
  const row: Record<string, unknown> = {}
  for (const column of EVENT_COLUMNS) {
    const value = object[column.name]
    if (value === null || value === undefined) row[column.key] = null
    else if (typeof value === 'bigint') row[column.key] = Number(value)
    else row[column.key] = value
  }
  return row as unknown as EventRow
}
