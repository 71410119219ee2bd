/**
 * @module Import progress on stderr (drawn by `StatusLine`): on a terminal one bar redrawn in place
 * (bytes read of the total, events/s, ETA), otherwise a plain line every `intervalMs` for logs. Rates are over the whole run
 * so far, which is steady enough for an ETA and needs no history.
 */

import { StatusLine, type StatusLineOptions } from '../output/status-line.ts'

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
export type ProgressOptions = StatusLineOptions

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
  readonly #status: StatusLine
  readonly #start: number

  constructor(options: ProgressOptions) {
    this.#status = new StatusLine(options)
    this.#start = this.#status.now()
  }

  /** The line for a snapshot. */
  line(snapshot: ProgressSnapshot): string {
    const elapsed = Math.max((this.#status.now() - this.#start) / 1000, 0.001)
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
    if (!this.#status.isTTY) return `import: ${percent} ${counts}, ${tail}`
    const width = 24
    const filled = Math.round(fraction * width)
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent} ${counts} ${tail}`
  }

  /** Something else was written to stderr: the next update draws below it, not over it. */
  noteOtherOutput(): void {
    this.#status.noteOtherOutput()
  }

  /** Prints when the interval has passed (or `force`). */
  update(snapshot: ProgressSnapshot, force = false): void {
    this.#status.show(() => this.line(snapshot), force)
  }
}
