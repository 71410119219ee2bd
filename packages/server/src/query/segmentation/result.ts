/**
 * @module Shapes Event Segmentation aggregates into Amplitude's `data` (query-api.md §3.3):
 * `series[k][t]` plain numbers at `xValues[t]`, `seriesCollapsed[k]` the metric over the whole
 * range (users de-duplicated, not summed), `seriesMeta[k]` and `seriesLabels[k]`.
 *
 * Choices where the spec is unconfirmed:
 * - Order: event-major (`e` series, then `e2`), then segment, then groups by Amplitude's group
 *   ordering (`rankByOf`: users, events or property sum over the range, descending; ties by the
 *   group values' UTF-8 order), at most `limit` groups per (event, segment). Formulas: formula,
 *   then segment, then groups ranked by unique users summed over the events the formulas name.
 * - Labels: the segment index without a group-by; `[segmentIndex, "value"]` with one (several
 *   group values joined by `"; "`) — the observed form.
 * - `m=histogram` (the histogram shape is unconfirmed, query-api.md §7): each (event, segment,
 *   group) becomes one series per bin; `seriesMeta[k].bin` names the bin, the label is the group's.
 *   Without a property: `HISTOGRAM_BINS` frequency bins (users who did the event 1, 2, …, 9, 10+
 *   times in the interval). With a property in `e.group_by` (PROPHIST): the value buckets of
 *   `value-bins.ts`, named `"[min, max)"` (min inclusive, max exclusive), counting users by their
 *   value (the sum of the property over their events in the interval; users without a numeric
 *   value are in no bucket). The same shape for both, so a client reads either the same way; with
 *   no numeric value at all there are no buckets and no series. Collapsed: users binned by their
 *   count or value over the range.
 * - Ratios with a zero divisor are 0; an interval without events is 0, and so is PROPMIN, PROPMAX
 *   or PERCENTILE of an interval without a numeric value.
 * - Formulas: `formula.ts` evaluates each point; ROLLWIN terms read the aggregates of their
 *   window's pass (`SeriesAggregates.window`), every other term the query's own.
 * - `rollingAverage=N`: the mean of the N points ending at each interval (the scan reaches back
 *   N - 1 intervals, so early points average real data); `seriesCollapsed` is not rolled.
 */
import type { SegmentationData, SeriesLabel, SeriesMeta } from '@ampkit/protocol'
import {
  ACTIVE_EVENT_INDEX,
  type Aggregate,
  emptyAggregate,
  type SeriesAggregates,
  seriesId,
} from './aggregates.ts'
import { evaluateFormula, type FormulaTerm, ratio } from './formula.ts'
import { HISTOGRAM_BIN_LABELS, planOf, type RankBy, rankByOf } from './plan.ts'
import type { SegmentationMetric, SegmentationQuery } from './query.ts'
import { valueBinLabels } from './value-bins.ts'

const EMPTY: Aggregate = emptyAggregate()

/** UTF-8 byte order, which is DuckDB's string order (the SQL engine ranks the same way). */
export function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const order = Buffer.compare(Buffer.from(a[i] ?? ''), Buffer.from(b[i] ?? ''))
    if (order !== 0) return order
  }
  return 0
}

/** The number a group is ranked by. */
export function rankValue(rankBy: RankBy, aggregate: Aggregate): number {
  return rankBy === 'users'
    ? aggregate.users
    : rankBy === 'events'
      ? aggregate.events
      : aggregate.sum
}

function metricValue(metric: SegmentationMetric, value: Aggregate, active: Aggregate): number {
  switch (metric) {
    case 'totals':
      return value.events
    case 'pct_dau':
      return ratio(value.users, active.users)
    case 'average':
      return ratio(value.events, value.users)
    case 'sums':
      return value.sum
    case 'value_avg':
      return ratio(value.sum, value.valueCount)
    default:
      return value.users
  }
}

