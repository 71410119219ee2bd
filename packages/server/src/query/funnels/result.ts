/**
 * @module The answer of `/api/2/funnels` (query-api.md §3.4) from what an engine computed: both the
 * SQL engine and the reference evaluator produce `FunnelGroupTotals`, and this one function shapes
 * them, so the two can only differ in what they computed.
 */
import type { FunnelSeries } from '@ampkit/protocol'
import type { Interval } from '../ir.ts'
import { bucketLabels } from '../time-buckets.ts'
import { prevStepCountDistribution, type StepBins, transTimeDistribution } from './distribution.ts'
import { effectiveWindowSeconds, type FunnelQuery, stepNames } from './query.ts'

/** Users reaching each step and their transition times: the whole range, or one bucket. */
export interface StepTotals {
  /** `counts[k]`: users whose counted path reaches step k or further. */
  counts: number[]
  /**
   * `medianMs[k]`: exact median of the transition times (ms) into step k of those users (the mean of
   * the two middle ones for an even count); 0 for step 0 and when nobody reached step k.
   */
  medianMs: number[]
  /** `sumMs[k]`: sum of those transition times, in ms. */
  sumMs: number[]
}

/** What an engine computes for one (segment, group value). */
export interface FunnelGroupTotals extends StepTotals {
  segmentIndex: number
  /** The entry event's group label; '' without a group-by. */
  groupValue: string
  /** Bucket label → the same, over each user's best entry of the bucket (rule 9). */
  buckets: ReadonlyMap<string, StepTotals>
  /** Per step, bin index → the counted paths' transition times into it (`distribution.ts`). */
  transTimeBins: StepBins
  /** Per step, bin index → the counted paths' previous-step counts (`distribution.ts`). */
  prevStepCountBins: StepBins
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Amplitude's short x-labels: `Aug 14` for dates, `Aug 14, 06:10` for hours and 5-minute buckets. */
export function formattedLabel(label: string, interval: Interval): string {
  const month = MONTHS[Number(label.slice(5, 7)) - 1] ?? label.slice(5, 7)
  const date = `${month} ${Number(label.slice(8, 10))}`
  return interval === 'hour' || interval === 'minute5' ? `${date}, ${label.slice(11, 16)}` : date
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole
}

function emptyTotals(segmentIndex: number, steps: number): FunnelGroupTotals {
  const zeros = new Array<number>(steps).fill(0)
  return {
    segmentIndex,
    groupValue: '',
    counts: zeros,
    medianMs: zeros,
    sumMs: zeros,
    buckets: new Map(),
    transTimeBins: [],
    prevStepCountBins: [],
  }
}

const at = (list: readonly number[], k: number) => list[k] ?? 0

/** Rounded medians (ms), 0 for step 0. */
function medians(totals: StepTotals, steps: number): number[] {
  return Array.from({ length: steps }, (_, k) => (k === 0 ? 0 : Math.round(at(totals.medianMs, k))))
}

/** Rounded means (ms) over the users reaching each step, 0 for step 0 and for nobody. */
function averages(totals: StepTotals, steps: number): number[] {
  return Array.from({ length: steps }, (_, k) => {
    const count = at(totals.counts, k)
    return k === 0 || count === 0 ? 0 : Math.round(at(totals.sumMs, k) / count)
  })
}

/** One element of `data`. */
function seriesOf(query: FunnelQuery, totals: FunnelGroupTotals, xValues: string[]): FunnelSeries {
  const steps = query.steps.length
  const { counts } = totals
  const first = counts[0] ?? 0
  const formattedXValues = xValues.map((label) => formattedLabel(label, query.range.interval))
  // Buckets nobody entered answer zeros, as `dayFunnels` does.
  const perBucket = (values: (bucket: StepTotals) => number[]) => ({
    xValues,
    formattedXValues,
    series: xValues.map((label) => {
      const bucket = totals.buckets.get(label)
      return bucket === undefined ? new Array<number>(steps).fill(0) : values(bucket)
    }),
  })
  return {
    meta: { segmentIndex: totals.segmentIndex },
    groupValue: totals.groupValue,
    events: stepNames(query),
    cumulativeRaw: [...counts],
    cumulative: counts.map((count) => ratio(count, first)),
    stepByStep: counts.map((count, k) => ratio(count, k === 0 ? first : at(counts, k - 1))),
    medianTransTimes: medians(totals, steps),
    avgTransTimes: averages(totals, steps),
    dayFunnels: perBucket((bucket) =>
      Array.from({ length: steps }, (_, k) => at(bucket.counts, k)),
    ),
    dayMedianTransTimes: perBucket((bucket) => medians(bucket, steps)),
    dayAvgTransTimes: perBucket((bucket) => averages(bucket, steps)),
    stepTransTimeDistribution: transTimeDistribution(
      totals.segmentIndex,
      steps,
      effectiveWindowSeconds(query),
      totals.transTimeBins,
    ),
    stepPrevStepCountDistribution: prevStepCountDistribution(
      totals.segmentIndex,
      steps,
      totals.prevStepCountBins,
    ),
  }
}

/**
 * `data`: one element per segment (in `s` order) and, with a group-by, per group value of the
 * segment, the most entered first (ties by value), at most `limit` per segment. Without a group-by a
 * segment nobody entered still answers, with zeros.
 */
export function funnelSeries(
  query: FunnelQuery,
  groups: readonly FunnelGroupTotals[],
): FunnelSeries[] {
  const { range } = query
  const xValues = bucketLabels(range.startDay, range.endDay, range.interval)
  const data: FunnelSeries[] = []
  for (let segmentIndex = 0; segmentIndex < query.segments.length; segmentIndex++) {
    const own = groups.filter((group) => group.segmentIndex === segmentIndex)
    if (query.groupBy === undefined) {
      const totals = own[0] ?? emptyTotals(segmentIndex, query.steps.length)
      data.push(seriesOf(query, totals, xValues))
      continue
    }
    own.sort(
      (a, b) =>
        (b.counts[0] ?? 0) - (a.counts[0] ?? 0) ||
        (a.groupValue < b.groupValue ? -1 : a.groupValue > b.groupValue ? 1 : 0),
    )
    for (const totals of own.slice(0, query.limit)) data.push(seriesOf(query, totals, xValues))
  }
  return data
}
