/**
 * @module The one pure decision about an HTTP outcome: `ok`, `retry` after a delay, or `fail` with a
 * reason. The transport's retry loop only switches on this verdict (STYLE.md). Rules: 429 is retried
 * for every method (the request was refused, not processed), honouring `Retry-After`; 5xx, network
 * errors and timeouts only for idempotent requests (a POST that timed out may have been applied).
 */

/** What one attempt produced. */
export type Outcome =
  | { type: 'response'; status: number; retryAfter?: string | null }
  | { type: 'network' }
  | { type: 'timeout' }

export type FailReason =
  | 'auth'
  | 'not-found'
  | 'rate-limited'
  | 'bad-request'
  | 'conflict'
  | 'server'
  | 'network'
  | 'timeout'

export type Verdict =
  | { action: 'ok' }
  | { action: 'retry'; delayMs: number; retryAfterMs?: number }
  | { action: 'fail'; reason: FailReason; retryAfterMs?: number }

/** Everything the decision depends on. */
export interface ClassifyContext {
  /** The attempt just made, 1-based. */
  attempt: number
  maxAttempts: number
  idempotent: boolean
  /** Whether a 429 may be retried (cohort polling handles its 429s itself). */
  retryRateLimits: boolean
  baseDelayMs: number
  maxDelayMs: number
  maxRetryAfterMs: number
  /** Epoch ms, to read an HTTP-date `Retry-After`. */
  nowMs: number
  /** A draw in [0, 1) for jitter. */
  random: number
}

/**
 * `Retry-After` in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); a date in the past is 0.
 * Anything else is ignored (undefined).
 */
export function parseRetryAfterMs(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined
  const trimmed = value.trim()
  if (trimmed === '') return undefined
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  // An HTTP date names its weekday or month; a bare signed number is not one.
  if (!/[a-z]/i.test(trimmed)) return undefined
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - nowMs)
}

/** Exponential backoff `min(max, base·2^(attempt−1))`, scaled into [0.5, 1) by the jitter draw. */
export function backoffDelayMs(context: ClassifyContext): number {
  const exponent = Math.min(Math.max(context.attempt - 1, 0), 30)
  const ceiling = Math.min(context.maxDelayMs, context.baseDelayMs * 2 ** exponent)
  return Math.round(ceiling * (0.5 + context.random * 0.5))
}

function statusReason(status: number): FailReason {
  if (status === 401 || status === 403) return 'auth'
  if (status === 404) return 'not-found'
  if (status === 409) return 'conflict'
  if (status === 429) return 'rate-limited'
  if (status >= 500) return 'server'
  return 'bad-request'
}

/** The verdict on one attempt's outcome. */
export function classify(outcome: Outcome, context: ClassifyContext): Verdict {
  const attemptsLeft = context.attempt < context.maxAttempts
  if (outcome.type === 'network' || outcome.type === 'timeout') {
    if (context.idempotent && attemptsLeft)
      return { action: 'retry', delayMs: backoffDelayMs(context) }
    return { action: 'fail', reason: outcome.type }
  }
  const { status } = outcome
  if (status >= 200 && status < 300) return { action: 'ok' }
  const retryAfterMs = parseRetryAfterMs(outcome.retryAfter, context.nowMs)
  const withHint = retryAfterMs === undefined ? {} : { retryAfterMs }
  if (status === 429) {
    if (!context.retryRateLimits || !attemptsLeft)
      return { action: 'fail', reason: 'rate-limited', ...withHint }
    if (retryAfterMs === undefined) return { action: 'retry', delayMs: backoffDelayMs(context) }
    // A wait longer than the caller allows is reported now rather than slept through.
    if (retryAfterMs > context.maxRetryAfterMs)
      return { action: 'fail', reason: 'rate-limited', retryAfterMs }
    // Honour the hint, plus up to 10% (at most 1 s) of jitter so throttled clients spread out.
    const jitter = Math.round(context.random * Math.min(1000, retryAfterMs * 0.1))
    return { action: 'retry', delayMs: retryAfterMs + jitter, retryAfterMs }
  }
  if (status >= 500 || status === 408) {
    if (!context.idempotent || !attemptsLeft)
      return { action: 'fail', reason: status === 408 ? 'timeout' : 'server', ...withHint }
    const delayMs =
      retryAfterMs !== undefined && retryAfterMs <= context.maxRetryAfterMs
        ? retryAfterMs
        : backoffDelayMs(context)
    return { action: 'retry', delayMs, ...withHint }
  }
  return { action: 'fail', reason: statusReason(status) }
}
