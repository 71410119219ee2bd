/**
 * @module Import progress on stderr: on a terminal one bar redrawn in place (bytes read of the total,
 * events/s, ETA), otherwise a plain line every `intervalMs` for logs. Rates are over the whole run
 * so far, which is steady enough for an ETA and needs no history.
 */

/** What the reporter shows. */
export interface ProgressSnapshot {
  /** Bytes of the inputs read from disk so far (compressed for gzip). */
  readBytes: number
  /** Total bytes of the inputs on disk. */
  totalBytes: number
  rows: number
  delivered: number
  invalid: number
  failed: number
}

/** Options of the reporter. */
export interface ProgressOptions {
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

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`
}

const number = new Intl.NumberFormat('en-US')

/** A progress reporter; call `update` often, it decides when to print. */
export class ProgressReporter {
  readonly #options: Required<Omit<ProgressOptions, 'err' | 'isTTY'>> & ProgressOptions
  readonly #start: number
  #last = Number.NEGATIVE_INFINITY
  #drawn = false

  constructor(options: ProgressOptions) {
    this.#options = { ttyIntervalMs: 200, intervalMs: 5000, now: Date.now, ...options }
    this.#start = this.#options.now()
  }

  /** The line for a snapshot. */
  line(snapshot: ProgressSnapshot): string {
    const elapsed = Math.max((this.#options.now() - this.#start) / 1000, 0.001)
    const fraction =
      snapshot.totalBytes > 0 ? Math.min(snapshot.readBytes / snapshot.totalBytes, 1) : 0
    const rate = snapshot.delivered / elapsed
    const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : Number.NaN
    const percent = `${(fraction * 100).toFixed(1)}%`
    const counts =
      `${number.format(snapshot.rows)} rows, ${number.format(snapshot.delivered)} delivered` +
      (snapshot.invalid > 0 ? `, ${number.format(snapshot.invalid)} invalid` : '') +
      (snapshot.failed > 0 ? `, ${number.format(snapshot.failed)} failed` : '')
    const tail = `${number.format(Math.round(rate))} ev/s, ETA ${formatDuration(eta)}`
    if (!this.#options.isTTY) return `import: ${percent} ${counts}, ${tail}`
    const width = 24
    const filled = Math.round(fraction * width)
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent} ${counts} ${tail}`
  }

  /** Something else was written to stderr: the next update draws below it, not over it. */
  noteOtherOutput(): void {
    this.#drawn = false
  }

  /** Prints when the interval has passed (or `force`). */
  update(snapshot: ProgressSnapshot, force = false): void {
    const now = this.#options.now()
    const interval = this.#options.isTTY ? this.#options.ttyIntervalMs : this.#options.intervalMs
    if (!force && now - this.#last < interval) return
    this.#last = now
    const text = this.line(snapshot)
    if (this.#options.isTTY && this.#drawn) this.#options.err(`${CLEAR_PREVIOUS_LINE}${text}`)
    else this.#options.err(text)
    this.#drawn = true
  }
}
