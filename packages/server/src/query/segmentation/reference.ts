/**
 * @module The pure-TypeScript reference evaluator of Event Segmentation: the same semantics as
 * `sql.ts`, written plainly over in-memory events (analytics-semantics.md §1.2). It is the test
 * oracle the SQL engine is compared with on random datasets, not a production path.
 *
 * Per segment, event and group, it collects each user's events per interval and over the range
 * (the range part de-duplicates users for `seriesCollapsed`), then folds them into `Aggregate`s.
 */
import type { Store } from '../../store/store.ts'
import { firstEventSeqs, matchesEvent } from '../event-selector.ts'
import type { CohortMembers, EventSelector, PropertyRef } from '../ir.ts'
import { groupLabel, propertyValues } from '../property-filter.ts'
import { loadQueryEvents, type QueryEvent } from '../query-event.ts'
import { segmentMatcher } from '../segment.ts'
import { bucketLabel } from '../time-buckets.ts'
import {
  ACTIVE_EVENT_INDEX,
  type Aggregate,
  binOf,
  emptyAggregate,
  percentileOf,
  type SeriesAggregates,
  seriesId,
} from './aggregates.ts'
import { formulaWindows } from './formula.ts'
import { planOf, type SegmentationPlan } from './plan.ts'
import type { SegmentationQuery } from './query.ts'
import { valueBinEdges, valueBinOf } from './value-bins.ts'

const ACTIVE: EventSelector = { eventType: '_active', filters: [], groupBy: [] }

interface Cell {
  events: number
  sum: number
  valueCount: number
  min: number | undefined
  max: number | undefined
  revenue: number
  /** The property's first values as text (PROPCOUNT), numeric or not. */
  distinct: Set<string>
  /** Every numeric value (PERCENTILE). */
  values: number[]
}

function emptyCell(): Cell {
  return {
    events: 0,
    sum: 0,
    valueCount: 0,
    min: undefined,
    max: undefined,
    revenue: 0,
    distinct: new Set(),
    values: [],
  }
}

/** One event's readings. */
interface Reading {
  value: number | undefined
  text: string | undefined
  revenue: number
}

function addCell(total: Cell, cell: Cell): void {
  total.events += cell.events
  total.sum += cell.sum
  total.valueCount += cell.valueCount
  if (cell.min !== undefined) total.min = Math.min(total.min ?? cell.min, cell.min)
  if (cell.max !== undefined) total.max = Math.max(total.max ?? cell.max, cell.max)
  total.revenue += cell.revenue
  for (const text of cell.distinct) total.distinct.add(text)
  for (const value of cell.values) total.values.push(value)
}

interface Collecting {
  segmentIndex: number
  eventIndex: number
  keys: string[]
  /** user → bucket index → cell */
  perBucket: Map<number, Map<number, Cell>>
  /** user → cell, events inside the range only */
  inRange: Map<number, Cell>
}

/**
 * A property's numeric reading: its first value when that whole text is a finite number
 * (`(none)`, booleans and words are not numbers).
 */
