/**
 * @module Amplitude's 55-key export record (query-api.md §2.4) built from a stored event row: every key
 * always present, `null` when missing, timestamps as UTC `YYYY-MM-DD HH:MM:SS.ffffff`.
 */
import { EXPORT_RECORD_KEYS } from '@ampkit/protocol'
import type { EventExtra, EventRow } from './event-row.ts'

export { EXPORT_RECORD_KEYS }

/** One export key. */
export type ExportRecordKey = (typeof EXPORT_RECORD_KEYS)[number]

/** An exported event: all 55 keys. */
export type ExportRecord = Record<ExportRecordKey, unknown>

/** Formats ms since the epoch as Amplitude's export timestamp: `2024-07-14 10:00:02.007000` (UTC). */
export function formatExportTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return null
  const iso = new Date(ms).toISOString()
  // ISO is `YYYY-MM-DDTHH:MM:SS.mmmZ`; the export has a space, no zone and microseconds.
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`
}

function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === '') return fallback
  return JSON.parse(text) as T
}

/** Builds the export record of one stored event. */
export function toExportRecord(row: EventRow): ExportRecord {
  const extra = parseJson<EventExtra>(row.extra, {})
  return {
    app: row.projectId,
    event_type: row.eventType,
    event_id: extra.event_id ?? null,
    uuid: row.uuid,
    $insert_id: row.insertId,
    $insert_key: null,
    $schema: null,
    user_id: row.userId,
    device_id: row.deviceId,
    amplitude_id: row.amplitudeId,
    session_id: row.sessionId,
    data_type: 'event',
    library: extra.library ?? null,
    event_time: formatExportTime(row.eventTimeMs),
    client_event_time: formatExportTime(extra.client_event_time_ms ?? row.eventTimeMs),
    client_upload_time: formatExportTime(extra.client_upload_time_ms),
    server_received_time: formatExportTime(extra.server_received_time_ms),
    server_upload_time: formatExportTime(row.serverUploadTimeMs),
    processed_time: formatExportTime(extra.processed_time_ms ?? row.serverUploadTimeMs),
    user_creation_time: formatExportTime(extra.user_creation_time_ms),
    event_properties: parseJson(row.eventProperties, {}),
    user_properties: parseJson(row.userProperties, {}),
    group_properties: parseJson(row.groupProperties, {}),
    groups: parseJson(row.groups, {}),
    global_user_properties: null,
    plan: extra.plan ?? {},
    data: extra.data ?? {},
    platform: row.platform,
    os_name: row.osName,
    os_version: row.osVersion,
    device_family: null,
    device_type: null,
    device_brand: extra.device_brand ?? null,
    device_carrier: extra.device_carrier ?? null,
    device_manufacturer: extra.device_manufacturer ?? null,
    device_model: row.deviceModel,
    language: row.language,
    ip_address: extra.ip_address ?? null,
    country: row.country,
    region: row.region,
    city: row.city,
    dma: extra.dma ?? null,
    location_lat: extra.location_lat ?? null,
    location_lng: extra.location_lng ?? null,
    adid: extra.adid ?? null,
    idfa: extra.idfa ?? null,
    amplitude_attribution_ids: null,
    amplitude_event_type: null,
    is_attribution_event: extra.is_attribution_event ?? null,
    partner_id: extra.partner_id ?? null,
    source_id: null,
    sample_rate: null,
    paying: extra.paying ?? null,
    start_version: extra.start_version ?? null,
    version_name: row.versionName,
  }
}
