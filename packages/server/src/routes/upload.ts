/**
 * @module `POST /2/httpapi` and `POST /batch`, checked in the spec's order (ingestion-api.md §8):
 * JSON parse → `api_key`/`events` present → key known → size/count (413) → per-event checks → rate
 * limits (429) → store → 200 with all four fields. Every refusal rejects the whole request.
 */
import {
  BATCH_EPS_LIMIT,
  DEFAULT_MIN_ID_LENGTH,
  exceedsEventCount,
  invalidApiKeyBody,
  invalidEventsBody,
  MAX_BATCH_REQUEST_BYTES,
  MAX_GROUP_TYPES_PER_EVENT,
  MAX_GROUP_VALUES_PER_TYPE,
  MAX_HTTP_V2_REQUEST_BYTES,
  normalizeEvent,
  payloadTooLargeBody,
  readUploadEnvelope,
  successBody,
  tooManyRequestsBody,
  validateEvents,
  type WireEvent,
} from '@ampkit/protocol'
import { readRequestBody } from '../body-reader.ts'
import { ApiError } from '../errors.ts'
import { inspectItems, withTooDeep } from '../nesting.ts'
import type { Project } from '../projects.ts'
import type { RateLimiter } from '../rate-limiter.ts'
import { jsonResponse } from '../responses.ts'
import type { RouteContext } from './context.ts'
import { assertJsonContentType, parseJsonBody } from './json-body.ts'

/** The two JSON upload endpoints. */
export type UploadPath = '/2/httpapi' | '/batch'

/** The byte cap of an upload endpoint, counted on the decompressed body. */
export function uploadByteLimit(path: UploadPath): number {
  return path === '/2/httpapi' ? MAX_HTTP_V2_REQUEST_BYTES : MAX_BATCH_REQUEST_BYTES
}

/** Handles one upload request. */
export async function handleUpload(context: RouteContext, path: UploadPath): Promise<Response> {
  const { request, projects, store } = context
  assertJsonContentType(request)
  // The byte limit is enforced while the body streams in, so it necessarily comes before the JSON
  // parse; the event-count 413 keeps its place after the key check.
  const { bytes } = await readRequestBody(request, {
    maxBytes: uploadByteLimit(path),
    timeoutMs: context.bodyTimeoutMs,
  })
  const parsed = parseJsonBody(bytes)
  const outcome = readUploadEnvelope(parsed)
  if (!outcome.ok) throw new ApiError(400, { ...outcome.body })
  const { apiKey, events, minIdLength } = outcome.envelope
  context.notes.events = events.length
  const project = projects.byApiKey(apiKey)
  if (project === undefined) throw new ApiError(400, { ...invalidApiKeyBody(apiKey) })
  if (exceedsEventCount(events)) throw new ApiError(413, { ...payloadTooLargeBody() })
  const validation = minIdLength === undefined ? {} : { minIdLength }
  const inspection = inspectItems(events)
  const findings = withTooDeep(validateEvents(events, validation), inspection.tooDeep)
  if (findings !== undefined) throw new ApiError(400, { ...invalidEventsBody(findings) })
  const minimum = minIdLength ?? DEFAULT_MIN_ID_LENGTH
  // Normalising copies every value; most events need none of it, and they are fresh from
  // JSON.parse, so they are passed on as they are.
  const normalized = events.map((event, index) =>
    inspection.longStrings.has(index) || needsNormalizing(event as WireEvent, minimum)
      ? normalizeEvent(event as WireEvent, validation)
      : (event as WireEvent),
  )

  const limiter = path === '/2/httpapi' ? context.limiters.httpV2 : context.limiters.batch
  const quota = path === '/batch' ? context.limiters.batchDailyQuota : undefined
  const receivedAtMs = context.now()
  const counts = limiter || quota ? countByKey(project.id, normalized) : undefined
  if (counts)
    assertUnderLimits({ limiter, quota, counts, events: normalized, project, receivedAtMs })

  // Nothing below the store call refers to the body or its events, so they can be collected as
  // soon as the store has prepared them rather than after the commit (less GC per request).
  const eventCount = normalized.length
  const bodyBytes = bytes.byteLength
  await store.ingestEvents(normalized, {
    projectId: project.id,
    receivedAtMs,
    clientUploadTimeMs: clientUploadTime(parsed),
    path,
    sourceIp: context.remoteAddress,
    userPropertyBudget: context.limiters.userProperties,
  })
  if (counts) {
    limiter?.record(counts, receivedAtMs)
    quota?.record(counts, receivedAtMs)
  }
  // `events_ingested` counts every event accepted, duplicates included: whether Amplitude counts
  // de-duplicated events is unconfirmed, and a count equal to what was sent is what the SDKs and
  // people expect from a 200 (de-duplication is visible in the stored data, not in this number).
  return jsonResponse(200, successBody(eventCount, bodyBytes, receivedAtMs))
}

