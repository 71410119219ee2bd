/**
 * @module Amplitude's exact response bodies and error strings (../shared/spec/ingestion-api.md §5).
 * The server renders these; the client's classifier reads them. `code` is always the HTTP status,
 * because the TypeScript SDK reads the status from the body and retries a body without one.
 */
import { HTTP_V2_EPS_LIMIT } from './limits.ts'
import type {
  IndexMap,
  InvalidRequestBody,
  PayloadTooLargeBody,
  SuccessBody,
  TooManyRequestsBody,
} from './wire.ts'

/** The `error` strings Amplitude's 400 bodies use. */
export const ERROR_MESSAGES = {
  invalidPath: 'Invalid request path',
  missingBody: 'Missing request body',
  invalidJson: 'Invalid JSON request body',
  missingField: 'Request missing required field',
  invalidEventJson: 'Invalid event JSON',
  invalidApiKey: 'Invalid API key',
  invalidFieldValues: 'Invalid field values on some events',
  payloadTooLarge: 'Payload too large',
  tooManyRequests: 'Too many requests for some devices and users',
  forbidden: 'Forbidden',
  serviceUnavailable: 'Service Unavailable',
  internalError: 'Internal Server Error',
} as const

/** 200 body for HTTP V2 and Batch. */
export function successBody(
  eventsIngested: number,
  payloadSizeBytes: number,
  serverUploadTimeMs: number,
): SuccessBody {
  return {
    code: 200,
    events_ingested: eventsIngested,
    payload_size_bytes: payloadSizeBytes,
    server_upload_time: serverUploadTimeMs,
  }
}

/** 400 for a request that lacks `api_key` or `events`. */
export function missingFieldBody(field: string): InvalidRequestBody {
  return { code: 400, error: ERROR_MESSAGES.missingField, missing_field: field }
}

/**
 * 400 for an unknown key. Amplitude answers `Invalid API key: <key>` and the Python SDK matches that
 * prefix with the colon, so the sender's own key is echoed back to the sender, and only there: the
 * server never logs it and the client redacts it from every message it surfaces.
 */
export function invalidApiKeyBody(apiKey: string): InvalidRequestBody {
  return { code: 400, error: `${ERROR_MESSAGES.invalidApiKey}: ${apiKey}` }
}

/** 400 with a plain error string (bad JSON, missing body, bad path). */
export function badRequestBody(error: string): InvalidRequestBody {
  return { code: 400, error }
}

/** The per-event findings of validation, as Amplitude's index maps. */
export interface EventIndexMaps {
  events_with_invalid_fields?: IndexMap
  events_with_missing_fields?: IndexMap
  events_with_invalid_id_lengths?: IndexMap
}

/** 400 for a request whose events fail validation; the whole request is rejected. */
export function invalidEventsBody(maps: EventIndexMaps): InvalidRequestBody {
  return { code: 400, error: ERROR_MESSAGES.invalidFieldValues, ...maps }
}

/** 413 body. */
export function payloadTooLargeBody(): PayloadTooLargeBody {
  return { code: 413, error: ERROR_MESSAGES.payloadTooLarge }
}

/** 429 body for throttled users and devices (and, on Batch, daily-quota ones). */
export function tooManyRequestsBody(details: {
  epsThreshold?: number
  throttledUsers?: Record<string, number>
  throttledDevices?: Record<string, number>
  throttledEvents?: number[]
  exceededDailyQuotaUsers?: Record<string, number>
  exceededDailyQuotaDevices?: Record<string, number>
}): TooManyRequestsBody {
  const body: TooManyRequestsBody = {
    code: 429,
    error: ERROR_MESSAGES.tooManyRequests,
    eps_threshold: details.epsThreshold ?? HTTP_V2_EPS_LIMIT,
    throttled_devices: details.throttledDevices ?? {},
    throttled_users: details.throttledUsers ?? {},
    throttled_events: details.throttledEvents ?? [],
  }
  if (details.exceededDailyQuotaUsers)
    body.exceeded_daily_quota_users = details.exceededDailyQuotaUsers
  if (details.exceededDailyQuotaDevices)
    body.exceeded_daily_quota_devices = details.exceededDailyQuotaDevices
  return body
}

/** 5xx body; the shape is unconfirmed, so it follows the other bodies: `code` and `error`. */
export function serverErrorBody(status: number, error?: string): { code: number; error: string } {
  const fallback = status === 503 ? ERROR_MESSAGES.serviceUnavailable : ERROR_MESSAGES.internalError
  return { code: status, error: error ?? fallback }
}
