/**
 * @module Paces events per user and per device under the Batch API's limit (1,000 events/s per
 * user_id or device_id, averaged over 30 s; above it Amplitude answers 429 for those ids) and,
 * optionally, overall. One token bucket per id (capacity = one second of the rate); an id whose bucket
 * is full has no history worth keeping, so memory stays bounded by evicting full buckets first and,
 * past `maxIds`, the least recently used (which can let that id briefly exceed the rate: the client's
 * 429 handling, which holds throttled ids for Retry-After while the rest flows, covers that case).
 */

/** Options of the pacer. */
export interface IdPacerOptions {
  /** Events per second per user_id and per device_id. @default 1000 */
  perIdRate?: number
  /** Events per second overall; `0` for no overall limit. @default 0 */
  totalRate?: number
  /** Buckets kept at most. @default 100000 */
  maxIds?: number
  /** Clock in ms. @default Date.now */
  now?: () => number
}

interface Bucket {
  tokens: number
  at: number
}

/** Token buckets per id plus an optional global one. */
export class IdPacer {
  readonly #rate: number
  readonly #totalRate: number
  readonly #maxIds: number
  readonly #now: () => number
  readonly #buckets = new Map<string, Bucket>()
  readonly #total: Bucket

  constructor(options: IdPacerOptions = {}) {
    this.#rate = options.perIdRate ?? 1000
    this.#totalRate = options.totalRate ?? 0
    this.#maxIds = options.maxIds ?? 100_000
    this.#now = options.now ?? Date.now
    this.#total = { tokens: this.#totalRate, at: this.#now() }
  }

  /** Ids with a bucket (for tests and memory checks). */
  get trackedIds(): number {
    return this.#buckets.size
  }

  /**
   * Takes one token for each id (and the global bucket) and returns how long to wait in ms before
   * sending; 0 means now. Tokens may go negative: the wait is what pays the debt back.
   */
  take(ids: readonly string[]): number {
    const now = this.#now()
    let wait = 0
    if (this.#totalRate > 0) wait = Math.max(wait, this.#spend(this.#total, this.#totalRate, now))
    for (const id of ids) {
      let bucket = this.#buckets.get(id)
      if (bucket === undefined) {
        if (this.#buckets.size >= this.#maxIds) this.#evict(now)
        bucket = { tokens: this.#rate, at: now }
      } else this.#buckets.delete(id)
      // Re-inserted: the Map's order is least recently used first.
      this.#buckets.set(id, bucket)
      wait = Math.max(wait, this.#spend(bucket, this.#rate, now))
    }
    return wait
  }

  #spend(bucket: Bucket, rate: number, now: number): number {
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) * rate) / 1000)
    bucket.at = now
    bucket.tokens -= 1
    return bucket.tokens >= 0 ? 0 : Math.ceil((-bucket.tokens * 1000) / rate)
  }

  #evict(now: number): void {
    for (const [id, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.#rate) / 1000 >= this.#rate)
        this.#buckets.delete(id)
      if (this.#buckets.size < this.#maxIds * 0.9) return
    }
    const oldest = this.#buckets.keys().next()
    if (oldest.done !== true) this.#buckets.delete(oldest.value)
  }
}
