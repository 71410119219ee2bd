/**
 * @module The 7-day `insert_id` de-duplication set (ingestion-api.md §2): an open-addressing hash table
 * of 64-bit key hashes and first-seen seconds in typed arrays, so a key costs 12 bytes per slot
 * instead of a JS string, and the 2^24-entry limit of `Set` never applies. Slots are filled to at
 * most `MAX_LOAD` (linear probing stays short there), so memory grows with the distinct insert_ids of
 * the last 7 days by 17–34 bytes each (it was 24–48 at a 25–50% fill: 1.5 GB at 30 M keys).
 */

/** A 64-bit key hash as two unsigned 32-bit halves. */
export interface KeyHash {
  hi: number
  lo: number
}

/**
 * Hashes a de-duplication key to 64 bits with two independent 32-bit string hashes (FNV-1a and a
 * murmur-style mix) fed part by part, so no key string is built per event. A collision makes a
 * distinct event look like a duplicate; at 10^7 live keys the chance of any collision is about
 * 3·10^-6, which we accept for a local server.
 */
export function hashKey(...parts: readonly string[]): KeyHash {
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i)
      a = Math.imul(a ^ c, 0x01000193)
      b = Math.imul(b ^ c, 0x5bd1e995)
      b ^= b >>> 15
    }
    // A separator that no UTF-16 code unit equals keeps ("ab","c") apart from ("a","bc").
    a = Math.imul(a ^ 0x10000, 0x01000193)
    b = Math.imul(b ^ 0x10000, 0x5bd1e995)
    b ^= b >>> 15
  }
  a ^= a >>> 16
  a = Math.imul(a, 0x85ebca6b)
  a ^= a >>> 13
  b ^= b >>> 13
  b = Math.imul(b, 0xc2b2ae35)
  b ^= b >>> 16
  return { hi: a >>> 0, lo: b >>> 0 }
}

const INITIAL_CAPACITY = 1 << 12

/** Share of slots in use that triggers a rehash (drop expired, grow if still full). */
const MAX_LOAD = 0.7

/** Hash set of de-duplication keys with the time each was first stored. */
export class DedupIndex {
  readonly #windowMs: number
  #hi: Uint32Array
  #lo: Uint32Array
  /** First-seen time in whole seconds since the epoch; 0 marks an empty slot. */
  #seenS: Uint32Array
  #size = 0

  /** @param windowMs how long a key blocks its duplicates, in ms (Amplitude: 7 days). */
  constructor(windowMs: number) {
    this.#windowMs = windowMs
    this.#hi = new Uint32Array(INITIAL_CAPACITY)
    this.#lo = new Uint32Array(INITIAL_CAPACITY)
    this.#seenS = new Uint32Array(INITIAL_CAPACITY)
  }

  /** Live and expired entries currently held. */
  get size(): number {
    return this.#size
  }

  /** Slots allocated (12 bytes each). */
  get capacity(): number {
    return this.#seenS.length
  }

  #slot(hash: KeyHash): number {
    const mask = this.#seenS.length - 1
    let i = (hash.hi ^ Math.imul(hash.lo, 0x9e3779b1)) & mask
    while (this.#seenS[i] !== 0) {
      if (this.#hi[i] === hash.hi && this.#lo[i] === hash.lo) return i
      i = (i + 1) & mask
    }
    return i
  }

  #live(seenS: number, nowMs: number): boolean {
    return seenS !== 0 && nowMs - seenS * 1000 < this.#windowMs
  }

  /** True when the key was stored less than the window ago (relative to `nowMs`). */
  has(hash: KeyHash, nowMs: number): boolean {
    return this.#live(this.#seenS[this.#slot(hash)] ?? 0, nowMs)
  }

  /** Records the key as stored at `seenMs` (replacing an expired entry). */
  add(hash: KeyHash, seenMs: number, nowMs: number): void {
    if (this.#size + 1 > this.#seenS.length * MAX_LOAD) this.#rehash(nowMs)
    const i = this.#slot(hash)
    if (this.#seenS[i] === 0) this.#size++
    this.#hi[i] = hash.hi
    this.#lo[i] = hash.lo
    // Whole seconds (floored, so a key never lives longer than the window); 0 means empty.
    this.#seenS[i] = Math.max(Math.floor(seenMs / 1000), this.#seenS[i] ?? 0, 1)
  }

  /** Drops expired entries and grows so that the live ones fill at most half the slots. */
  #rehash(nowMs: number): void {
    const hi = this.#hi
    const lo = this.#lo
    const seen = this.#seenS
    let live = 0
    for (let i = 0; i < seen.length; i++) if (this.#live(seen[i] ?? 0, nowMs)) live++
    let capacity = INITIAL_CAPACITY
    // At most half full after a rehash, so the next one is a growth's worth of adds away (and a
    // table of mostly expired keys shrinks).
    while (capacity * 0.5 < live + 1) capacity *= 2
    this.#hi = new Uint32Array(capacity)
    this.#lo = new Uint32Array(capacity)
    this.#seenS = new Uint32Array(capacity)
    this.#size = 0
    for (let i = 0; i < seen.length; i++) {
      const s = seen[i] ?? 0
      if (!this.#live(s, nowMs)) continue
      const hash = { hi: hi[i] ?? 0, lo: lo[i] ?? 0 }
      const j = this.#slot(hash)
      this.#hi[j] = hash.hi
      this.#lo[j] = hash.lo
      this.#seenS[j] = s
      this.#size++
    }
  }
}
