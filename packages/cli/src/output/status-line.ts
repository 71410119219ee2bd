/**
 * @module A progress line on stderr for long commands (`import`, `export`): on a terminal one line
 * redrawn in place at most every `ttyIntervalMs`, otherwise a plain line every `intervalMs` for logs.
 * The commands decide what the line says; this decides when and how it is drawn.
 */

/** Options of a status line. */
export interface StatusLineOptions {
  /** Writes one line to stderr. */
  err(line: string): void
  isTTY: boolean
  /** Redraws on a terminal at most this often (ms). @default 200 */
  ttyIntervalMs?: number
  /** Plain lines this often when not a terminal (ms). @default 5000 */
  intervalMs?: number
  /** Clock in ms. @default Date.now */
  now?: () => number
}

const CLEAR_PREVIOUS_LINE = '\u001b[1A\u001b[2K'

/** Draws a line when its interval has passed; `render` is only called then. */
export class StatusLine {
  readonly #err: (line: string) => void
  readonly isTTY: boolean
  readonly now: () => number
  readonly #intervalMs: number
  #last = Number.NEGATIVE_INFINITY
  #drawn = false

  constructor(options: StatusLineOptions) {
    this.#err = options.err
    this.isTTY = options.isTTY
    this.now = options.now ?? Date.now
    this.#intervalMs = options.isTTY ? (options.ttyIntervalMs ?? 200) : (options.intervalMs ?? 5000)
  }

  /** Something else was written to stderr: the next line draws below it, not over it. */
  noteOtherOutput(): void {
    this.#drawn = false
  }

  /** Prints `render()` when the interval has passed (or `force`). */
  show(render: () => string, force = false): void {
    const now = this.now()
    if (!force && now - this.#last < this.#intervalMs) return
    this.#last = now
    const text = render()
    this.#err(this.isTTY && this.#drawn ? `${CLEAR_PREVIOUS_LINE}${text}` : text)
    this.#drawn = true
  }
}
