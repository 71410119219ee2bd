/**
 * @module Normalising helpers for Dashboard answers whose shape varies (query-api.md §3.3): points as
 * numbers or `{setId, value}`, labels as a segment index, a group value, or `[segmentIndex, value]`.
 */
import type { SeriesLabel, SeriesPoint } from '@ampkit/protocol'

/** A point's number, whichever form it came in. */
export function pointValue(point: SeriesPoint): number {
  return typeof point === 'number' ? point : point.value
}

/** A series as plain numbers. */
export function seriesValues(series: readonly SeriesPoint[]): number[] {
  return series.map(pointValue)
}

/** A label split into its segment index and group value (either may be absent). */
export function seriesLabelParts(label: SeriesLabel): { segmentIndex?: number; group?: string } {
  if (typeof label === 'number') return { segmentIndex: label }
  if (typeof label === 'string') return { group: label }
  return { segmentIndex: label[0], group: label[1] }
}
