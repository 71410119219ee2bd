/**
 * @module Progress of `ampkit export` on stderr: a line redrawn in place on a terminal (every 200 ms),
 * plain lines every 5 s otherwise, and a last line when done. The total is unknown until the end (the
 * Export API sends no size), so it shows counts and rates, not a percentage.
 */
const CLEAR_PREVIOUS_LINE = '\u001b[1A\u001b[2K'
const number = new Intl.NumberFormat('en-US')

export interface ExportCounts {
  events: number
  bytes: number
  files: number
}

/** Prints export progress at most every interval; `done` prints the final line. */
export class ExportProgress {
  readonly #err: (line: string) => void
  readonly #isTTY: boolean
  readonly #now: () => number
  readonly #start: number
  #last = Number.NEGATIVE_INFINITY
  #drawn = false

  constructor(options: { err: (line: string) => void; isTTY: boolean; now?: () => number }) {
    this.#err = options.err
    this.#isTTY = options.isTTY
    this.#now = options.now ?? Date.now
    this.#start = this.#now()
  }

  line(counts: ExportCounts): string {
    const seconds = Math.max((this.#now() - this.#start) / 1000, 0.001)
    return (
      `export: ${number.format(counts.events)} events, ${number.format(counts.files)} files, ` +
      `${(counts.bytes / 1_048_576).toFixed(1)} MB, ${number.format(Math.round(counts.events / seconds))} ev/s`
    )
  }

  update(counts: ExportCounts, force = false): void {
    const now = this.#now()
    if (!force && now - this.#last < (this.#isTTY ? 200 : 5000)) return
    this.#last = now
    const text = this.line(counts)
    this.#err(this.#isTTY && this.#drawn ? `${CLEAR_PREVIOUS_LINE}${text}` : text)
    this.#drawn = true
  }
}
