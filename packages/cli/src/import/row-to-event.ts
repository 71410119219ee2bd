/**
 * @module Turns a parsed row into the event to send, or says why it cannot be sent: the time
 * normalised to epoch ms, Amplitude's own validation (`validateEvent`, the rules the server applies),
 * and a deterministic `insert_id` when the row has none.
 */
import { validateEvent } from '@ampkit/protocol'
import { deriveInsertId } from './insert-id.ts'
import { parseEventTime } from './parse-time.ts'

/** A row's outcome. */
export type RowResult =
  | { ok: true; event: Record<string, unknown> & { event_type: string } }
  | { ok: false; error: string }

/** Validates and completes one row. */
export function rowToEvent(row: unknown, namespace: string): RowResult {
  if (typeof row !== 'object' || row === null || Array.isArray(row))
    return { ok: false, error: 'not a JSON object' }
  const event = row as Record<string, unknown>
  if (event.time !== undefined && event.time !== null) {
    const time = parseEventTime(event.time)
    if (time === undefined)
      return {
        ok: false,
        error: `time: ${JSON.stringify(event.time)} is not ISO 8601, epoch ms or seconds`,
      }
    event.time = time
  }
  const findings = validateEvent(event)
  if (findings.length > 0) {
    const why = findings
      .map((f) =>
        f.kind === 'missing_field' && f.field === 'device_id'
          ? 'user_id or device_id: missing field'
          : `${f.field}: ${f.kind.replace(/_/g, ' ')}`,
      )
      .join('; ')
    return { ok: false, error: why }
  }
  if (typeof event.insert_id !== 'string' || event.insert_id === '')
    event.insert_id = deriveInsertId(event, namespace)
  return { ok: true, event: event as Record<string, unknown> & { event_type: string } }
}
