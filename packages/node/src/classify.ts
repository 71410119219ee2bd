/**
 * @module The one place that decides what an HTTP outcome means for a batch. Pure: no clock, no I/O.
 * The publisher only switches on the verdict. Rules: ingestion-api.md §5–§7 and issue 2:
 * - 2xx: delivered.
 * - 400 `Invalid API key…` or `missing_field`: the whole batch fails (resending cannot help).
 * - 400 with index lists: exactly the listed events fail, the rest is resent at once.
 * - 413: split; a single event fails alone.
 * - 429: daily-quota users/devices fail, throttled ones wait (Retry-After, else 30 s), the rest is
 *   resent at once.
 * - 408, 5xx (but 501/505), timeouts, resets, refused connections: retry with backoff.
 * - Any other 4xx (403 WAF, 404 wrong URL, …) and 501/505 fail the batch: they will not change.
 */
import { THROTTLED_RETRY_AFTER_MS } from '@ampkit/protocol'
import type { DropReason } from './event-types.ts'

/** A failure before a complete response. */
export type NetworkErrorKind = 'timeout' | 'refused' | 'reset' | 'network' | 'aborted'

/** What happened to one request. */
export type Outcome =
  | { kind: 'response'; status: number; body: string; retryAfter: string | undefined }
  | { kind: 'error'; error: NetworkErrorKind; message: string }

/** Why a batch is retried. */
export type RetryReason =
  | 'server_error'
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'network'
  | 'rate_limited'
  | 'unexpected_status'

/** One event of the batch, as far as classification needs it. */
export interface BatchMember {
  userId: string | undefined
  deviceId: string | undefined
}

/** An event the verdict fails, by its index in the batch. */
export interface IndexedDrop {
  index: number
  reason: DropReason
}

/** What to do with a batch. `status` is the HTTP status, or 0 when there was no response. */
export type Verdict =
  | { kind: 'ok'; status: number }
  | {
      kind: 'retry'
      status: number
      reason: RetryReason
      /** The server's Retry-After, in ms, when it sent one; else the backoff decides. */
      afterMs: number | undefined
      message: string
    }
  | { kind: 'split'; status: number; message: string }
  | { kind: 'drop'; status: number; reason: DropReason; message: string }
  | {
      kind: 'partial'
      status: number
      message: string
      /** Events that fail now. */
      drops: IndexedDrop[]
      /** Events whose user or device is throttled: they wait `throttleAfterMs`. */
      throttled: number[]
      throttleAfterMs: number
      /** Users and devices to hold back, so their later events wait too. */
      throttledUsers: string[]
      throttledDevices: string[]
      /** Every other event is resent at once. */
    }

/** Longest Retry-After honoured, in ms; a larger value is capped (a misconfigured proxy). */
export const MAX_RETRY_AFTER_MS = 300_000

/** Input of `classify`. */
export interface ClassifyInput {
  outcome: Outcome
  batch: readonly BatchMember[]
  /** Now, in ms, for an HTTP-date Retry-After. */
  nowMs: number
  /** Names the request in messages, e.g. `POST /2/httpapi`. */
  operation: string
}

/** Parses Retry-After (delta seconds or HTTP-date) into ms, capped; undefined when absent or bad. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (trimmed === '') return undefined
  let ms: number
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000
  else {
    const date = Date.parse(trimmed)
    if (Number.isNaN(date)) return undefined
    ms = date - nowMs
  }
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS)
}

type Json = Record<string, unknown>

function parseBody(body: string): Json {
  try {
    const parsed: unknown = JSON.parse(body)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Json)
      : {}
  } catch {
    return {}
  }
}

function errorText(body: Json, raw: string): string {
  if (typeof body.error === 'string') return body.error
  const text = raw.trim()
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

function indexList(value: unknown, size: number): number[] {
  if (!Array.isArray(value)) return []
  return value.filter((i): i is number => Number.isInteger(i) && i >= 0 && i < size)
}

/** Indices of an index map (`{ field: [i…] }`). */
function indexMap(value: unknown, size: number): number[] {
  if (typeof value !== 'object' || value === null) return []
  const out: number[] = []
  for (const list of Object.values(value)) out.push(...indexList(list, size))
  return out
}

function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.keys(value)
    : []
}

const RETRY_NETWORK: Record<Exclude<NetworkErrorKind, 'aborted'>, RetryReason> = {
  timeout: 'timeout',
  refused: 'connection_refused',
  reset: 'connection_reset',
  network: 'network',
}

/** Turns one outcome into a verdict for the batch. */
export function classify(input: ClassifyInput): Verdict {
  const { outcome, batch, operation } = input
  if (outcome.kind === 'error') {
    const message = `${operation} failed: ${outcome.message}`
    if (outcome.error === 'aborted') return { kind: 'drop', status: 0, reason: 'shutdown', message }
    return {
      kind: 'retry',
      status: 0,
      reason: RETRY_NETWORK[outcome.error],
      afterMs: undefined,
      message,
    }
  }
  const { status } = outcome
  if (status >= 200 && status < 300) return { kind: 'ok', status }
  const body = parseBody(outcome.body)
  const error = errorText(body, outcome.body)
  const message = `${operation} failed: ${status}${error === '' ? '' : ` ${error}`}`
  const retryAfterMs = parseRetryAfterMs(outcome.retryAfter, input.nowMs)

  if (status === 400) return classifyBadRequest(body, error, message, batch)
  if (status === 413) {
    if (batch.length > 1) return { kind: 'split', status, message }
    return { kind: 'drop', status, reason: 'payload_too_large', message }
  }
  if (status === 429) return classifyTooManyRequests(body, message, batch, retryAfterMs)
  if (status === 408) {
    return { kind: 'retry', status, reason: 'timeout', afterMs: retryAfterMs, message }
  }
  if (status === 501 || status === 505) return { kind: 'drop', status, reason: 'rejected', message }
  if (status >= 500) {
    return { kind: 'retry', status, reason: 'server_error', afterMs: retryAfterMs, message }
  }
  if (status >= 400) return { kind: 'drop', status, reason: 'rejected', message }
  // 1xx/3xx cannot be final answers from an ingestion endpoint; resending is the safe guess.
  return { kind: 'retry', status, reason: 'unexpected_status', afterMs: retryAfterMs, message }
}

