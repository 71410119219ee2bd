/**
 * @module A FIFO counting semaphore: Amplitude allows 5 concurrent requests per project across every
 * REST endpoint, cohort downloads included (query-api.md §1.4). Callers beyond the limit wait in order;
 * nothing is refused.
 */

/** Gives back a permit; calling it again does nothing. */
export type Release = () => void

export class ConcurrencyLimiter {
  readonly maxInFlight: number
  #inFlight = 0
  readonly #waiting: Array<() => void> = []

  constructor(maxInFlight: number) {
    this.maxInFlight = maxInFlight
  }

  /** Requests holding a permit now. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Requests waiting for one. */
  get queued(): number {
    return this.#waiting.length
  }

  /** Resolves with a release function once a permit is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#inFlight < this.maxInFlight) {
      this.#inFlight++
      return Promise.resolve(this.#releaser())
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve(this.#releaser())
      }
      const onAbort = () => {
        const index = this.#waiting.indexOf(grant)
        if (index >= 0) this.#waiting.splice(index, 1)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(grant)
    })
  }

  #releaser(): Release {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiting.shift()
      // The permit passes straight to the next waiter, so the count never dips and lets a newcomer in.
      if (next) next()
      else this.#inFlight--
    }
  }
}
