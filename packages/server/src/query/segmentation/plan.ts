/**
 * @module What a segmentation query computes, derived once from the query and shared by the SQL
 * engine and the reference evaluator, so both read the same events into the same series:
 * - which events form series (all of them; with `m=formula` only those the formulas name), the
 *   numeric property each reads, and the group keys each series family is split by;
 * - the intervals: `buckets[0]` is where the scan starts. With a rolling window or average of N,
 *   the scan starts N - 1 whole intervals before the range's first one, so the first points of the
 *   range are rolled over real data, not over zeros. `seriesCollapsed` always covers the range only.
 * - the segments as tested per event: `n=active` adds "performed an active event ≥ 1 time in this
 *   interval" to each (Amplitude's active user: ≥ 1 active event in the interval).
 */
import type { EventSelector, Interval, PropertyRef, Segment } from '../ir.ts'
import {
  bucketStartWall,
  dayToWallMs,
  instantOfWall,
  labelOfWall,
  nextBucketWall,
} from '../time-buckets.ts'
import { type FormulaFunction, formulaReach, formulaTerms, VALUE_FUNCTIONS } from './formula.ts'
import type { SegmentationQuery } from './query.ts'

/**
 * Frequency bins of `m=histogram`: users who did the event 1, 2, …, 9 times, and 10 or more times
 * (the last bin). Amplitude's default bins are not documented; these are ours.
 */
export const HISTOGRAM_BINS = 10

/** Labels of the histogram bins, in order. */
export const HISTOGRAM_BIN_LABELS: readonly string[] = Array.from(
  { length: HISTOGRAM_BINS },
  (_, i) => (i === HISTOGRAM_BINS - 1 ? `${HISTOGRAM_BINS}+` : String(i + 1)),
)

/**
 * What `m=histogram` bins: `frequency` (no property: users by their count of the event),
 * `value` (the event's first `group_by` names a property: users by their value, `value-bins.ts`),
 * or nothing (another metric).
 */
export type HistogramKind = 'frequency' | 'value' | undefined

/** The histogram a query asks for (`query.ts` makes every event agree). */
export function histogramKindOf(query: SegmentationQuery): HistogramKind {
  // `HIST(A)` / `PROPHIST(A)`: the whole (and only) formula, checked by `query.ts`.
  const root = query.formulas[0]?.root
  if (query.metric === 'formula' && root?.kind === 'term') {
    if (root.fn === 'HIST') return 'frequency'
    if (root.fn === 'PROPHIST') return 'value'
  }
  if (query.metric !== 'histogram') return undefined
  return query.events.some((e) => e.groupBy.length > 0) ? 'value' : 'frequency'
}

/** One event whose matches form series. */
export interface EventPlan {
  /** 0 for `e`, 1 for `e2`. */
  eventIndex: number
  selector: EventSelector
  /** The numeric property summed by `sums`, `value_avg`, PROPSUM, PROPAVG and value histograms. */
  valueProperty: PropertyRef | undefined
  /** Properties whose first values (or `(none)`) split the event's series. */
  keys: readonly PropertyRef[]
}

/** One interval of the scan. */
export interface BucketPlan {
  /** The interval's first wall-clock instant in the project zone, as if UTC (ms). */
  wallMs: number
  /** Amplitude's x-value. */
  label: string
}

export interface SegmentationPlan {
  events: readonly EventPlan[]
  /** Key columns of the widest event (narrower ones are padded with ''). */
  keyCount: number
  histogram: HistogramKind
  /** Active users per segment are needed (`pct_dau`, ACTIVE). */
  needsActive: boolean
  /** The segments as tested per event (`n=active` included: the reference's reading). */
  segments: readonly Segment[]
  /** The query's own segments, without the `n=active` condition. */
  querySegments: readonly Segment[]
  /** `n=active`: only events of users with an active event in the same interval count. */
  activeOnly: boolean
  interval: Interval
  timeZone: string
  /** Events with `scanStartMs <= time < endMs` are read. */
  scanStartMs: number
  /** The range's start: events before it are outside `seriesCollapsed`. */
  rangeStartMs: number
  endMs: number
  /** Every interval from the scan start to the range's end. */
  buckets: readonly BucketPlan[]
  /** Index in `buckets` of the range's first interval (0 unless rolling). */
  firstOutputIndex: number
  /** `rollingWindow` (1 = each point its own interval). */
  window: number
  /** True when the scan starts before the range (rolling). */
  extended: boolean
  /** The first bucket index a window > 1 is aggregated for (earlier ones are not computed). */
  windowFirstIndex: number
  /** Aggregates beyond users, events and the value sum that the formulas read. */
  extras: ExtraAggregates
}

