/**
 * @module The response side of the Dashboard REST API (query-api.md §1.5, §3): `data` plus query
 * metadata. Where the spec marks a shape unconfirmed, the types admit every observed variant, so a
 * client reading Amplitude itself never fails on one.
 */

/** Query metadata siblings of `data` (§1.5); unknown extra keys are allowed. */
export interface QueryMetadata {
  timeComputed?: number
  wasCached?: boolean
  queryIds?: string[]
  [key: string]: unknown
}

/** The envelope of every Dashboard REST answer. */
export type DashboardResponse<T> = QueryMetadata & { data: T }

/** A series point: a plain number, or `{setId, value}` as chart-by-id answers send (§3.3). */
export type SeriesPoint = number | { setId: string; value: number }

/** A series label: a segment index, a group value, or `[segmentIndex, groupValue]` (§3.3). */
export type SeriesLabel = number | string | [number, string]

/** Which segment, event and formula a series belongs to. */
export interface SeriesMeta {
  segmentIndex: number
  eventIndex?: number
  formulaIndex?: number
  formula?: string
  [key: string]: unknown
}

/** `data` of `/api/2/events/segmentation` (§3.3). */
export interface SegmentationData {
  series: SeriesPoint[][]
  seriesLabels: SeriesLabel[]
  /** Whole-range aggregate per series (uniques de-duplicated over the range, not summed). */
  seriesCollapsed: { setId: string; value: number }[][]
  seriesMeta: SeriesMeta[]
  xValues: string[]
}

/** `data[k]` of `/api/2/funnels` (§3.4): one element per segment or group. */
export interface FunnelSeries {
  meta: { segmentIndex: number; [key: string]: unknown }
  groupValue?: string
  events: string[]
  /** Users reaching at least step k. */
  cumulativeRaw: number[]
  /** `cumulativeRaw[k] / cumulativeRaw[0]`. */
  cumulative: number[]
  /** `cumulativeRaw[k] / cumulativeRaw[k-1]`; 1 for step 0. */
  stepByStep: number[]
  /** Milliseconds from step k-1 to step k; 0 for step 0. */
  medianTransTimes: number[]
  avgTransTimes: number[]
  /** Per entry-date bucket: `series[t][k]` = users of bucket t reaching step k. */
  dayFunnels: FunnelDaySeries
  /** Per entry-date bucket: `series[t][k]` = median ms from step k-1 to step k; 0 for step 0. */
  dayMedianTransTimes?: FunnelDaySeries
  /** Per entry-date bucket: `series[t][k]` = mean ms from step k-1 to step k; 0 for step 0. */
  dayAvgTransTimes?: FunnelDaySeries
  /** Histogram per step of how long users took from the previous step (bins in ms). */
  stepTransTimeDistribution?: FunnelStepDistribution
  /** Histogram per step of how many times users did the previous step before converting. */
  stepPrevStepCountDistribution?: FunnelStepDistribution
  [key: string]: unknown
}

/** A funnel's per-bucket series (`dayFunnels` and the `day*TransTimes`): outer index = bucket. */
export interface FunnelDaySeries {
  xValues: string[]
  formattedXValues?: string[]
  series: number[][]
}

/** One histogram bin of a funnel step: `[start, end)` and what fell into it. */
export interface FunnelBin {
  start: number
  end: number
  /** Users, count and sum of the values in the bin. */
  bin_dist: { uniques: number; totals: number; sums: number; [key: string]: unknown }
  [key: string]: unknown
}

/** A per-step histogram of a funnel (§3.4); `step_bins[k]` belongs to step k. */
export interface FunnelStepDistribution {
  segment_index: number
  step_bins: { bins: FunnelBin[]; [key: string]: unknown }[]
  [key: string]: unknown
}

/** One retention cell (§3.5). */
export interface RetentionCell {
  count: number
  outof: number
  incomplete: boolean
  retainedSetId?: string | null
}

/** One retention series (§3.5): cells per cohort date; element 0 is the cohort size. */
export interface RetentionSeries {
  /** Cohort date keys, newest first; iterate these rather than parsing the keys. */
  dates: string[]
  values: Record<string, RetentionCell[]>
  /** De-duplicated over all cohorts; incomplete cells excluded from each denominator. */
  combined: RetentionCell[]
  [key: string]: unknown
}

/** `data` of `/api/2/retention`. */
export interface RetentionData {
  series: RetentionSeries[]
  seriesMeta: SeriesMeta[]
}

/** `data` of `/api/2/users`, `/api/2/sessions/*`, `/api/2/composition` (§3.6). */
export interface TimeSeriesData {
  series: number[][]
  xValues: string[]
  seriesLabels?: SeriesLabel[]
  seriesMeta?: (SeriesMeta | string)[]
  seriesCollapsed?: { setId: string; value: number }[][]
}

/** One entry of `/api/2/events/list` (§3.6). */
export interface EventListEntry {
  value: string
  display: string
  /** Events this week. */
  totals: number
  non_active: boolean
  deleted: boolean
  hidden: boolean
  flow_hidden: boolean
}

/** One cohort-date row of `/api/2/revenue/ltv` (§3.6): `r1d`…`r90d` plus totals. */
export interface RevenueLtvRow {
  count: number
  paid: number
  total_amount: number
  [rNd: string]: number
}

/** `data` of `/api/2/revenue/ltv`. */
export interface RevenueLtvData {
  seriesLabels: string[]
  series: { dates: string[]; values: Record<string, RevenueLtvRow> }[]
}
