/**
 * @module A counting semaphore. Ingestion requests take a slot before reading their body, so at most
 * `size` bodies (each under its endpoint's cap) are in memory at once; the others wait unread, and the
 * pull-based body stream leaves their bytes in the socket (TCP back-pressure), not in the heap.
 */
export class Slots {
  readonly size: number
  #used = 0
  readonly #waiting: Array<() => void> = []

  constructor(size: number) {
    this.size = size
  }

  /** Slots in use (for tests). */
  get used(): number {
    return this.#used
  }

  /** Runs `task` in a slot, waiting for one when all are taken. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#used >= this.size) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    else this.#used++
    try {
      return await task()
    } finally {
      // The slot passes straight to the next waiter, or is freed.
      const next = this.#waiting.shift()
      if (next) next()
      else this.#used--
    }
  }
}
