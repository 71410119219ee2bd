/**
 * @module The rows of one file between "read" and "done", in read order. Deliveries settle out of
 * order (several requests in flight, throttled ids held back), so the checkpoint position is the end
 * of the longest done prefix; a row that failed for good stops it there, so a re-run sends that row
 * (and, harmlessly, the later ones: their insert_ids de-duplicate) again.
 */

interface Slot {
  endOffset: number
  line: number
  state: 'pending' | 'done' | 'failed'
}

/** The window of one input file. */
export class DeliveryWindow {
  #slots: Slot[] = []
  #head = 0
  #pending = 0
  #blocked = false
  /** End of the done prefix. */
  position: { offset: number; line: number }

  constructor(start: { offset: number; line: number }) {
    this.position = { ...start }
  }

  /** Rows read and not settled yet. */
  get pending(): number {
    return this.#pending
  }

  /** A row failed for good: the position will not pass it. */
  get blocked(): boolean {
    return this.#blocked
  }

  /** Adds a row that is done at once (an invalid row, reported and skipped). */
  addDone(endOffset: number, line: number): void {
    if (this.#blocked) return
    this.#slots.push({ endOffset, line, state: 'done' })
    this.#advance()
  }

  /** Adds a row whose delivery is pending; call the returned function with the outcome. */
  addPending(endOffset: number, line: number): (delivered: boolean) => void {
    const slot: Slot = { endOffset, line, state: 'pending' }
    // Past a failure the position is fixed: only the count of unsettled rows matters.
    if (!this.#blocked) this.#slots.push(slot)
    this.#pending++
    return (delivered) => {
      if (slot.state !== 'pending') return
      slot.state = delivered ? 'done' : 'failed'
      this.#pending--
      this.#advance()
    }
  }

  #advance(): void {
    const slots = this.#slots
    while (!this.#blocked && this.#head < slots.length) {
      const slot = slots[this.#head] as Slot
      if (slot.state === 'pending') break
      if (slot.state === 'failed') {
        this.#blocked = true
        break
      }
      this.position = { offset: slot.endOffset, line: slot.line }
      this.#head++
    }
    // Compact now and then so the array does not grow with the file.
    if (this.#head > 4096 && this.#head * 2 > slots.length) {
      this.#slots = slots.slice(this.#head)
      this.#head = 0
    }
    if (this.#blocked && this.#pending === 0) {
      this.#slots = []
      this.#head = 0
    }
  }
}
