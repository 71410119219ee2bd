/** A virtual clock for the client's `hooks`: timers fire only when the test advances time. */
export class FakeClock {
  nowMs = 1_700_000_000_000
  readonly #timers = new Map<number, { atMs: number; callback: () => void }>()
  #nextId = 0

  readonly now = (): number => this.nowMs

  readonly setTimeout = (callback: () => void, delayMs: number): number => {
    const id = ++this.#nextId
    this.#timers.set(id, { atMs: this.nowMs + Math.max(0, delayMs), callback })
    return id
  }

  readonly clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as number)
  }

  /** Moves time forward, firing due timers in order and letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const endMs = this.nowMs + ms
    for (;;) {
      await settle()
      let next: [number, { atMs: number; callback: () => void }] | undefined
      for (const entry of this.#timers) {
        if (entry[1].atMs <= endMs && (next === undefined || entry[1].atMs < next[1].atMs))
          next = entry
      }
      if (next === undefined) break
      this.#timers.delete(next[0])
      this.nowMs = Math.max(this.nowMs, next[1].atMs)
      next[1].callback()
    }
    this.nowMs = endMs
    await settle()
  }
}

/** Lets pending promise chains (fetch, gzip, handlers) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
}
