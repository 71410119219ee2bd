/**
 * @module The answer of `/api/2/funnels` (query-api.md §3.4) from what an engine computed: both the
 * SQL engine and the reference evaluator produce `FunnelGroupTotals`, and this one function shapes
 * them, so the two can only differ in what they computed.
 */
import type { FunnelSeries } from '@ampkit/protocol'
import type { Interval } from '../ir.ts'
import { bucketLabels } from '../time-buckets.ts'
import { type FunnelQuery, stepNames } from './query.ts'

/** What an engine computes for one (segment, group value). */
export interface FunnelGroupTotals {
  segmentIndex: number
  /** The entry event's group label; '' without a group-by. */
  groupValue: string
  /** `counts[k]`: users whose counted path reaches step k or further. */
  counts: number[]
  /**
   * `medianMs[k]`: exact median of the transition times (ms) into step k of those users (the mean of
   * the two middle ones for an even count); 0 for step 0 and when nobody reached step k.
   */
  medianMs: number[]
  /** `sumMs[k]`: sum of those transition times, in ms. */
  sumMs: number[]
  /** Bucket label → users (best entry of the bucket) reaching each step. */
  buckets: ReadonlyMap<string, readonly number[]>
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
  }
}

/** One element of `data`. */
function seriesOf(query: FunnelQuery, totals: FunnelGroupTotals, xValues: string[]): FunnelSeries {
  const steps = query.steps.length
  const { counts } = totals
  const first = counts[0] ?? 0
  const at = (list: readonly number[], k: number) => list[k] ?? 0
  return {
    meta: { segmentIndex: totals.segmentIndex },
    groupValue: totals.groupValue,
    events: stepNames(query),
    cumulativeRaw: [...counts],
    cumulative: counts.map((count) => ratio(count, first)),
    stepByStep: counts.map((count, k) => ratio(count, k === 0 ? first : at(counts, k - 1))),
    medianTransTimes: counts.map((_, k) => (k === 0 ? 0 : Math.round(at(totals.medianMs, k)))),
    avgTransTimes: counts.map((count, k) =>
      k === 0 || count === 0 ? 0 : Math.round(at(totals.sumMs, k) / count),
    ),
    dayFunnels: {
      xValues,
      formattedXValues: xValues.map((label) => formattedLabel(label, query.range.interval)),
      series: xValues.map((label) => {
        const bucket = totals.buckets.get(label)
        return Array.from({ length: steps }, (_, k) => (bucket === undefined ? 0 : at(bucket, k)))
      }),
    },
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