/**
 * What the formulas' newer functions read, each carried through the engines only when asked for,
 * so a query without them compiles to the same statement as before they existed.
 */
export interface ExtraAggregates {
  /** PROPMIN, PROPMAX: least and greatest numeric value. */
  minMax: boolean
  /** REVENUETOTAL: the sum of the events' revenue. */
  revenue: boolean
  /** PROPCOUNT: distinct values of the property. */
  distinct: boolean
  /** PROPCOUNTAVG: each user's number of distinct values (needs per-user rows over the range). */
  userDistinct: boolean
  /** PERCENTILE: the percentages (0–100) asked of the numeric values, ascending. */
  valuePercentiles: readonly number[]
  /**
   * FREQPERCENTILE: the percentages asked of the users' event counts (needs per-user rows over
   * the range), ascending.
   */
  countPercentiles: readonly number[]
}

export const NO_EXTRAS: ExtraAggregates = {
  minMax: false,
  revenue: false,
  distinct: false,
  userDistinct: false,
  valuePercentiles: [],
  countPercentiles: [],
}

function extrasOf(query: SegmentationQuery): ExtraAggregates {
  const terms = query.formulas.flatMap((f) => formulaTerms(f.root))
  const fns = new Set(terms.map((t) => t.fn))
  const percentiles = (fn: FormulaFunction) =>
    [...new Set(terms.filter((t) => t.fn === fn).map((t) => t.percentile))].sort((a, b) => a - b)
  return {
    minMax: fns.has('PROPMIN') || fns.has('PROPMAX'),
    revenue: fns.has('REVENUETOTAL'),
    distinct: fns.has('PROPCOUNT'),
    userDistinct: fns.has('PROPCOUNTAVG'),
    valuePercentiles: percentiles('PERCENTILE'),
    countPercentiles: percentiles('FREQPERCENTILE'),
  }
}

const ACTIVE_IN_INTERVAL: Segment['conditions'][number] = {
  kind: 'performed',
  event: { eventType: '_active', filters: [], groupBy: [] },
  op: '>=',
  count: 1,
  window: { kind: 'forEachInterval' },
}

function previousBucketWall(wallMs: number, interval: Interval): number {
  if (interval === 'month') {
    const d = new Date(wallMs)
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)
  }
  // Fixed-length wall intervals: one step back is the next step's length.
  return wallMs - (nextBucketWall(wallMs, interval) - wallMs)
}

/** The events that form series, their value properties and keys. */
function eventPlans(query: SegmentationQuery): EventPlan[] {
  const { metric } = query
  if (metric === 'formula') {
    // Events the formulas name → whether any of their terms reads a value.
    const used = new Map<number, boolean>()
    for (const formula of query.formulas)
      for (const term of formulaTerms(formula.root))
        used.set(
          term.eventIndex,
          (used.get(term.eventIndex) ?? false) || VALUE_FUNCTIONS.has(term.fn),
        )
    return [...used.entries()]
      .sort(([a], [b]) => a - b)
      .map(([eventIndex, readsValue]) => {
        const selector = query.events[eventIndex] as EventSelector
        // The property rule of `formula.ts` (unconfirmed): an event a value function reads has its
        // first group_by as its value only, as for `sums`; every other group_by is a key.
        return {
          eventIndex,
          selector,
          valueProperty: readsValue ? selector.groupBy[0] : undefined,
          keys: [...(readsValue ? selector.groupBy.slice(1) : selector.groupBy), ...query.groupBy],
        }
      })
  }
  return query.events.map((selector, eventIndex) => {
    // `sums`/`value_avg` and the value histogram read the first group_by as their value
    // (query-api.md §3.3: property metrics need a property in `e.group_by`); it is not a group key
    // then. Every other group_by splits the series.
    const consumesFirst =
      metric === 'sums' || metric === 'value_avg' || histogramKindOf(query) === 'value'
    return {
      eventIndex,
      selector,
      valueProperty: consumesFirst ? selector.groupBy[0] : undefined,
      keys: [...(consumesFirst ? selector.groupBy.slice(1) : selector.groupBy), ...query.groupBy],
    }
  })
}

