/**
 * @module Per-user and per-device events-per-second limits (ingestion-api.md §6): the rate is the
 * count over a recent window divided by its length, so a burst is allowed as long as the window's
 * average stays under the limit (30 EPS for HTTP V2, 1,000 for Batch; 30,000 events in 30 s trips
 * Batch). A sliding-window counter keeps three numbers per key, and idle keys are evicted, so the
 * limiter's memory is bounded whatever ids clients invent.
 */

/** Options of one limiter. */
export interface RateLimiterOptions {
  /** Events per second allowed per user and per device, averaged over the window. */
  epsLimit: number
  /** Length of the averaging window, in ms. */
  windowMs: number
  /** Most keys tracked at once; the least recently used are evicted beyond it. */
  maxTrackedKeys: number
}

interface Counter {
  windowStartMs: number
  current: number
  previous: number
}

/** A sliding-window counter per key. Keys are opaque (the caller prefixes project and id kind). */
export class RateLimiter {
  readonly options: RateLimiterOptions
  readonly #counters = new Map<string, Counter>()
  #lastSweepMs = 0

  constructor(options: RateLimiterOptions) {
    this.options = options
  }

  /** Number of keys currently tracked (for tests of the memory bound). */
  get trackedKeys(): number {
    return this.#counters.size
  }

  /**
   * The keys that would exceed the limit if `counts` more events were accepted now, each with the
   * rate (events per second, rounded up) it would reach. Nothing is recorded.
   */
  exceeding(counts: ReadonlyMap<string, number>, nowMs: number): Map<string, number> {
    const over = new Map<string, number>()
    const windowSeconds = this.options.windowMs / 1000
    for (const [key, added] of counts) {
      const rate = (this.#estimate(key, nowMs) + added) / windowSeconds
      if (rate > this.options.epsLimit) over.set(key, Math.ceil(rate))
    }
    return over
  }

  /**
   * The keys whose count over the window would pass `epsLimit × window seconds` if `counts` more
   * events were accepted now, each with that count (rounded up). For quotas such as Batch's daily
   * 500,000 events. Nothing is recorded.
   */
  exceedingCount(counts: ReadonlyMap<string, number>, nowMs: number): Map<string, number> {
    const over = new Map<string, number>()
    const limit = (this.options.epsLimit * this.options.windowMs) / 1000
    for (const [key, added] of counts) {
      const count = this.#estimate(key, nowMs) + added
      if (count > limit) over.set(key, Math.ceil(count))
    }
    return over
  }

  /** Records accepted events. */
  record(counts: ReadonlyMap<string, number>, nowMs: number): void {
    this.#sweep(nowMs)
    for (const [key, added] of counts) {
      const counter = this.#rotated(key, nowMs)
      counter.current += added
      // Re-inserting moves the key to the end of the Map's order: the front is least recently used.
      this.#counters.delete(key)
      this.#counters.set(key, counter)
    }
    while (this.#counters.size > this.options.maxTrackedKeys) {
      const oldest = this.#counters.keys().next()
      if (oldest.done) break
      this.#counters.delete(oldest.value)
    }
  }

  #windowStart(nowMs: number): number {
    return Math.floor(nowMs / this.options.windowMs) * this.options.windowMs
  }

  #rotated(key: string, nowMs: number): Counter {
    const start = this.#windowStart(nowMs)
    const counter = this.#counters.get(key) ?? { windowStartMs: start, current: 0, previous: 0 }
    if (counter.windowStartMs !== start) {
      const adjacent = counter.windowStartMs === start - this.options.windowMs
      counter.previous = adjacent ? counter.current : 0
      counter.current = 0
      counter.windowStartMs = start
    }
    return counter
  }

  /** Events in the window ending now: all of this window plus the overlapping part of the last. */
  #estimate(key: string, nowMs: number): number {
    const stored = this.#counters.get(key)
    if (stored === undefined) return 0
    const counter = this.#rotated(key, nowMs)
    const elapsed = (nowMs - counter.windowStartMs) / this.options.windowMs
    return counter.previous * (1 - elapsed) + counter.current
  }

  /** Drops keys idle for two windows: their counts can no longer affect any estimate. */
  #sweep(nowMs: number): void {
    if (nowMs - this.#lastSweepMs < this.options.windowMs) return
    this.#lastSweepMs = nowMs
    const horizon = this.#windowStart(nowMs) - this.options.windowMs
    for (const [key, counter] of this.#counters) {
      if (counter.windowStartMs < horizon) this.#counters.delete(key)
    }
  }
}
