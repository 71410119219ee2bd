import {
  invalidApiKeyBody,
  invalidEventsBody,
  missingFieldBody,
  payloadTooLargeBody,
  serverErrorBody,
  tooManyRequestsBody,
} from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
import {
  type BatchMember,
  classify,
  type Outcome,
  parseRetryAfterMs,
  type Verdict,
} from '../src/classify.ts'

const NOW = 1_700_000_000_000

function response(status: number, body: unknown, retryAfter?: string): Outcome {
  return {
    kind: 'response',
    status,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    retryAfter,
  }
}

const members = (n: number): BatchMember[] =>
  Array.from({ length: n }, (_, i) => ({ userId: `user-${i}`, deviceId: `device-${i}` }))

interface Row {
  name: string
  outcome: Outcome
  size?: number
  batch?: BatchMember[]
  expected: Partial<Verdict> & Record<string, unknown>
}

const rows: Row[] = [
  {
    name: '200 is delivered',
    outcome: response(200, { code: 200 }),
    expected: { kind: 'ok', status: 200 },
  },
  {
    name: '200 with a non-JSON body is delivered',
    outcome: response(200, 'success'),
    expected: { kind: 'ok' },
  },
  {
    name: '400 missing_field fails the batch',
    outcome: response(400, missingFieldBody('api_key')),
    expected: { kind: 'drop', reason: 'missing_field', status: 400 },
  },
  {
    name: '400 Invalid API key fails the batch',
    outcome: response(400, invalidApiKeyBody('<redacted>')),
    expected: { kind: 'drop', reason: 'invalid_api_key' },
  },
  {
    name: '400 invalid api key is matched case-insensitively',
    outcome: response(400, { code: 400, error: 'invalid api key' }),
    expected: { kind: 'drop', reason: 'invalid_api_key' },
  },
  {
    name: '400 with index lists drops exactly the listed events',
    size: 6,
    outcome: response(
      400,
      invalidEventsBody({
        events_with_invalid_fields: { time: [1, 3] },
        events_with_missing_fields: { event_type: [3] },
        events_with_invalid_id_lengths: { user_id: [5] },
      }),
    ),
    expected: {
      kind: 'partial',
      drops: [
        { index: 1, reason: 'invalid_event' },
        { index: 3, reason: 'invalid_event' },
        { index: 5, reason: 'invalid_event' },
      ],
      throttled: [],
    },
  },
  {
    name: '400 with silenced_events drops the silenced events and holds the throttled device',
    size: 8,
    outcome: response(400, {
      code: 400,
      error: 'Events silenced for device_id',
      eps_threshold: 100,
      exceeded_daily_quota_devices: {},
      silenced_devices: ['device-5'],
      silenced_events: [5, 6],
      throttled_devices: { 'device-3': 100 },
      throttled_events: [3, 4],
    }),
    expected: {
      kind: 'partial',
      drops: [
        { index: 5, reason: 'silenced' },
        { index: 6, reason: 'silenced' },
      ],
      throttled: [3, 4],
      throttledDevices: ['device-3'],
    },
  },
  {
    name: '400 ignores indices outside the batch',
    size: 2,
    outcome: response(400, invalidEventsBody({ events_with_invalid_fields: { time: [0, 9] } })),
    expected: { kind: 'partial', drops: [{ index: 0, reason: 'invalid_event' }] },
  },
  {
    name: '400 with nothing to act on fails the batch',
    outcome: response(400, { code: 400, error: 'Invalid JSON request body' }),
    expected: { kind: 'drop', reason: 'rejected' },
  },
  {
    name: '403 (WAF) fails the batch',
    outcome: response(403, { code: 403, error: 'Forbidden' }),
    expected: { kind: 'drop', reason: 'rejected', status: 403 },
  },
  {
    name: '404 fails the batch',
    outcome: response(404, 'Not Found'),
    expected: { kind: 'drop', reason: 'rejected' },
  },
  {
    name: '408 is retried',
    outcome: response(408, { code: 408 }),
    expected: { kind: 'retry', reason: 'timeout', afterMs: undefined },
  },
  {
    name: '413 with several events splits',
    size: 4,
    outcome: response(413, payloadTooLargeBody()),
    expected: { kind: 'split' },
  },
  {
    name: '413 with a single event fails it alone',
    size: 1,
    outcome: response(413, payloadTooLargeBody()),
    expected: { kind: 'drop', reason: 'payload_too_large' },
  },
  {
    name: '429 holds back only the throttled users and devices, for 30 s without Retry-After',
    size: 5,
    outcome: response(
      429,
      tooManyRequestsBody({
        throttledUsers: { 'user-1': 40 },
        throttledDevices: { 'device-2': 35 },
        throttledEvents: [1, 2],
      }),
    ),
    expected: {
      kind: 'partial',
      drops: [],
      throttled: [1, 2],
      throttleAfterMs: 30_000,
      throttledUsers: ['user-1'],
      throttledDevices: ['device-2'],
    },
  },
  {
    name: '429 honours Retry-After for the throttled users',
    size: 3,
    outcome: response(
      429,
      tooManyRequestsBody({ throttledUsers: { 'user-0': 40 }, throttledEvents: [0] }),
      '7',
    ),
    expected: { kind: 'partial', throttled: [0], throttleAfterMs: 7000 },
  },
  {
    name: '429 drops only the daily-quota users and devices',
    size: 4,
    outcome: response(
      429,
      tooManyRequestsBody({
        exceededDailyQuotaUsers: { 'user-0': 500_200 },
        exceededDailyQuotaDevices: { 'device-3': 500_100 },
        throttledEvents: [0, 3],
      }),
    ),
    expected: {
      kind: 'partial',
      drops: [
        { index: 0, reason: 'daily_quota' },
        { index: 3, reason: 'daily_quota' },
      ],
      throttled: [],
    },
  },
  {
    name: '429 that names nobody makes the whole batch wait for Retry-After',
    outcome: response(429, { code: 429, error: 'Too Many Requests' }, '2'),
    expected: { kind: 'retry', reason: 'rate_limited', afterMs: 2000 },
  },
  {
    name: '429 that names nobody and has no Retry-After waits 30 s',
    outcome: response(429, 'slow down'),
    expected: { kind: 'retry', reason: 'rate_limited', afterMs: 30_000 },
  },
  ...[500, 502, 503, 504].map(
    (status): Row => ({
      name: `${status} is retried with backoff`,
      outcome: response(status, serverErrorBody(status)),
      expected: { kind: 'retry', reason: 'server_error', status, afterMs: undefined },
    }),
  ),
  {
    name: '503 with Retry-After waits that long',
    outcome: response(503, serverErrorBody(503), '3'),
    expected: { kind: 'retry', afterMs: 3000 },
  },
  {
    name: '501 fails the batch (the server will not learn the method)',
    outcome: response(501, serverErrorBody(501)),
    expected: { kind: 'drop', reason: 'rejected' },
  },
  {
    name: '505 fails the batch',
    outcome: response(505, 'HTTP Version Not Supported'),
    expected: { kind: 'drop', reason: 'rejected' },
  },
  {
    name: '500 with a non-JSON body is retried',
    outcome: response(500, '<html>oops</html>'),
    expected: { kind: 'retry', reason: 'server_error' },
  },
  {
    name: 'a 500 body without code is retried (the status line decides)',
    outcome: response(500, { error: 'boom' }),
    expected: { kind: 'retry', reason: 'server_error' },
  },
  {
    name: 'a timeout is retried',
    outcome: { kind: 'error', error: 'timeout', message: 'no complete response within 10000 ms' },
    expected: { kind: 'retry', reason: 'timeout', status: 0 },
  },
  {
    name: 'ECONNREFUSED is retried',
    outcome: { kind: 'error', error: 'refused', message: 'ECONNREFUSED' },
    expected: { kind: 'retry', reason: 'connection_refused' },
  },
  {
    name: 'ECONNRESET is retried',
    outcome: { kind: 'error', error: 'reset', message: 'ECONNRESET' },
    expected: { kind: 'retry', reason: 'connection_reset' },
  },
  {
    name: 'another network failure is retried',
    outcome: { kind: 'error', error: 'network', message: 'ENOTFOUND' },
    expected: { kind: 'retry', reason: 'network' },
  },
  {
    name: 'an abort by shutdown fails the batch',
    outcome: { kind: 'error', error: 'aborted', message: 'aborted by shutdown' },
    expected: { kind: 'drop', reason: 'shutdown' },
  },
]