/**
 * Derives the plan of a query. `window`: aggregate every interval over that many (a `ROLLWIN`'s
 * pass) instead of `rollingWindow`, for every bucket of the scan (an outer `ROLLAVG` reads
 * intervals before the range).
 */
export function planOf(query: SegmentationQuery, window?: number): SegmentationPlan {
  const { range } = query
  const events = eventPlans(query)
  // Formulas may reach further back than `rollingWindow` (ROLLAVG, ROLLWIN); without those the
  // reach is `rollingWindow - 1`, as for every other metric.
  const formulaBack = Math.max(
    0,
    ...query.formulas.map((f) => formulaReach(f.root, query.rollingWindow)),
  )
  const rolling =
    query.metric === 'formula'
      ? Math.max(query.rollingWindow, query.rollingAverage + formulaBack)
      : Math.max(query.rollingWindow, query.rollingAverage)
  const firstWall = bucketStartWall(dayToWallMs(range.startDay), range.interval)
  let scanWall = firstWall
  for (let i = 1; i < rolling; i++) scanWall = previousBucketWall(scanWall, range.interval)
  const extended = rolling > 1
  const buckets: BucketPlan[] = []
  const endWall = dayToWallMs(range.endDay) + 86_400_000
  let firstOutputIndex = 0
  for (let wall = scanWall; wall < endWall; wall = nextBucketWall(wall, range.interval)) {
    if (wall === firstWall) firstOutputIndex = buckets.length
    buckets.push({ wallMs: wall, label: labelOfWall(wall, range.interval) })
  }
  const needsActive =
    query.metric === 'pct_dau' ||
    query.formulas.some((f) =>
      formulaTerms(f.root).some((t) => t.fn === 'ACTIVE' || t.fn === 'ARPAU'),
    )
  return {
    events,
    histogram: histogramKindOf(query),
    keyCount: Math.max(0, ...events.map((e) => e.keys.length)),
    needsActive,
    segments:
      query.userType === 'active'
        ? query.segments.map((s) => ({ conditions: [...s.conditions, ACTIVE_IN_INTERVAL] }))
        : query.segments,
    querySegments: query.segments,
    activeOnly: query.userType === 'active',
    interval: range.interval,
    timeZone: range.timeZone,
    scanStartMs: extended ? instantOfWall(scanWall, range.timeZone) : range.startMs,
    rangeStartMs: range.startMs,
    endMs: range.endMs,
    buckets,
    firstOutputIndex,
    window: window ?? query.rollingWindow,
    extended,
    windowFirstIndex: window === undefined ? firstOutputIndex : 0,
    extras: extrasOf(query),
  }
}

/** The metric a series family is ordered by (Amplitude's "Group-bys" ordering table). */
export type RankBy = 'users' | 'events' | 'sum'

/**
 * Amplitude orders groups by unique users for uniques, % active, frequency and formulas; by events
 * for totals and average; by the property sum for sums and property averages.
 */
export function rankByOf(query: SegmentationQuery): RankBy {
  switch (query.metric) {
    case 'totals':
    case 'average':
      return 'events'
    case 'sums':
    case 'value_avg':
      return 'sum'
    default:
      return 'users'
  }
}
