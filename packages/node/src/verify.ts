/**
 * @module `verify()`: checks the API key and the endpoint at start-up without ingesting anything.
 * It sends the key with one deliberately invalid event (no user or device id, a string `time`).
 * Amplitude checks the key before the events (ingestion-api.md §8: fields → key → size → events), so:
 * - 400 `Invalid API key…` → the key is wrong;
 * - 400 with index lists (or any other 400 that is not about the envelope) → the key is known and
 *   the event was refused, so nothing was stored: verified;
 * - 200 → the endpoint ingested an invalid event, so it is probably not Amplitude: reported as a
 *   failure (`unexpected_response`);
 * - no response → unreachable.
 */
import { classify } from './classify.ts'
import { redact } from './redact.ts'
import type { Clock } from './timers.ts'
import { type FetchLike, post } from './transport.ts'

/** What `verify()` found. */
export type VerifyResult =
  | { ok: true; status: number; message: string }
  | {
      ok: false
      reason: 'invalid_api_key' | 'unreachable' | 'unexpected_response' | 'disabled'
      status: number
      message: string
    }

/** The verification request body. */
export function verificationBody(apiKey: string): string {
  return JSON.stringify({
    api_key: apiKey,
    events: [{ event_type: '$ampkit_verify', time: 'not-a-timestamp' }],
  })
}

/** Sends the verification request and interprets the answer. */
export async function verifyEndpoint(
  fetchFn: FetchLike,
  clock: Clock,
  request: { url: string; apiKey: string; timeoutMs: number; operation: string },
): Promise<VerifyResult> {
  const outcome = await post(fetchFn, clock, {
    url: request.url,
    body: verificationBody(request.apiKey),
    gzip: false,
    timeoutMs: request.timeoutMs,
    signal: new AbortController().signal,
  })
  if (outcome.kind === 'error') {
    return {
      ok: false,
      reason: 'unreachable',
      status: 0,
      message: `${request.operation} failed: ${redact(outcome.message, request.apiKey)}`,
    }
  }
  const redacted = { ...outcome, body: redact(outcome.body, request.apiKey) }
  const verdict = classify({
    outcome: redacted,
    batch: [{ userId: undefined, deviceId: undefined }],
    nowMs: clock.now(),
    operation: request.operation,
  })
  const message =
    verdict.kind === 'ok' ? `${request.operation}: ${outcome.status}` : verdict.message
  if (verdict.kind === 'drop' && verdict.reason === 'invalid_api_key') {
    return { ok: false, reason: 'invalid_api_key', status: 400, message }
  }
  if (outcome.status === 400 && !(verdict.kind === 'drop' && verdict.reason === 'missing_field')) {
    return {
      ok: true,
      status: 400,
      message: 'API key accepted; the verification event was refused, as intended',
    }
  }
  return {
    ok: false,
    reason: 'unexpected_response',
    status: outcome.status,
    message:
      outcome.status === 200
        ? `${request.operation} accepted a deliberately invalid event: the endpoint is probably not Amplitude`
        : message,
  }
}
