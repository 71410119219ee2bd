/**
 * @module Plain-text tables for terminal output: columns padded to their widest cell, numbers
 * right-aligned, a dashed rule under the header. Cells are never truncated (scripts use `--json`).
 */

const NUMERIC = /^-?[\d,]+(\.\d+)?%?$/

/** Renders rows under a header as aligned text lines. */
export function textTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const right = head.map(
    (_, i) => rows.length > 0 && rows.every((r) => NUMERIC.test(r[i] ?? '') || r[i] === ''),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (right[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 })

/** A number as a table cell (grouped thousands, at most 4 decimals). */
export function numberCell(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? ''
    : number.format(value)
}
