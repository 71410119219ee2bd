/**
 * @module The export record (query-api.md §2.4) as one DuckDB expression over the `events` table:
 * the NDJSON line, ready to compress. It means exactly what `toExportRecord(eventRowFromObject(row))`
 * means (the export tests compare the two field by field) but runs inside DuckDB, because handing
 * one string per event to JavaScript costs a few µs, and 27 column values per event cost ten times
 * that. Stored JSON text (property bags) is spliced in as is; `extra` is parsed once per row.
 */
import type { ExportRecordKey } from '../store/export-record.ts'

/** The `extra` fields the record reads, with the DuckDB type `from_json` gives each. */
const EXTRA_STRUCTURE = {
  event_id: 'JSON',
  library: 'JSON',
  // DOUBLE, truncated below: a fractional ms value formats like JavaScript's Date truncates it.
  client_event_time_ms: 'DOUBLE',
  client_upload_time_ms: 'DOUBLE',
  server_received_time_ms: 'DOUBLE',
  processed_time_ms: 'DOUBLE',
  user_creation_time_ms: 'DOUBLE',
  plan: 'JSON',
  data: 'JSON',
  device_brand: 'JSON',
  device_carrier: 'JSON',
  device_manufacturer: 'JSON',
  ip_address: 'JSON',
  dma: 'JSON',
  location_lat: 'JSON',
  location_lng: 'JSON',
  adid: 'JSON',
  idfa: 'JSON',
  is_attribution_event: 'JSON',
  partner_id: 'JSON',
  paying: 'JSON',
  start_version: 'JSON',
} as const

const NULL = "'null'"

/** A VARCHAR column as a JSON string, or `null`. */
const text = (column: string) => `coalesce(to_json(${column})::VARCHAR, ${NULL})`
/** An integer column as a JSON number, or `null`. */
const integer = (column: string) => `coalesce(${column}::VARCHAR, ${NULL})`
/** Stored JSON text as is; missing or empty is `{}` (as `toExportRecord` reads it). */
const stored = (column: string) => `coalesce(nullif(${column}, ''), '{}')`
/** An `extra` field's JSON text; absent (or JSON null) is `fallback`. */
const extra = (field: keyof typeof EXTRA_STRUCTURE, fallback = NULL) =>
  `coalesce(x.${field}::VARCHAR, ${fallback})`
/** ms since the epoch as `"YYYY-MM-DD HH:MM:SS.ffffff"` (UTC), or `null`. */
const time = (ms: string) =>
  `coalesce('"' || strftime(epoch_ms(trunc(${ms})::BIGINT), '%Y-%m-%d %H:%M:%S.%f') || '"', ${NULL})`

/**
 * `time(ms)`, or `time(usual)` when `ms` is missing or equal to it. The same as
 * `time(coalesce(ms, usual))`, written so that the usual case reuses a formatting the record already
 * does: DuckDB computes identical subexpressions once, and formatting is a third of the line's cost.
 */
const sameTime = (ms: string, usual: string) =>
  `CASE WHEN ${ms} IS NULL OR ${ms} = ${usual} THEN ${time(usual)} ELSE ${time(ms)} END`

/** The JSON text of every key, in record order. */
const VALUES: Record<ExportRecordKey, string> = {
  app: integer('project_id'),
  event_type: text('event_type'),
  event_id: extra('event_id'),
  uuid: text('uuid'),
  $insert_id: text('insert_id'),
  $insert_key: NULL,
  $schema: NULL,
  user_id: text('user_id'),
  device_id: text('device_id'),
  amplitude_id: integer('amplitude_id'),
  session_id: integer('session_id'),
  data_type: `'"event"'`,
  library: extra('library'),
  event_time: time('event_time_ms'),
  client_event_time: sameTime('x.client_event_time_ms', 'event_time_ms'),
  client_upload_time: time('x.client_upload_time_ms'),
  server_received_time: sameTime('x.server_received_time_ms', 'x.client_upload_time_ms'),
  server_upload_time: time('server_upload_time_ms'),
  processed_time: sameTime('x.processed_time_ms', 'server_upload_time_ms'),
  user_creation_time: time('x.user_creation_time_ms'),
  event_properties: stored('event_properties'),
  user_properties: stored('user_properties'),
  group_properties: stored('group_properties'),
  groups: stored('groups'),
  global_user_properties: NULL,
  plan: extra('plan', "'{}'"),
  data: extra('data', "'{}'"),
  platform: text('platform'),
  os_name: text('os_name'),
  os_version: text('os_version'),
  device_family: NULL,
  device_type: NULL,
  device_brand: extra('device_brand'),
  device_carrier: extra('device_carrier'),
  device_manufacturer: extra('device_manufacturer'),
  device_model: text('device_model'),
  language: text('language'),
  ip_address: extra('ip_address'),
  country: text('country'),
  region: text('region'),
  city: text('city'),
  dma: extra('dma'),
  location_lat: extra('location_lat'),
  location_lng: extra('location_lng'),
  adid: extra('adid'),
  idfa: extra('idfa'),
  amplitude_attribution_ids: NULL,
  amplitude_event_type: NULL,
  is_attribution_event: extra('is_attribution_event'),
  partner_id: extra('partner_id'),
  source_id: NULL,
  sample_rate: NULL,
  paying: extra('paying'),
  start_version: extra('start_version'),
  version_name: text('version_name'),
}

/**
 * `SELECT` list item building the line, newline included, as UTF-8 bytes (a BLOB) named `line`,
 * for a query whose `FROM` is `EXPORT_LINE_SOURCE` (it reads the parsed `extra` as `x`). Bytes,
 * because they go straight to gzip: a string would be decoded from UTF-8 only to be encoded again,
 * which measured nearly half of the export's main-thread time.
 */
export const EXPORT_LINE_SQL = `encode(concat(${Object.entries(VALUES)
  .map(([key, value], index) => `'${index === 0 ? '{' : ','}${JSON.stringify(key)}:', ${value}`)
  .join(', ')}, '}', chr(10))) AS line`

/** A `FROM` source over `events` adding `x`, the row's `extra` parsed once. */
export const EXPORT_LINE_SOURCE = `(SELECT *, from_json(nullif(extra, ''), '${JSON.stringify(EXTRA_STRUCTURE)}') AS x FROM events)`
