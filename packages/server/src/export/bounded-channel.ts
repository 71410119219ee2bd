/**
 * @module A single-producer, single-consumer queue with a capacity: `push` waits while it is full,
 * so a producer that runs ahead of its reader holds at most `capacity` items. The export's slice
 * scans hand their compressed parts to the archive through one each, which is what bounds memory
 * when several scans run at once.
 */

/** A bounded FIFO between one producer and one consumer (items are objects: never `undefined`). */
export class BoundedChannel<T extends object> {
  readonly #capacity: number
  readonly #items: T[] = []
  #closed = false
  #error: { reason: unknown } | undefined
  /** Wakes the consumer waiting for an item (or for the end). */
  #wakeConsumer: (() => void) | undefined
  /** Wakes the producer waiting for room. */
  #wakeProducer: (() => void) | undefined

  /** `capacity`: items held before `push` waits (at least 1). */
  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity)
  }

  /** Adds an item; resolves once there is room. Rejects if the channel was failed meanwhile. */
  async push(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && this.#error === undefined) {
      await new Promise<void>((resolve) => {
        this.#wakeProducer = resolve
      })
    }
    if (this.#error !== undefined) throw this.#error.reason
    this.#items.push(item)
    this.#wake('consumer')
  }

  /** No more items: the consumer ends after the ones queued. */
  close(): void {
    this.#closed = true
    this.#wake('consumer')
  }

  /**
   * Ends the channel with an error: the consumer throws it after the queued items are dropped, and
   * a producer waiting for room (or pushing later) throws it too, so neither side hangs.
   */
  fail(reason: unknown): void {
    if (this.#error !== undefined) return
    this.#error = { reason }
    this.#items.length = 0
    this.#wake('consumer')
    this.#wake('producer')
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error.reason
      const item = this.#items.shift()
      if (item !== undefined) {
        this.#wake('producer')
        yield item
        continue
      }
      if (this.#closed) return
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve
      })
    }
  }

  #wake(side: 'consumer' | 'producer'): void {
    const wake = side === 'consumer' ? this.#wakeConsumer : this.#wakeProducer
    if (side === 'consumer') this.#wakeConsumer = undefined
    else this.#wakeProducer = undefined
    wake?.()
  }
}
