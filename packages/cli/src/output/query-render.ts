/**
 * @module How `ampkit query` prints Dashboard REST answers: time series (segmentation, users) as a
 * date × series table with a sparkline per series, funnels as a step table per series, retention as a
 * cohort × day table of percentages (`*` marks cells whose day has not fully elapsed); or CSV.
 */
import type {
  FunnelSeries,
  RetentionCell,
  RetentionData,
  SeriesLabel,
  SeriesPoint,
} from '@ampkit/protocol'
import { csvLine } from './csv-text.ts'
import { sparkline } from './sparkline.ts'
import { numberCell, textTable } from './text-table.ts'

/** A point's number, whichever of the two observed shapes it has. */
export function pointValue(point: SeriesPoint | undefined): number {
  if (point === undefined) return Number.NaN
  return typeof point === 'number' ? point : point.value
}

/** A series label as text: the group value, or the fallback name for a plain segment. */
export function labelText(label: SeriesLabel | undefined, fallback: string): string {
  if (label === undefined || typeof label === 'number') return fallback
  if (typeof label === 'string') return label
  return label[1]
}

/** A time-series answer (`series[k][t]` over `xValues`) as table lines plus sparklines, or CSV. */
export function renderTimeSeries(
  data: { series: SeriesPoint[][]; xValues: string[]; seriesLabels?: SeriesLabel[] },
  names: (index: number) => string,
  format: 'table' | 'csv',
): string[] {
  const labels = data.series.map((_, k) => labelText(data.seriesLabels?.[k], names(k)))
  const rows = data.xValues.map((x, t) => [x, ...data.series.map((s) => pointValue(s[t]))])
  if (format === 'csv') return [csvLine(['date', ...labels]), ...rows.map((r) => csvLine(r))]
  const width = Math.max(...labels.map((l) => l.length))
  return [
    ...textTable(
      ['date', ...labels],
      rows.map(([x, ...values]) => [String(x), ...values.map((v) => numberCell(v as number))]),
    ),
    '',
    ...data.series.map(
      (s, k) =>
        `${(labels[k] ?? '').padEnd(width)}  ${sparkline(data.xValues.map((_, t) => pointValue(s[t])))}`,
    ),
  ]
}

const percent = (value: number) => (Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : '')
/** A transition time; blank where there is none (the first step, or a step nobody reached). */
const seconds = (ms: number | undefined, reached: boolean) =>
  ms === undefined || !Number.isFinite(ms) || !reached ? '' : `${(ms / 1000).toFixed(1)}s`

/** A funnel answer: one table per series (segment or group). */
export function renderFunnel(data: readonly FunnelSeries[], format: 'table' | 'csv'): string[] {
  if (format === 'csv') {
    const lines = [
      csvLine([
        'series',
        'step',
        'event',
        'users',
        'cumulative',
        'step_by_step',
        'median_ms',
        'avg_ms',
      ]),
    ]
    data.forEach((series, k) => {
      const name = series.groupValue || `segment ${series.meta.segmentIndex ?? k}`
      series.events.forEach((event, step) => {
        lines.push(
          csvLine([
            name,
            step + 1,
            event,
            series.cumulativeRaw[step],
            series.cumulative[step],
            series.stepByStep[step],
            series.medianTransTimes[step],
            series.avgTransTimes[step],
          ]),
        )
      })
    })
    return lines
  }
  const lines: string[] = []
  data.forEach((series, k) => {
    if (data.length > 1 || series.groupValue)
      lines.push(`${series.groupValue || `segment ${series.meta.segmentIndex ?? k}`}:`)
    lines.push(
      ...textTable(
        ['step', 'event', 'users', 'of first', 'of previous', 'median time', 'average time'],
        series.events.map((event, step) => [
          String(step + 1),
          event,
          numberCell(series.cumulativeRaw[step]),
          percent(series.cumulative[step] ?? Number.NaN),
          percent(series.stepByStep[step] ?? Number.NaN),
          seconds(series.medianTransTimes[step], step > 0 && (series.cumulativeRaw[step] ?? 0) > 0),
          seconds(series.avgTransTimes[step], step > 0 && (series.cumulativeRaw[step] ?? 0) > 0),
        ]),
      ),
    )
    lines.push('')
  })
  return lines.slice(0, -1)
}

function cellText(cell: RetentionCell | undefined): string {
  if (cell === undefined) return ''
  const value = cell.outof > 0 ? percent(cell.count / cell.outof) : ''
  return cell.incomplete ? `${value}*` : value
}

/** A retention answer: per series, cohort rows (oldest first) then the combined row. */
export function renderRetention(data: RetentionData, format: 'table' | 'csv'): string[] {
  const lines: string[] = []
  data.series.forEach((series, k) => {
    const dates = [...series.dates].reverse()
    const days = Math.max(
      series.combined.length - 1,
      ...dates.map((d) => (series.values[d]?.length ?? 1) - 1),
    )
    const head = ['cohort', 'users', ...Array.from({ length: days }, (_, n) => `day ${n}`)]
    const row = (name: string, cells: RetentionCell[] | undefined) => [
      name,
      numberCell(cells?.[0]?.count),
      ...Array.from({ length: days }, (_, n) => cellText(cells?.[n + 1])),
    ]
    const rows = [...dates.map((d) => row(d, series.values[d])), row('combined', series.combined)]
    if (format === 'csv') {
      lines.push(csvLine(['series', ...head]))
      const raw = (cells: RetentionCell[] | undefined) =>
        Array.from({ length: days + 1 }, (_, n) => cells?.[n]?.count)
      for (const d of dates) lines.push(csvLine([k, d, ...raw(series.values[d])]))
      lines.push(csvLine([k, 'combined', ...raw(series.combined)]))
      return
    }
    if (data.series.length > 1) lines.push(`series ${k}:`)
    lines.push(...textTable(head, rows))
    lines.push('')
  })
  if (format === 'table') lines.push('* the day has not fully elapsed yet (excluded from combined)')
  return lines
}