/** True when `normalizeEvent` would change more than long strings (checked separately). */
function needsNormalizing(event: WireEvent, minIdLength: number): boolean {
  for (const field of ['user_id', 'device_id'] as const) {
    const id = event[field] as unknown
    if (id === null || (typeof id === 'string' && id.length < minIdLength)) return true
  }
  const groups = event.groups
  if (groups === undefined || groups === null) return false
  const types = Object.values(groups)
  if (types.length > MAX_GROUP_TYPES_PER_EVENT) return true
  return types.some((value) => Array.isArray(value) && value.length > MAX_GROUP_VALUES_PER_TYPE)
}

function clientUploadTime(parsed: unknown): number | undefined {
  const value = (parsed as { client_upload_time?: unknown }).client_upload_time
  if (typeof value !== 'string') return undefined
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? ms : undefined
}

function userKey(projectId: number, userId: string): string {
  return `${projectId}\u0000u\u0000${userId}`
}

function deviceKey(projectId: number, deviceId: string): string {
  return `${projectId}\u0000d\u0000${deviceId}`
}

function countByKey(projectId: number, events: readonly WireEvent[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const event of events) {
    if (typeof event.user_id === 'string') {
      const key = userKey(projectId, event.user_id)
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    if (typeof event.device_id === 'string') {
      const key = deviceKey(projectId, event.device_id)
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  }
  return counts
}

/**
 * Throws Amplitude's 429 when a user or device would pass the rate limit (or the daily quota). The
 * whole request is refused and nothing is counted, so a client that retries only the throttled
 * events later is not held back by its own refused attempts.
 */
function assertUnderLimits(check: {
  limiter: RateLimiter | undefined
  quota: RateLimiter | undefined
  counts: Map<string, number>
  events: readonly WireEvent[]
  project: Project
  receivedAtMs: number
}): void {
  const { limiter, quota, counts, events, project, receivedAtMs } = check
  const rates = limiter?.exceeding(counts, receivedAtMs) ?? new Map<string, number>()
  const daily = quota?.exceedingCount(counts, receivedAtMs) ?? new Map<string, number>()
  if (rates.size === 0 && daily.size === 0) return
  const throttledUsers: Record<string, number> = {}
  const throttledDevices: Record<string, number> = {}
  const quotaUsers: Record<string, number> = {}
  const quotaDevices: Record<string, number> = {}
  const throttledEvents: number[] = []
  events.forEach((event, index) => {
    let throttled = false
    const note = (id: unknown, key: (projectId: number, id: string) => string, kind: 'u' | 'd') => {
      if (typeof id !== 'string') return
      const rate = rates.get(key(project.id, id))
      if (rate !== undefined) (kind === 'u' ? throttledUsers : throttledDevices)[id] = rate
      const count = daily.get(key(project.id, id))
      if (count !== undefined) (kind === 'u' ? quotaUsers : quotaDevices)[id] = count
      if (rate !== undefined || count !== undefined) throttled = true
    }
    note(event.user_id, userKey, 'u')
    note(event.device_id, deviceKey, 'd')
    if (throttled) throttledEvents.push(index)
  })
  // No Retry-After header: Amplitude's 429 is not known to send one; clients wait their own
  // advised time (30 s HTTP V2, 15 s Batch). A fault rule can add one to test a client.
  throw new ApiError(429, {
    ...tooManyRequestsBody({
      epsThreshold: limiter?.options.epsLimit ?? BATCH_EPS_LIMIT,
      throttledUsers,
      throttledDevices,
      throttledEvents,
      ...(quota && {
        exceededDailyQuotaUsers: quotaUsers,
        exceededDailyQuotaDevices: quotaDevices,
      }),
    }),
  })
}
