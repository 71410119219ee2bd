/** @module RFC 4180 CSV lines for command output (`--format csv`). */

/** One CSV cell: quoted when it holds a comma, quote, CR or LF. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One CSV line (no line break). */
export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvField).join(',')
}
