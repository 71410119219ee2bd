import { describe, expect, it } from 'vitest'
import { type ClassifyContext, classify, parseRetryAfterMs } from '../src/index.ts'

const base: ClassifyContext = {
  attempt: 1,
  maxAttempts: 3,
  idempotent: true,
  retryRateLimits: true,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
  nowMs: Date.UTC(2024, 6, 14, 10, 0, 0),
  random: 0,
}

describe('classify', () => {
  const table: [string, Parameters<typeof classify>[0], Partial<ClassifyContext>, unknown][] = [
    ['200 is ok', { type: 'response', status: 200 }, {}, { action: 'ok' }],
    ['202 is ok', { type: 'response', status: 202 }, {}, { action: 'ok' }],
    [
      '401 fails as auth',
      { type: 'response', status: 401 },
      {},
      { action: 'fail', reason: 'auth' },
    ],
    [
      '403 fails as auth',
      { type: 'response', status: 403 },
      {},
      { action: 'fail', reason: 'auth' },
    ],
    [
      '404 fails as not found',
      { type: 'response', status: 404 },
      {},
      { action: 'fail', reason: 'not-found' },
    ],
    [
      '409 fails as conflict',
      { type: 'response', status: 409 },
      {},
      { action: 'fail', reason: 'conflict' },
    ],
    [
      '400 fails as bad request',
      { type: 'response', status: 400 },
      {},
      { action: 'fail', reason: 'bad-request' },
    ],
    [
      '422 fails as bad request',
      { type: 'response', status: 422 },
      {},
      { action: 'fail', reason: 'bad-request' },
    ],
    [
      '429 without a hint backs off',
      { type: 'response', status: 429 },
      {},
      { action: 'retry', delayMs: 500 },
    ],
    [
      '429 honours Retry-After in seconds',
      { type: 'response', status: 429, retryAfter: '7' },
      {},
      { action: 'retry', delayMs: 7000, retryAfterMs: 7000 },
    ],
    [
      '429 honours Retry-After as an HTTP date',
      { type: 'response', status: 429, retryAfter: 'Sun, 14 Jul 2024 10:00:03 GMT' },
      {},
      { action: 'retry', delayMs: 3000, retryAfterMs: 3000 },
    ],
    [
      '429 is retried for a POST too',
      { type: 'response', status: 429 },
      { idempotent: false },
      { action: 'retry', delayMs: 500 },
    ],
    [
      '429 on the last attempt fails as rate limited',
      { type: 'response', status: 429, retryAfter: '1' },
      { attempt: 3 },
      { action: 'fail', reason: 'rate-limited', retryAfterMs: 1000 },
    ],
    [
      '429 with a Retry-After beyond the cap fails at once',
      { type: 'response', status: 429, retryAfter: '3600' },
      {},
      { action: 'fail', reason: 'rate-limited', retryAfterMs: 3_600_000 },
    ],
    [
      '429 is not retried where the caller counts them',
      { type: 'response', status: 429 },
      { retryRateLimits: false },
      { action: 'fail', reason: 'rate-limited' },
    ],
    [
      '503 of a GET is retried with backoff',
      { type: 'response', status: 503 },
      { attempt: 2 },
      { action: 'retry', delayMs: 1000 },
    ],
    [
      '503 of a POST fails (it may have been applied)',
      { type: 'response', status: 503 },
      { idempotent: false },
      { action: 'fail', reason: 'server' },
    ],
    [
      '500 on the last attempt fails as server',
      { type: 'response', status: 500 },
      { attempt: 3 },
      { action: 'fail', reason: 'server' },
    ],
    [
      'a network error of a GET is retried',
      { type: 'network' },
      {},
      { action: 'retry', delayMs: 500 },
    ],
    [
      'a network error of a POST fails',
      { type: 'network' },
      { idempotent: false },
      { action: 'fail', reason: 'network' },
    ],
    ['a timeout of a GET is retried', { type: 'timeout' }, {}, { action: 'retry', delayMs: 500 }],
    [
      'a timeout on the last attempt fails',
      { type: 'timeout' },
      { attempt: 3 },
      { action: 'fail', reason: 'timeout' },
    ],
  ]
  it.each(table)('%s', (_name, outcome, context, verdict) => {
    expect(classify(outcome, { ...base, ...context })).toEqual(verdict)
  })

  it('caps the backoff at maxDelayMs and keeps jitter within [0.5, 1) of it', () => {
    const low = classify({ type: 'network' }, { ...base, attempt: 2, maxAttempts: 99, random: 0 })
    const high = classify(
      { type: 'network' },
      { ...base, attempt: 20, maxAttempts: 99, random: 0.999 },
    )
    expect(low).toEqual({ action: 'retry', delayMs: 1000 })
    expect(high).toMatchObject({ action: 'retry' })
    expect((high as { delayMs: number }).delayMs).toBeLessThanOrEqual(30_000)
    expect((high as { delayMs: number }).delayMs).toBeGreaterThan(29_000)
  })
})

describe('parseRetryAfterMs', () => {
  it('reads seconds, HTTP dates (a past date is 0) and ignores anything else', () => {
    const now = Date.UTC(2024, 6, 14, 10, 0, 0)
    expect(parseRetryAfterMs('2', now)).toBe(2000)
    expect(parseRetryAfterMs('Sun, 14 Jul 2024 10:00:10 GMT', now)).toBe(10_000)
    expect(parseRetryAfterMs('Sun, 14 Jul 2024 09:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfterMs('soon', now)).toBeUndefined()
    expect(parseRetryAfterMs(null, now)).toBeUndefined()
    expect(parseRetryAfterMs('-1', now)).toBeUndefined()
  })
})