function termValue(term: FormulaTerm, value: Aggregate, active: Aggregate): number {
  switch (term.fn) {
    case 'UNIQUES':
      return value.users
    case 'TOTALS':
      return value.events
    case 'AVG':
      return ratio(value.events, value.users)
    case 'PROPSUM':
      return value.sum
    case 'PROPAVG':
      return ratio(value.sum, value.valueCount)
    case 'ACTIVE':
      return ratio(value.users, active.users)
    // Without a numeric value in the interval there is no least or greatest one: 0, as an empty
    // interval charts (unconfirmed).
    case 'PROPMIN':
      return value.valueMin ?? 0
    case 'PROPMAX':
      return value.valueMax ?? 0
    case 'PROPCOUNT':
      return value.distinctValues
    // Our reading of "PROPCOUNT per user" (unconfirmed): the mean over the users who did the
    // event of each one's number of distinct values (a user without a value counts 0).
    case 'PROPCOUNTAVG':
      return ratio(value.userDistinctValues, value.users)
    case 'REVENUETOTAL':
      return value.revenue
    // analytics-semantics.md §1.2: ARPAU = PROPSUM / UNIQUES(_active) of the same segment.
    case 'ARPAU':
      return ratio(value.sum, active.users)
    // No value in the interval: 0, as an empty interval charts.
    case 'PERCENTILE':
      return value.valuePercentiles.get(term.percentile) ?? 0
    case 'FREQPERCENTILE':
      return value.countPercentiles.get(term.percentile) ?? 0
    // A histogram formula charts its bins (`segmentationResult`), never a single value.
    case 'HIST':
    case 'PROPHIST':
      return 0
  }
}