describe('classify', () => {
  it.each(rows)('$name', ({ outcome, size, batch, expected }) => {
    const verdict = classify({
      outcome,
      batch: batch ?? members(size ?? 3),
      nowMs: NOW,
      operation: 'POST /2/httpapi',
    })
    expect(verdict).toMatchObject(expected)
  })

  it('names the operation and the status in messages', () => {
    const verdict = classify({
      outcome: response(503, serverErrorBody(503)),
      batch: members(1),
      nowMs: NOW,
      operation: 'POST /batch',
    })
    expect(verdict).toMatchObject({ message: 'POST /batch failed: 503 Service Unavailable' })
  })

  it('holds the listed events own device when the 429 body names no user or device', () => {
    const verdict = classify({
      outcome: response(429, { code: 429, error: 'Too many', throttled_events: [1] }),
      batch: members(3),
      nowMs: NOW,
      operation: 'POST /2/httpapi',
    })
    expect(verdict).toMatchObject({
      kind: 'partial',
      throttled: [1],
      throttledDevices: ['device-1'],
    })
  })

  it('reads Retry-After as seconds or as an HTTP date, capped at 5 minutes', () => {
    expect(parseRetryAfterMs('12', NOW)).toBe(12_000)
    expect(parseRetryAfterMs(new Date(NOW + 4000).toUTCString(), NOW)).toBe(4000)
    expect(parseRetryAfterMs('99999', NOW)).toBe(300_000)
    expect(parseRetryAfterMs('soon', NOW)).toBeUndefined()
    expect(parseRetryAfterMs(undefined, NOW)).toBeUndefined()
  })
})
