/**
 * @module Progress of `ampkit export` on stderr, drawn by `StatusLine` (redrawn in place on a
 * terminal, plain lines every 5 s otherwise), and a last line when done. The total is unknown until
 * the end (the Export API sends no size), so it shows counts and rates, not a percentage.
 */
import { StatusLine } from '../output/status-line.ts'

const number = new Intl.NumberFormat('en-US')

export interface ExportCounts {
  events: number
  bytes: number
  files: number
}

/** Prints export progress at most every interval (`force` for the final line). */
export class ExportProgress {
  readonly #status: StatusLine
  readonly #start: number

  constructor(options: { err: (line: string) => void; isTTY: boolean; now?: () => number }) {
    this.#status = new StatusLine(options)
    this.#start = this.#status.now()
  }

  line(counts: ExportCounts): string {
    const seconds = Math.max((this.#status.now() - this.#start) / 1000, 0.001)
    return (
      `export: ${number.format(counts.events)} events, ${number.format(counts.files)} files, ` +
      `${(counts.bytes / 1_048_576).toFixed(1)} MB, ${number.format(Math.round(counts.events / seconds))} ev/s`
    )
  }

  update(counts: ExportCounts, force = false): void {
    this.#status.show(() => this.line(counts), force)
  }
}