/** Builds the answer's `data` from the aggregates of the SQL engine or the reference. */
export function segmentationResult(
  query: SegmentationQuery,
  aggregates: readonly SeriesAggregates[],
): SegmentationData {
  const plan = planOf(query)
  // `ROLLWIN` passes (`window` set) are looked up by their window too.
  const idOf = (a: SeriesAggregates) =>
    a.window === undefined
      ? seriesId(a.segmentIndex, a.eventIndex, a.keys)
      : `${a.window}:${seriesId(a.segmentIndex, a.eventIndex, a.keys)}`
  const byId = new Map(aggregates.map((a) => [idOf(a), a]))
  const windowed = (window: number | undefined, id: string) =>
    byId.get(window === undefined ? id : `${window}:${id}`)
  const noKeys: string[] = new Array(plan.keyCount).fill('')
  const activeOf = (segmentIndex: number) =>
    byId.get(seriesId(segmentIndex, ACTIVE_EVENT_INDEX, noKeys))
  const outputIndexes: number[] = []
  for (let i = plan.firstOutputIndex; i < plan.buckets.length; i++) outputIndexes.push(i)
  const average = query.rollingAverage

  /** The points of a series, given its value at any bucket index (rolling average applied). */
  const points = (valueAt: (index: number) => number): number[] => {
    if (average <= 1) return outputIndexes.map(valueAt)
    return outputIndexes.map((index) => {
      let total = 0
      let count = 0
      for (let back = Math.max(0, index - average + 1); back <= index; back++) {
        total += valueAt(back)
        count++
      }
      return total / count
    })
  }

  const label = (segmentIndex: number, keys: readonly string[], keyCount: number): SeriesLabel =>
    keyCount === 0 ? segmentIndex : [segmentIndex, keys.slice(0, keyCount).join('; ')]

  const series: number[][] = []
  const seriesLabels: SeriesLabel[] = []
  const seriesCollapsed: { setId: string; value: number }[][] = []
  const seriesMeta: SeriesMeta[] = []
  const push = (
    values: number[],
    collapsed: number,
    seriesLabel: SeriesLabel,
    meta: SeriesMeta,
  ) => {
    series.push(values)
    seriesCollapsed.push([{ setId: '', value: collapsed }])
    seriesLabels.push(seriesLabel)
    seriesMeta.push(meta)
  }

  const ranked = <T extends { keys: readonly string[] }>(groups: T[], rank: (g: T) => number) =>
    groups
      .map((group) => ({ group, rank: rank(group) }))
      .sort((a, b) => b.rank - a.rank || compareKeys(a.group.keys, b.group.keys))
      .slice(0, query.limit)
      .map(({ group }) => group)

  if (query.metric === 'formula') {
    const formulaBinLabels =
      plan.histogram === 'value'
        ? valueBinLabels(aggregates[0]?.valueBinEdges ?? [])
        : HISTOGRAM_BIN_LABELS
    const eventIndexes = plan.events.map((e) => e.eventIndex)
    const keyCount = plan.events[0]?.keys.length ?? 0
    // Every formula is split by the same groups: those of any event the formulas name.
    const used = new Set(eventIndexes)
    query.formulas.forEach((formula, formulaIndex) => {
      plan.segments.forEach((_, segmentIndex) => {
        const groups = new Map<string, { keys: readonly string[] }>()
        if (keyCount === 0) groups.set(JSON.stringify(noKeys), { keys: noKeys })
        for (const a of aggregates)
          if (a.segmentIndex === segmentIndex && used.has(a.eventIndex) && a.window === undefined)
            groups.set(JSON.stringify(a.keys), { keys: a.keys })
        const aggregateOf = (eventIndex: number, keys: readonly string[], window?: number) =>
          windowed(window, seriesId(segmentIndex, eventIndex, keys))
        const kept = ranked([...groups.values()], ({ keys }) =>
          eventIndexes.reduce((sum, e) => sum + (aggregateOf(e, keys)?.collapsed.users ?? 0), 0),
        )
        const activeId = seriesId(segmentIndex, ACTIVE_EVENT_INDEX, noKeys)
        for (const { keys } of kept) {
          if (plan.histogram !== undefined) {
            // HIST(A) / PROPHIST(A): one series per bin of the one event, as `m=histogram`.
            const group = aggregateOf(eventIndexes[0] ?? 0, keys)
            formulaBinLabels.forEach((bin, k) => {
              push(
                points((index) => group?.buckets.get(index)?.bins[k] ?? 0),
                group?.collapsed.bins[k] ?? 0,
                label(segmentIndex, keys, keyCount),
                { segmentIndex, formulaIndex, formula: formula.text, bin },
              )
            })
            continue
          }
          const inputs = {
            firstIndex: plan.firstOutputIndex,
            term: (term: FormulaTerm, index: number | undefined, window: number | undefined) => {
              // Over the range a window changes nothing: read the query's own aggregates.
              const from = index === undefined ? undefined : window
              const value = aggregateOf(term.eventIndex, keys, from)
              const active = windowed(from, activeId)
              return index === undefined
                ? termValue(term, value?.collapsed ?? EMPTY, active?.collapsed ?? EMPTY)
                : termValue(
                    term,
                    value?.buckets.get(index) ?? EMPTY,
                    active?.buckets.get(index) ?? EMPTY,
                  )
            },
          }
          const valueAt = (index: number) => evaluateFormula(formula.root, inputs, index)
          const collapsed = evaluateFormula(formula.root, inputs, undefined)
          push(points(valueAt), collapsed, label(segmentIndex, keys, keyCount), {
            segmentIndex,
            formulaIndex,
            formula: formula.text,
          })
        }
      })
    })
  } else {
    const rankBy = rankByOf(query)
    const binLabels =
      plan.histogram === 'value'
        ? valueBinLabels(aggregates[0]?.valueBinEdges ?? [])
        : HISTOGRAM_BIN_LABELS
    for (const eventPlan of plan.events) {
      const { eventIndex } = eventPlan
      const keyCount = eventPlan.keys.length
      plan.segments.forEach((_, segmentIndex) => {
        let groups = aggregates.filter(
          (a) =>
            a.segmentIndex === segmentIndex &&
            a.eventIndex === eventIndex &&
            a.window === undefined,
        )
        // Without a group-by there is always one series, zeros when nothing matched.
        if (keyCount === 0 && groups.length === 0)
          groups = [
            { segmentIndex, eventIndex, keys: noKeys, collapsed: EMPTY, buckets: new Map() },
          ]
        const active = activeOf(segmentIndex)
        for (const group of ranked(groups, (g) => rankValue(rankBy, g.collapsed))) {
          const seriesLabel = label(segmentIndex, group.keys, keyCount)
          const at = (index: number) => group.buckets.get(index) ?? EMPTY
          if (query.metric === 'histogram') {
            binLabels.forEach((bin, k) => {
              push(
                points((index) => at(index).bins[k] ?? 0),
                group.collapsed.bins[k] ?? 0,
                seriesLabel,
                { segmentIndex, eventIndex, bin },
              )
            })
            continue
          }
          const valueAt = (index: number) =>
            metricValue(query.metric, at(index), active?.buckets.get(index) ?? EMPTY)
          push(
            points(valueAt),
            metricValue(query.metric, group.collapsed, active?.collapsed ?? EMPTY),
            seriesLabel,
            { segmentIndex, eventIndex },
          )
        }
      })
    }
  }
  return {
    series,
    seriesLabels,
    seriesCollapsed,
    seriesMeta,
    xValues: outputIndexes.map((index) => plan.buckets[index]?.label ?? ''),
  }
}
