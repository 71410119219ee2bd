/**
 * @module Distinct values per property over a time window, in bounded memory: one linear-counting
 * bitmap (Whang et al., 1990) of `BITS` bits per tracked property, at most `maxTrackedProperties`
 * of them. A value costs one FNV-1a hash of at most its first 64 characters and one bit write; the
 * estimate is kept up to date by counting zero bits, so no scan is needed to compare it with the limit.
 */

/** Bits per property: 512 bytes; linear counting stays within a few percent up to ~4,000 values. */
const BITS = 4096
const WORDS = BITS / 32
/** Characters hashed per value: enough to tell ids and queries apart, bounded for long strings. */
const HASHED_CHARS = 64

/** Options of the distinct-value counter. */
export interface CardinalityOptions {
  /** Distinct values of one property within a window above which it is reported. @default 1000 */
  maxDistinctValues?: number
  /** Window length, in ms; counts restart at each window. @default 3600000 (1 hour) */
  windowMs?: number
  /** Properties tracked at once; later ones are not counted until the next window. @default 512 */
  maxTrackedProperties?: number
}

interface Sketch {
  bits: Uint32Array
  zeros: number
  reported: boolean
}

/** FNV-1a over the first `HASHED_CHARS` UTF-16 units, then the length. */
function hash(value: string): number {
  let h = 0x811c9dc5
  const n = Math.min(value.length, HASHED_CHARS)
  for (let i = 0; i < n; i++) {
    h ^= value.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= value.length
  h = Math.imul(h, 0x01000193)
  // Final avalanche so that similar ids spread over the bitmap.
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  h ^= h >>> 12
  return h >>> 0
}

/** Counts distinct values per key within a window and says when a key first exceeds the limit. */
export class DistinctValueCounter {
  readonly maxDistinctValues: number
  readonly windowMs: number
  readonly maxTrackedProperties: number
  readonly #zerosAtLimit: number
  readonly #sketches = new Map<string, Sketch>()
  readonly #now: () => number
  #windowEndsAt: number
  #addsSinceClock = 0

  constructor(options: CardinalityOptions = {}, now: () => number = Date.now) {
    this.maxDistinctValues = options.maxDistinctValues ?? 1000
    this.windowMs = options.windowMs ?? 3_600_000
    this.maxTrackedProperties = options.maxTrackedProperties ?? 512
    // Linear counting estimates n = -m ln(zeros / m); the limit is crossed when zeros fall below this.
    this.#zerosAtLimit = BITS * Math.exp(-this.maxDistinctValues / BITS)
    this.#now = now
    this.#windowEndsAt = now() + this.windowMs
  }

  /** Records `value` for `key`; true exactly once per window, when the key passes the limit. */
  add(key: string, value: string): boolean {
    // The clock is read every 1,024 values (and for new keys), not per value.
    if (++this.#addsSinceClock >= 1024) {
      this.#addsSinceClock = 0
      this.#roll()
    }
    let sketch = this.#sketches.get(key)
    if (sketch === undefined) {
      this.#roll()
      if (this.#sketches.size >= this.maxTrackedProperties) return false
      sketch = { bits: new Uint32Array(WORDS), zeros: BITS, reported: false }
      this.#sketches.set(key, sketch)
    }
    const h = hash(value) & (BITS - 1)
    const word = h >>> 5
    const mask = 1 << (h & 31)
    const bits = sketch.bits
    if ((bits[word]! & mask) !== 0) return false
    bits[word] = bits[word]! | mask
    sketch.zeros--
    if (sketch.reported || sketch.zeros >= this.#zerosAtLimit) return false
    if (this.#roll()) return false
    sketch.reported = true
    return true
  }

  /** The estimated distinct values of `key` in this window (0 when untracked). */
  estimate(key: string): number {
    const sketch = this.#sketches.get(key)
    if (sketch === undefined) return 0
    if (sketch.zeros === 0) return BITS * Math.log(BITS)
    return Math.round(-BITS * Math.log(sketch.zeros / BITS))
  }

  /** Properties being counted. */
  get trackedProperties(): number {
    return this.#sketches.size
  }

  /** Starts a new window when the current one is over; true when it did. */
  #roll(): boolean {
    const now = this.#now()
    if (now < this.#windowEndsAt) return false
    this.#sketches.clear()
    this.#windowEndsAt = now + this.windowMs
    return true
  }
}
