/**
 * @module Plain-text tables and number formatting for the bench output.
 */

export interface Table {
  title: string
  columns: string[]
  rows: string[][]
  /** Lines printed under the table (config, caveats). */
  notes?: string[]
}

export function renderTable(table: Table): string {
  const widths = table.columns.map((column, index) =>
    Math.max(column.length, ...table.rows.map((row) => (row[index] ?? '').length)),
  )
  const line = (cells: string[]): string =>
    cells
      .map((cell, index) =>
        index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0),
      )
      .join('  ')
      .trimEnd()
  const rule = widths.map((width) => '-'.repeat(width)).join('  ')
  const out = [`\n== ${table.title} ==`, line(table.columns), rule, ...table.rows.map(line)]
  for (const note of table.notes ?? []) out.push(`  ${note}`)
  return out.join('\n')
}

export const fmt = {
  seconds: (ms: number | undefined): string =>
    ms === undefined ? '—' : (ms / 1_000).toFixed(ms < 10_000 ? 2 : 1),
  rate: (perSecond: number | undefined): string =>
    perSecond === undefined ? '—' : Math.round(perSecond).toLocaleString('en-US'),
  count: (value: number | undefined): string =>
    value === undefined ? '—' : Math.round(value).toLocaleString('en-US'),
  megabytes: (bytes: number | undefined): string =>
    bytes === undefined ? '—' : `${(bytes / 1_048_576).toFixed(0)} MB`,
  ratio: (value: number | undefined): string =>
    value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(2)}x`,
}
