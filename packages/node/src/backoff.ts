/**
 * @module Retry delays: exponential with jitter. With the defaults (1 s base, 30 s cap, 12 retries)
 * the delays add up to at least 120 s even when every jitter draw is the lowest, so a one-minute
 * outage costs no event (issue 2).
 */

/** How delays grow. */
export interface BackoffPolicy {
  /** First retry delay before jitter, in ms. */
  baseDelayMs: number
  /** Largest delay before jitter, in ms. */
  maxDelayMs: number
}

/**
 * Delay before retry number `attempt` (1 = first retry): `min(max, base·2^(attempt−1))`, scaled by a
 * jitter factor in [0.5, 1) so that clients that failed together do not retry together.
 */
export function backoffDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30)
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent)
  return Math.round(ceiling * (0.5 + random() * 0.5))
}
