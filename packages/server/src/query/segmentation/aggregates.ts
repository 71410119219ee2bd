/**
 * @module What the SQL engine and the reference evaluator both produce: per series (segment,
 * event, group) the user-level aggregates every metric is computed from, per interval and over the
 * whole range. `result.ts` turns them into Amplitude's answer, so the metric arithmetic exists once.
 */
import { HISTOGRAM_BINS } from './plan.ts'

/** Aggregates of one series over one interval (or the whole range). */
export interface Aggregate {
  /** Distinct users. */
  users: number
  /** Matching events. */
  events: number
  /** Sum of the numeric property (events without a number add nothing). */
  sum: number
  /** Events whose property is a number (the divisor of `value_avg`). */
  valueCount: number
  /**
   * `m=histogram`. Frequency: `bins[k]` = users who did the event k + 1 times (the last bin: that
   * many or more). Value: `bins[k]` = users whose value lies in bucket k of `valueBinEdges`.
   */
  bins: number[]
  /** Least numeric value (PROPMIN); undefined without one. Filled only when a formula reads it. */
  valueMin: number | undefined
  /** Greatest numeric value (PROPMAX). */
  valueMax: number | undefined
  /** Sum of the events' revenue (REVENUETOTAL). */
  revenue: number
  /** Distinct values of the property, numeric or not (PROPCOUNT; exact, not Amplitude's HLL). */
  distinctValues: number
  /** Σ over users of each user's distinct values (PROPCOUNTAVG = this / users). */
  userDistinctValues: number
  /** PERCENTILE: percentage (0–100) → that percentile of the numeric values (absent: none). */
  valuePercentiles: Map<number, number>
  /** FREQPERCENTILE: percentage → that percentile of the users' event counts. */
  countPercentiles: Map<number, number>
}

/** Event index of a segment's active-user series (`pct_dau`, ACTIVE). */
export const ACTIVE_EVENT_INDEX = -1

/** One series' aggregates. */
export interface SeriesAggregates {
  segmentIndex: number
  /** Index into `query.events`, or `ACTIVE_EVENT_INDEX`. */
  eventIndex: number
  /** Group values (`(none)` when missing), padded with '' to the plan's key count. */
  keys: readonly string[]
  /** Over the range (users de-duplicated across intervals). */
  collapsed: Aggregate
  /** By index into `plan.buckets`; absent = no event. */
  buckets: Map<number, Aggregate>
  /**
   * A `ROLLWIN` pass: every interval aggregated over this many (`planOf(query, window)`).
   * Absent: the query's own aggregates.
   */
  window?: number
  /**
   * The value histogram's bucket edges (`value-bins.ts`): one set for the whole query, carried by
   * every series so the answer can label the bins. Absent for other metrics.
   */
  valueBinEdges?: readonly number[]
}

export function emptyAggregate(): Aggregate {
  return {
    users: 0,
    events: 0,
    sum: 0,
    valueCount: 0,
    bins: new Array(HISTOGRAM_BINS).fill(0),
    valueMin: undefined,
    valueMax: undefined,
    revenue: 0,
    distinctValues: 0,
    userDistinctValues: 0,
    valuePercentiles: new Map(),
    countPercentiles: new Map(),
  }
}

/** Identity of a series, for maps. */
export function seriesId(
  segmentIndex: number,
  eventIndex: number,
  keys: readonly string[],
): string {
  return JSON.stringify([segmentIndex, eventIndex, keys])
}

/** The histogram bin of a user who did the event `count` (≥ 1) times. */
export function binOf(count: number): number {
  return Math.min(count, HISTOGRAM_BINS) - 1
}

/**
 * The `percentile` (0–100) of `values`, interpolating linearly between the two nearest ranks
 * (DuckDB's `quantile_cont`); 0 without values, as an empty interval charts. Which estimator
 * Amplitude uses is unconfirmed.
 */
export function percentileOf(values: readonly number[], percentile: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (percentile / 100) * (sorted.length - 1)
  const below = Math.floor(rank)
  const lower = sorted[below] as number
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number
  return lower + (upper - lower) * (rank - below)
}
