/**
 * @module The two per-step histograms of a funnel answer (query-api.md §3.4:
 * `stepTransTimeDistribution`, `stepPrevStepCountDistribution`): their bin ladders, the bin of a
 * value (in TS and in SQL, so both engines bin alike), and the wire shape.
 *
 * Unconfirmed (the spec marks funnel internals unconfirmed, and Amplitude documents neither the bins
 * nor the counting): the rules below are ours, chosen to be deterministic and readable.
 * - **Transition times** (ms, the same values as `medianTransTimes`) fall on a fixed, roughly
 *   logarithmic ladder of bin starts: 0, 1 s, 5 s, 10 s, 30 s, 1 min, 2 min, 5 min, 10 min, 30 min,
 *   1 h, 2 h, 6 h, 12 h, 1 d, 2 d, 3 d, 7 d, 14 d, 30 d, 60 d, 90 d, 180 d. Only the starts within
 *   the window are used, and the last bin ends one second after the window: a transition never
 *   exceeds the window (every step lies within it of the entry), so every value has a bin.
 * - **Previous-step counts**: for a user whose counted path reaches step k (k ≥ 1), how many of
 *   their events match step k−1 from the entry's second through the second step k was reached,
 *   both inclusive (whole seconds, like every funnel time). It is at least 1 in every mode (the
 *   counted step-(k−1) event lies in that span). At second resolution an event matching both steps
 *   (a repeated step `A → A`) is counted too. Bin starts: 1, 2, 3, 4, 5, 6, 11, 21, 51, 101; the
 *   last bin is open, and answers with `end` one above the largest count in it (its start + 1 when
 *   empty), so `end` stays a number as the wire shape has it.
 * - Every bin of the ladder is listed, empty ones included (a stable x-axis); `step_bins` has one
 *   element per step, aligned with `events`, and step 0 (nothing before it) has no bins.
 * - `bin_dist`: `uniques` = users in the bin, `sums` = the sum of their values (ms, or counts).
 *   `totals` = `uniques`: funnels count uniques only (no wire parameter asks for totals counting),
 *   so each user contributes one counted path.
 */
import type { FunnelStepDistribution } from '@ampkit/protocol'

const SECOND_MS = 1000
const MINUTE_MS = 60 * SECOND_MS
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

/** Bin starts of transition times, in ms (see the module comment). */
export const TRANS_TIME_BIN_STARTS_MS: readonly number[] = [
  0,
  SECOND_MS,
  5 * SECOND_MS,
  10 * SECOND_MS,
  30 * SECOND_MS,
  MINUTE_MS,
  2 * MINUTE_MS,
  5 * MINUTE_MS,
  10 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  2 * HOUR_MS,
  6 * HOUR_MS,
  12 * HOUR_MS,
  DAY_MS,
  2 * DAY_MS,
  3 * DAY_MS,
  7 * DAY_MS,
  14 * DAY_MS,
  30 * DAY_MS,
  60 * DAY_MS,
  90 * DAY_MS,
  180 * DAY_MS,
]

/** Bin starts of previous-step counts (the last bin is open). */
export const PREV_STEP_COUNT_BIN_STARTS: readonly number[] = [1, 2, 3, 4, 5, 6, 11, 21, 51, 101]

/** What one bin holds: users, the sum of their values, the largest value (0 when empty). */
export interface BinTally {
  users: number
  sum: number
  max: number
}

/** Per step k, bin index → tally; step 0 has none. */
export type StepBins = readonly ReadonlyMap<number, BinTally>[]

/** The transition-time bin starts (ms) used for a window of `windowSeconds`. */
export function transTimeStarts(windowSeconds: number): number[] {
  return TRANS_TIME_BIN_STARTS_MS.filter((start) => start <= windowSeconds * SECOND_MS)
}

/** Index of the bin of `value`: the last start at or below it (values are never below the first). */
export function binIndex(starts: readonly number[], value: number): number {
  let index = 0
  while (index + 1 < starts.length && (starts[index + 1] as number) <= value) index++
  return index
}

/** The same as `binIndex`, as a SQL expression over `valueSql` (a non-NULL number). */
export function binIndexSql(starts: readonly number[], valueSql: string): string {
  if (starts.length <= 1) return '0'
  const whens = starts
    .slice(1)
    .map((start, i) => `WHEN ${valueSql} < ${start} THEN ${i}`)
    .join(' ')
  return `CASE ${whens} ELSE ${starts.length - 1} END`
}

/** Adds one value to a per-step tally (the reference evaluator's side of the binning). */
export function tally(bins: Map<number, BinTally>, index: number, value: number): void {
  const bin = bins.get(index) ?? { users: 0, sum: 0, max: 0 }
  bins.set(index, { users: bin.users + 1, sum: bin.sum + value, max: Math.max(bin.max, value) })
}

/**
 * The wire shape of one histogram: every bin of the ladder per step k ≥ 1. `lastEnd(maxInLastBin)`
 * gives the end of the last bin.
 */
export function stepDistribution(
  segmentIndex: number,
  steps: number,
  starts: readonly number[],
  bins: StepBins,
  lastEnd: (maxInLastBin: number) => number,
): FunnelStepDistribution {
  return {
    segment_index: segmentIndex,
    step_bins: Array.from({ length: steps }, (_, k) => ({
      bins:
        k === 0
          ? []
          : starts.map((start, i) => {
              const bin = bins[k]?.get(i)
              const users = bin?.users ?? 0
              const end = i + 1 < starts.length ? (starts[i + 1] as number) : lastEnd(bin?.max ?? 0)
              return {
                start,
                end,
                bin_dist: { uniques: users, totals: users, sums: bin?.sum ?? 0 },
              }
            }),
    })),
  }
}

/** `stepTransTimeDistribution` of a funnel with the given window (seconds). */
export function transTimeDistribution(
  segmentIndex: number,
  steps: number,
  windowSeconds: number,
  bins: StepBins,
): FunnelStepDistribution {
  const lastEnd = (windowSeconds + 1) * SECOND_MS
  return stepDistribution(segmentIndex, steps, transTimeStarts(windowSeconds), bins, () => lastEnd)
}

/** `stepPrevStepCountDistribution`. */
export function prevStepCountDistribution(
  segmentIndex: number,
  steps: number,
  bins: StepBins,
): FunnelStepDistribution {
  const starts = PREV_STEP_COUNT_BIN_STARTS
  const lastStart = starts[starts.length - 1] as number
  return stepDistribution(segmentIndex, steps, starts, bins, (max) => Math.max(lastStart, max) + 1)
}
