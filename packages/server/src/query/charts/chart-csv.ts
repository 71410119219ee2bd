/**
 * @module A chart's answer as CSV (`GET /api/3/chart/{id}/csv`, query-api.md §3.9: the layout is
 * unconfirmed). Ours, by answer shape, always a header row first:
 * - time series (`series` of rows + `xValues`: segmentation, users, sessions, composition,
 *   realtime): `Series,<x1>,<x2>,…`, then one row per series: its label, its values;
 * - funnels (an array of series with `events`): `Series,<step 1>,<step 2>,…`, then per series its
 *   label and the users reaching each step (`cumulativeRaw`);
 * - retention and revenue LTV (`series` of `{dates, values}`): `Series,Date,<columns>`, then one row
 *   per series and date: retention cells' counts (`Users` = the cohort size, then `Day 0`, `Day 1`,
 *   …), LTV rows' keys;
 * - the events list (an array of objects): the objects' keys, then one row per entry.
 * Fields holding a comma, a quote or a line break are quoted, quotes doubled (RFC 4180), lines end
 * in CRLF.
 */
import { queryError } from '../params.ts'

function field(value: unknown): string {
  const text =
    value === null || value === undefined
      ? ''
      : typeof value === 'string'
        ? value
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

function line(fields: readonly unknown[]): string {
  return `${fields.map(field).join(',')}\r\n`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A point's number: plain, or the `value` of a `{setId, value}` point. */
function pointValue(point: unknown): unknown {
  return isObject(point) && 'value' in point ? point.value : point
}

/** A series label as text: `[segmentIndex, value]` pairs read `value`. */
function labelText(label: unknown, index: number): string {
  if (Array.isArray(label)) return String(label[label.length - 1] ?? index)
  if (label === undefined || label === null || label === '') return `Series ${index + 1}`
  return String(label)
}

/** Renders a Dashboard answer's `data` as CSV text. */
export function chartCsv(data: unknown): string {
  if (Array.isArray(data)) {
    if (data.every((s) => isObject(s) && Array.isArray(s.events))) return funnelCsv(data)
    const rows = data.filter(isObject)
    const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))]
    return line(keys) + rows.map((row) => line(keys.map((k) => row[k]))).join('')
  }
  if (!isObject(data) || !Array.isArray(data.series))
    throw queryError('This chart has no tabular answer to render as CSV')
  const series = data.series as unknown[]
  const labels = Array.isArray(data.seriesLabels) ? (data.seriesLabels as unknown[]) : []
  if (series.every(Array.isArray) && Array.isArray(data.xValues)) {
    let out = line(['Series', ...(data.xValues as unknown[])])
    series.forEach((row, k) => {
      out += line([labelText(labels[k], k), ...(row as unknown[]).map(pointValue)])
    })
    return out
  }
  if (series.every((s) => isObject(s) && Array.isArray(s.dates) && isObject(s.values)))
    return datedCsv(series as { dates: unknown[]; values: Record<string, unknown> }[], labels)
  throw queryError('This chart has no tabular answer to render as CSV')
}

function funnelCsv(series: readonly Record<string, unknown>[]): string {
  const steps = (series[0]?.events as unknown[] | undefined) ?? []
  let out = line(['Series', ...steps])
  series.forEach((s, k) => {
    const meta = isObject(s.meta) ? s.meta : {}
    const label = s.groupValue ?? `Segment ${Number(meta.segmentIndex ?? k) + 1}`
    out += line([label, ...((s.cumulativeRaw as unknown[] | undefined) ?? [])])
  })
  return out
}

function datedCsv(
  series: readonly { dates: unknown[]; values: Record<string, unknown> }[],
  labels: readonly unknown[],
): string {
  // Columns: retention cells by index (as many as the longest row), LTV rows by key (the first
  // row's order).
  let days = 0
  let keys: string[] | undefined
  for (const s of series)
    for (const date of s.dates) {
      const cell = s.values[String(date)]
      if (Array.isArray(cell)) days = Math.max(days, cell.length)
      else if (isObject(cell)) keys ??= Object.keys(cell)
    }
  // A retention row's element 0 is the cohort size, element N + 1 its column N (a day, or the Nth
  // bracket of a bracket query).
  const columns =
    keys ?? Array.from({ length: days }, (_, n) => (n === 0 ? 'Users' : `Day ${n - 1}`))
  let out = line(['Series', 'Date', ...columns])
  series.forEach((s, k) => {
    for (const date of s.dates) {
      const cell = s.values[String(date)]
      const values = Array.isArray(cell)
        ? cell.map((c) => (isObject(c) ? c.count : c))
        : isObject(cell)
          ? columns.map((c) => cell[c])
          : []
      out += line([labelText(labels[k], k), date, ...values])
    }
  })
  return out
}
