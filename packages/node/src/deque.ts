/**
 * @module A growable ring buffer: push and shift at both ends in O(1). `Array#shift` is O(n) and
 * re-queuing at the front with `unshift` is too; the queue of a million-event burst cannot afford
 * either.
 */

const MIN_CAPACITY = 16

/** A double-ended queue. */
export class Deque<T> {
  #items: (T | undefined)[] = new Array(MIN_CAPACITY)
  #mask = MIN_CAPACITY - 1
  #head = 0
  #length = 0

  get length(): number {
    return this.#length
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2)
    this.#items[(this.#head + this.#length) & this.#mask] = item
    this.#length++
  }

  unshift(item: T): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2)
    this.#head = (this.#head - 1) & this.#mask
    this.#items[this.#head] = item
    this.#length++
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) & this.#mask
    this.#length--
    // Give memory back after a burst drains, but not so eagerly that it thrashes.
    if (this.#items.length > 1024 && this.#length < this.#items.length >>> 2) {
      this.#resize(this.#items.length >>> 1)
    }
    return item
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head]
  }

  #resize(capacity: number): void {
    const next: (T | undefined)[] = new Array(capacity)
    for (let i = 0; i < this.#length; i++) next[i] = this.#items[(this.#head + i) & this.#mask]
    this.#items = next
    this.#mask = capacity - 1
    this.#head = 0
  }
}
