/**
 * @module The exported event record of the Export API (query-api.md §2.4): the same 55 keys on every
 * row, `null` when missing; timestamps are UTC strings `YYYY-MM-DD HH:MM:SS.ffffff`.
 */

/** The 55 keys of an exported event, in the order the records are written. */
export const EXPORT_RECORD_KEYS = [
  'app',
  'event_type',
  'event_id',
  'uuid',
  '$insert_id',
  '$insert_key',
  '$schema',
  'user_id',
  'device_id',
  'amplitude_id',
  'session_id',
  'data_type',
  'library',
  'event_time',
  'client_event_time',
  'client_upload_time',
  'server_received_time',
  'server_upload_time',
  'processed_time',
  'user_creation_time',
  'event_properties',
  'user_properties',
  'group_properties',
  'groups',
  'global_user_properties',
  'plan',
  'data',
  'platform',
  'os_name',
  'os_version',
  'device_family',
  'device_type',
  'device_brand',
  'device_carrier',
  'device_manufacturer',
  'device_model',
  'language',
  'ip_address',
  'country',
  'region',
  'city',
  'dma',
  'location_lat',
  'location_lng',
  'adid',
  'idfa',
  'amplitude_attribution_ids',
  'amplitude_event_type',
  'is_attribution_event',
  'partner_id',
  'source_id',
  'sample_rate',
  'paying',
  'start_version',
  'version_name',
] as const

/** One exported event, as the Export API writes it. */
export interface ExportedEvent {
  app: number
  event_type: string
  event_id: number | null
  uuid: string
  $insert_id: string | null
  $insert_key: null
  $schema: number | null
  user_id: string | null
  device_id: string | null
  amplitude_id: number
  /** Epoch ms of the session start; -1 outside sessions. */
  session_id: number
  data_type: string
  library: string | null
  event_time: string
  client_event_time: string | null
  client_upload_time: string | null
  server_received_time: string
  server_upload_time: string
  processed_time: string | null
  user_creation_time: string | null
  event_properties: Record<string, unknown>
  user_properties: Record<string, unknown>
  group_properties: Record<string, unknown>
  groups: Record<string, unknown>
  global_user_properties: Record<string, unknown> | null
  plan: Record<string, unknown>
  data: Record<string, unknown>
  [key: string]: unknown
}
