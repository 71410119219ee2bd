/**
 * @module Session aggregates → the `data` of `/api/2/sessions/*`. The SQL engine and the reference
 * evaluator both produce `SessionStats` (integers only, so they compare exactly); the division into
 * averages happens once, here.
 */
import { bucketLabels } from '../time-buckets.ts'
import type { SessionBins, SessionsQuery } from './query.ts'

/** Per-day sums of one query. */
export interface DayStats {
  /** Sessions starting that day. */
  sessions: number
  /** Their total length, ms. */
  totalMs: number
  /** Users active that day (`peruser` only; 0 otherwise). */
  activeUsers: number
}

export interface SessionStats {
  /** Sessions per bin (`length` only; zeros otherwise). */
  bins: number[]
  /** By day label (`YYYY-MM-DD`); days without sessions or users may be absent. */
  days: Map<string, DayStats>
}

/** The bin of a session length, or -1 outside every bin. */
export function binIndex(bins: SessionBins, lengthMs: number): number {
  const list = bins.bins
  for (let k = 0; k < list.length; k++) {
    const bin = list[k] as { minMs: number; maxMs: number }
    if (lengthMs >= bin.minMs && lengthMs < bin.maxMs) return k
  }
  const last = list[list.length - 1]
  return bins.clampLast && last !== undefined && lengthMs >= last.maxMs ? list.length - 1 : -1
}

/** `data` of the sessions endpoints. */
export interface SessionsData {
  series: number[][]
  seriesMeta: { segmentIndex: number }[]
  xValues: string[]
}

export function sessionsData(query: SessionsQuery, stats: SessionStats): SessionsData {
  const seriesMeta = [{ segmentIndex: 0 }]
  if (query.metric === 'length')
    return { series: [stats.bins], seriesMeta, xValues: query.bins.bins.map((b) => b.label) }
  const xValues = bucketLabels(query.range.startDay, query.range.endDay, 'day')
  const values = xValues.map((day) => {
    const stat = stats.days.get(day)
    if (stat === undefined) return 0
    if (query.metric === 'average')
      return stat.sessions === 0 ? 0 : stat.totalMs / stat.sessions / 1000
    return stat.activeUsers === 0 ? 0 : stat.sessions / stat.activeUsers
  })
  return { series: [values], seriesMeta, xValues }
}