function classifyBadRequest(
  body: Json,
  error: string,
  message: string,
  batch: readonly BatchMember[],
): Verdict {
  // Matched case-insensitively by prefix, as the Kotlin SDK does; the key itself was redacted
  // before classification.
  if (error.toLowerCase().startsWith('invalid api key')) {
    return { kind: 'drop', status: 400, reason: 'invalid_api_key', message }
  }
  if (typeof body.missing_field === 'string') {
    return {
      kind: 'drop',
      status: 400,
      reason: 'missing_field',
      message: `${message} (missing_field: ${body.missing_field})`,
    }
  }
  const size = batch.length
  const drops = new Map<number, 'invalid_event' | 'silenced' | 'daily_quota'>()
  for (const key of [
    'events_with_invalid_fields',
    'events_with_missing_fields',
    'events_with_invalid_id_lengths',
  ]) {
    for (const index of indexMap(body[key], size)) drops.set(index, 'invalid_event')
  }
  for (const index of indexList(body.silenced_events, size)) {
    if (!drops.has(index)) drops.set(index, 'silenced')
  }
  const quotaDevices = new Set(keysOf(body.exceeded_daily_quota_devices))
  for (let index = 0; index < size; index++) {
    const deviceId = batch[index]?.deviceId
    if (deviceId !== undefined && quotaDevices.has(deviceId) && !drops.has(index)) {
      drops.set(index, 'daily_quota')
    }
  }
  const throttle = throttledOf(body, batch, drops)
  if (drops.size === 0 && throttle.throttled.length === 0) {
    // A 400 without anything to act on would fail the same way again.
    return { kind: 'drop', status: 400, reason: 'rejected', message }
  }
  return {
    kind: 'partial',
    status: 400,
    message,
    drops: [...drops].map(([index, reason]) => ({ index, reason })),
    ...throttle,
    throttleAfterMs: THROTTLED_RETRY_AFTER_MS,
  }
}

function classifyTooManyRequests(
  body: Json,
  message: string,
  batch: readonly BatchMember[],
  retryAfterMs: number | undefined,
): Verdict {
  const quotaUsers = new Set(keysOf(body.exceeded_daily_quota_users))
  const quotaDevices = new Set(keysOf(body.exceeded_daily_quota_devices))
  const drops = new Map<number, DropReason>()
  for (let index = 0; index < batch.length; index++) {
    const member = batch[index] as BatchMember
    if (
      (member.userId !== undefined && quotaUsers.has(member.userId)) ||
      (member.deviceId !== undefined && quotaDevices.has(member.deviceId))
    ) {
      drops.set(index, 'daily_quota')
    }
  }
  const throttle = throttledOf(body, batch, drops)
  const afterMs = retryAfterMs ?? THROTTLED_RETRY_AFTER_MS
  if (drops.size === 0 && throttle.throttled.length === 0) {
    // A 429 that names nobody (e.g. from a proxy): the whole batch waits.
    return { kind: 'retry', status: 429, reason: 'rate_limited', afterMs, message }
  }
  return {
    kind: 'partial',
    status: 429,
    message,
    drops: [...drops].map(([index, reason]) => ({ index, reason })),
    ...throttle,
    throttleAfterMs: afterMs,
  }
}

/**
 * Throttled events: those listed in `throttled_events` plus those whose user or device is in
 * `throttled_users`/`throttled_devices`. When the body names no user or device, the listed events'
 * own ids are held back (device first, as Amplitude counts per device).
 */
function throttledOf(
  body: Json,
  batch: readonly BatchMember[],
  drops: ReadonlyMap<number, unknown>,
): { throttled: number[]; throttledUsers: string[]; throttledDevices: string[] } {
  const users = new Set(keysOf(body.throttled_users))
  const devices = new Set(keysOf(body.throttled_devices))
  const listed = new Set(indexList(body.throttled_events, batch.length))
  const throttled: number[] = []
  const derivedUsers = new Set<string>()
  const derivedDevices = new Set<string>()
  for (let index = 0; index < batch.length; index++) {
    if (drops.has(index)) continue
    const member = batch[index] as BatchMember
    const byId =
      (member.userId !== undefined && users.has(member.userId)) ||
      (member.deviceId !== undefined && devices.has(member.deviceId))
    if (!byId && !listed.has(index)) continue
    throttled.push(index)
    if (!byId && users.size === 0 && devices.size === 0) {
      if (member.deviceId !== undefined) derivedDevices.add(member.deviceId)
      else if (member.userId !== undefined) derivedUsers.add(member.userId)
    }
  }
  return {
    throttled,
    throttledUsers: [...users, ...derivedUsers],
    throttledDevices: [...devices, ...derivedDevices],
  }
}