export function numericValue(ref: PropertyRef, event: QueryEvent): number | undefined {
  const text = propertyValues(ref, event)[0]
  if (text === undefined || text.trim() === '') return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

function addTo(cells: Map<number, Cell>, key: number, reading: Reading): void {
  let cell = cells.get(key)
  if (cell === undefined) {
    cell = emptyCell()
    cells.set(key, cell)
  }
  cell.events++
  const { value } = reading
  if (value !== undefined) {
    cell.sum += value
    cell.valueCount++
    cell.min = Math.min(cell.min ?? value, value)
    cell.max = Math.max(cell.max ?? value, value)
    cell.values.push(value)
  }
  if (reading.text !== undefined) cell.distinct.add(reading.text)
  cell.revenue += reading.revenue
}

/**
 * Folds one user's cell into an aggregate; `bin` is the user's histogram bin, if any; `distinct`
 * gathers the aggregate's distinct values across its users.
 */
function fold(target: Aggregate, cell: Cell, bin: number | undefined, distinct: Set<string>): void {
  target.users++
  target.events += cell.events
  target.sum += cell.sum
  target.valueCount += cell.valueCount
  if (bin !== undefined) target.bins[bin] = (target.bins[bin] ?? 0) + 1
  if (cell.min !== undefined) target.valueMin = Math.min(target.valueMin ?? cell.min, cell.min)
  if (cell.max !== undefined) target.valueMax = Math.max(target.valueMax ?? cell.max, cell.max)
  target.revenue += cell.revenue
  for (const text of cell.distinct) distinct.add(text)
  target.distinctValues = distinct.size
  target.userDistinctValues += cell.distinct.size
}

/** The percentiles the formulas ask of an aggregate's users (`cells`), once all are folded. */
function addPercentiles(target: Aggregate, cells: readonly Cell[], plan: SegmentationPlan): void {
  const { valuePercentiles, countPercentiles } = plan.extras
  if (valuePercentiles.length > 0) {
    const values: number[] = []
    for (const cell of cells) for (const value of cell.values) values.push(value)
    if (values.length > 0)
      for (const p of valuePercentiles) target.valuePercentiles.set(p, percentileOf(values, p))
  }
  const counts = cells.map((cell) => cell.events)
  if (counts.length > 0)
    for (const p of countPercentiles) target.countPercentiles.set(p, percentileOf(counts, p))
}

/**
 * The reference aggregates of a query over `events` (every event of the project): the query's
 * own, then one pass per `ROLLWIN` window of its formulas.
 */
export function referenceAggregatesOf(
  events: readonly QueryEvent[],
  query: SegmentationQuery,
  cohorts: CohortMembers,
): SeriesAggregates[] {
  const windows = [...new Set(query.formulas.flatMap((f) => formulaWindows(f.root)))]
  return [
    ...aggregatesOfPlan(events, query, cohorts, planOf(query)),
    ...windows.flatMap((window) =>
      aggregatesOfPlan(events, query, cohorts, planOf(query, window)).map((a) => ({
        ...a,
        window,
      })),
    ),
  ]
}

function aggregatesOfPlan(
  events: readonly QueryEvent[],
  query: SegmentationQuery,
  cohorts: CohortMembers,
  plan: SegmentationPlan,
): SeriesAggregates[] {
  const firstSeqs = firstEventSeqs(events)
  const matchers = plan.segments.map((segment) =>
    segmentMatcher(segment, events, { range: query.range, cohorts }, firstSeqs),
  )
  const bucketIndex = new Map(plan.buckets.map((bucket, index) => [bucket.label, index]))
  const series = new Map<string, Collecting>()
  const pad = (keys: string[]) => [...keys, ...new Array(plan.keyCount - keys.length).fill('')]

  function collect(
    segmentIndex: number,
    eventIndex: number,
    keys: string[],
    event: QueryEvent,
    bucket: number,
    reading: Reading,
  ) {
    const id = seriesId(segmentIndex, eventIndex, keys)
    let entry = series.get(id)
    if (entry === undefined) {
      entry = { segmentIndex, eventIndex, keys, perBucket: new Map(), inRange: new Map() }
      series.set(id, entry)
    }
    let buckets = entry.perBucket.get(event.userKey)
    if (buckets === undefined) {
      buckets = new Map()
      entry.perBucket.set(event.userKey, buckets)
    }
    addTo(buckets, bucket, reading)
    if (event.timeMs >= plan.rangeStartMs) addTo(entry.inRange, event.userKey, reading)
  }

  for (const event of events) {
    if (event.timeMs < plan.scanStartMs || event.timeMs >= plan.endMs) continue
    const bucket = bucketIndex.get(bucketLabel(event.timeMs, plan.interval, plan.timeZone))
    if (bucket === undefined) continue
    matchers.forEach((matches, segmentIndex) => {
      if (!matches(event)) return
      for (const eventPlan of plan.events) {
        if (!matchesEvent(eventPlan.selector, event, firstSeqs)) continue
        const keys = pad(eventPlan.keys.map((ref) => groupLabel(ref, event)))
        const property = eventPlan.valueProperty
        collect(segmentIndex, eventPlan.eventIndex, keys, event, bucket, {
          value: property === undefined ? undefined : numericValue(property, event),
          text: property === undefined ? undefined : propertyValues(property, event)[0],
          revenue: event.revenue ?? 0,
        })
      }
      if (plan.needsActive && matchesEvent(ACTIVE, event, firstSeqs))
        collect(segmentIndex, ACTIVE_EVENT_INDEX, pad([]), event, bucket, {
          value: undefined,
          text: undefined,
          revenue: 0,
        })
    })
  }

  // Each series' per-user cells: over the range, and per interval over its trailing window.
  const firstBucket = plan.window > 1 ? plan.windowFirstIndex : 0
  const gathered = [...series.values()]
    // A group exists when it has an event inside the range (pre-range events only feed rolling);
    // without group keys the one series of a segment and event always exists, so a rolling window
    // over pre-range events shows in its first points (as in the SQL engine).
    .filter((entry) => entry.inRange.size > 0 || plan.keyCount === 0)
    .map((entry) => {
      const buckets = new Map<number, Cell[]>()
      for (let index = firstBucket; index < plan.buckets.length; index++) {
        const users: Cell[] = []
        for (const cells of entry.perBucket.values()) {
          const total = emptyCell()
          for (let back = Math.max(0, index - plan.window + 1); back <= index; back++) {
            const cell = cells.get(back)
            if (cell !== undefined) addCell(total, cell)
          }
          if (total.events > 0) users.push(total)
        }
        if (users.length > 0) buckets.set(index, users)
      }
      return { entry, collapsed: [...entry.inRange.values()], buckets }
    })

  // The value histogram bins a user by their value (the sum of the property over their events in
  // the interval or range); a user without a numeric value is in no bin. The edges span every
  // value the query bins, over all series, so every series shares one set of buckets.
  let edges: number[] | undefined
  if (plan.histogram === 'value') {
    let min: number | undefined
    let max: number | undefined
    for (const { collapsed, buckets } of gathered)
      for (const cells of [collapsed, ...buckets.values()])
        for (const cell of cells) {
          if (cell.valueCount === 0) continue
          min = min === undefined ? cell.sum : Math.min(min, cell.sum)
          max = max === undefined ? cell.sum : Math.max(max, cell.sum)
        }
    edges = valueBinEdges(min, max)
  }
  const binOfCell = (cell: Cell): number | undefined =>
    edges === undefined
      ? binOf(cell.events)
      : cell.valueCount > 0
        ? valueBinOf(cell.sum, edges)
        : undefined

  return gathered.map(({ entry, collapsed: cells, buckets: bucketCells }) => {
    const collapsed = emptyAggregate()
    const distinct = new Set<string>()
    for (const cell of cells) fold(collapsed, cell, binOfCell(cell), distinct)
    addPercentiles(collapsed, cells, plan)
    const buckets = new Map<number, Aggregate>()
    for (const [index, users] of bucketCells) {
      const aggregate = emptyAggregate()
      const bucketDistinct = new Set<string>()
      for (const cell of users) fold(aggregate, cell, binOfCell(cell), bucketDistinct)
      addPercentiles(aggregate, users, plan)
      buckets.set(index, aggregate)
    }
    return {
      segmentIndex: entry.segmentIndex,
      eventIndex: entry.eventIndex,
      keys: entry.keys,
      collapsed,
      buckets,
      ...(edges !== undefined && { valueBinEdges: edges }),
    }
  })
}

/** Loads every event of the query's project and evaluates the query over them. */
export async function referenceAggregates(
  store: Store,
  query: SegmentationQuery,
  cohorts: CohortMembers,
): Promise<SeriesAggregates[]> {
  return referenceAggregatesOf(await loadQueryEvents(store, query.projectId), query, cohorts)
}
