/**
 * @module The request-level checks of HTTP V2 and Batch, in the spec's order (ingestion-api.md §8):
 * fields present → (key known, done by the server) → size or count → per-event checks.
 */
import { MAX_EVENTS_PER_REQUEST } from './limits.ts'
import { missingFieldBody } from './response-bodies.ts'
import type { InvalidRequestBody } from './wire.ts'

/** A request envelope whose fields are present and well typed. */
export interface UploadEnvelope {
  apiKey: string
  events: unknown[]
  /** From `options.min_id_length`, when the request sets it. */
  minIdLength: number | undefined
}

/** Either the envelope, or Amplitude's 400 body for it. */
export type EnvelopeOutcome =
  | { ok: true; envelope: UploadEnvelope }
  | { ok: false; body: InvalidRequestBody }

/**
 * Reads `api_key`, `events` and `options.min_id_length` from a parsed JSON body. Unknown top-level keys
 * (`client_upload_time`, `request_metadata`) are ignored, as SDKs send them.
 */
export function readUploadEnvelope(parsed: unknown): EnvelopeOutcome {
  const body = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {}
  const { api_key: apiKey, events, options } = body as Record<string, unknown>
  if (typeof apiKey !== 'string' || apiKey === '')
    return { ok: false, body: missingFieldBody('api_key') }
  // An empty or non-array `events` carries nothing to ingest; Amplitude names the field as missing.
  if (!Array.isArray(events) || events.length === 0)
    return { ok: false, body: missingFieldBody('events') }
  let minIdLength: number | undefined
  if (typeof options === 'object' && options !== null) {
    const value = (options as Record<string, unknown>).min_id_length
    if (value !== undefined && value !== null) {
      // A request-level bad option: answered like a missing field so that SDKs drop the batch rather
      // than retry it unchanged (the exact body is unconfirmed).
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
        return { ok: false, body: missingFieldBody('options.min_id_length') }
      minIdLength = value
    }
  }
  return { ok: true, envelope: { apiKey, events, minIdLength } }
}

/** True when a request holds more events than Amplitude takes in one request (answered 413). */
export function exceedsEventCount(events: readonly unknown[]): boolean {
  return events.length > MAX_EVENTS_PER_REQUEST
}
