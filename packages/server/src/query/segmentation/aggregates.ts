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
   * The value histogram's bucket edges (`value-bins.ts`): one set for the whole query, carried by
   * every series so the answer can label the bins. Absent for other metrics.
   */
  valueBinEdges?: readonly number[]
}

export function emptyAggregate(): Aggregate {
  return { users: 0, events: 0, sum: 0, valueCount: 0, bins: new Array(HISTOGRAM_BINS).fill(0) }
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
