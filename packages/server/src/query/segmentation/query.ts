/**
 * @module The typed Event Segmentation query (`GET /api/2/events/segmentation`, query-api.md §3.3)
 * and its parsing from the wire parameters. Every check happens here, so the SQL engine and the
 * reference evaluator receive only queries they can answer, and a client gets a 400 naming the bad
 * parameter.
 */
import { SEGMENTATION_METRICS, type SegmentationMetric } from '@ampkit/protocol'
import type { EventSelector, PropertyRef, QueryRange, Segment } from '../ir.ts'
import {
  choiceParam,
  eventParam,
  groupByParam,
  integerParam,
  limitParam,
  optionalEventParam,
  queryError,
  rangeParams,
  segmentsParam,
} from '../params.ts'
import {
  type Formula,
  formulaTerms,
  formulaWindows,
  HISTOGRAM_FUNCTIONS,
  parseFormulas,
  VALUE_FUNCTIONS,
} from './formula.ts'

export type { SegmentationMetric }

/** Most segments (`s` repeated) in one query. */
export const MAX_SEGMENTS = 10
/** Longest `rollingWindow`/`rollingAverage`, in intervals. */
export const MAX_ROLLING_INTERVALS = 365

/** One Event Segmentation query. */
export interface SegmentationQuery {
  projectId: number
  /** `e`, then `e2` when given. */
  events: readonly EventSelector[]
  /** `m`. @default 'uniques' */
  metric: SegmentationMetric
  /** The parsed `formula` parameter (only with `m=formula`; else empty). */
  formulas: readonly Formula[]
  /** `n`: `active` counts only events of users active in the same interval. @default 'any' */
  userType: 'any' | 'active'
  range: QueryRange
  /** One per `s` parameter; one empty segment (all users) when there is none. */
  segments: readonly Segment[]
  /**
   * `g`, `g2`: user properties to group every event by. Amplitude documents `g` with a single
   * segment; with several, each segment is split by the same groups (labels carry the segment).
   */
  groupBy: readonly PropertyRef[]
  /** Groups kept per series family, by the ordering of `plan.ts`. @default 100 */
  limit: number
  /** `rollingWindow`: each point aggregates the trailing N intervals. @default 1 (off) */
  rollingWindow: number
  /** `rollingAverage`: each point is the mean of the trailing N points. @default 1 (off) */
  rollingAverage: number
}

/** What a query needs to know about its project. */
export interface SegmentationProject {
  id: number
  timeZone: string
}

const PROPERTY_METRICS: readonly SegmentationMetric[] = ['sums', 'value_avg']

/** Parses and checks the parameters of `/api/2/events/segmentation`. */
export function segmentationQueryOf(url: URL, project: SegmentationProject): SegmentationQuery {
  const e = eventParam(url, 'e')
  const e2 = optionalEventParam(url, 'e2')
  const events = e2 === undefined ? [e] : [e, e2]
  const metric = choiceParam(url, 'm', SEGMENTATION_METRICS, 'uniques')
  const formulaText = url.searchParams.get('formula')
  let formulas: Formula[] = []
  if (metric === 'formula') {
    if (formulaText === null || formulaText.trim() === '')
      throw queryError('Missing required parameter: formula (with m=formula)')
    formulas = parseFormulas(formulaText, events.length)
    checkFormulaEvents(formulas, events)
  } else if (formulaText !== null && formulaText !== '') {
    throw queryError('Invalid parameter formula: only with m=formula')
  }
  // A histogram with a property in `e.group_by` bins users by that property's value; then every
  // event needs one, as the other property metrics do. Without, it bins by event count.
  const valueHistogram = metric === 'histogram' && events.some((e) => e.groupBy.length > 0)
  if (PROPERTY_METRICS.includes(metric) || valueHistogram) {
    events.forEach((event, index) => {
      if (event.groupBy.length === 0)
        throw queryError(
          `Invalid parameter ${index === 0 ? 'e' : 'e2'}: m=${metric} reads the numeric property of the event's first group_by, and there is none`,
        )
    })
  }
  const segments = segmentsParam(url)
  if (segments.length > MAX_SEGMENTS)
    throw queryError(`Invalid parameter s: at most ${MAX_SEGMENTS} segments`)
  const groupBy = [groupByParam(url, 'g'), groupByParam(url, 'g2')].filter(
    (ref): ref is PropertyRef => ref !== undefined,
  )
  if (url.searchParams.has('g2') && !url.searchParams.get('g'))
    throw queryError('Invalid parameter g2: only together with g')
  const rollingWindow = integerParam(url, 'rollingWindow', 1, 1, MAX_ROLLING_INTERVALS)
  const rollingAverage = integerParam(url, 'rollingAverage', 1, 1, MAX_ROLLING_INTERVALS)
  if (rollingWindow > 1 && rollingAverage > 1)
    throw queryError('Invalid parameters rollingWindow/rollingAverage: use one of them')
  // A ROLLWIN term re-aggregates over its own window; with `rollingWindow` too, the terms outside
  // it would be windowed twice over (unconfirmed what Amplitude does): refused.
  if (rollingWindow > 1 && formulas.some((f) => formulaWindows(f.root).length > 0))
    throw queryError('Invalid parameters formula/rollingWindow: ROLLWIN already sets the window')
  return {
    projectId: project.id,
    events,
    metric,
    formulas,
    userType: choiceParam(url, 'n', ['any', 'active'] as const, 'any'),
    range: rangeParams(url, { timeZone: project.timeZone }),
    segments,
    groupBy,
    limit: limitParam(url),
    rollingWindow,
    rollingAverage,
  }
}

/**
 * Amplitude's formula rules: the value functions (`VALUE_FUNCTIONS`) read the event's first
 * group_by, and a grouped formula needs the same number of group_by clauses on each event it
 * combines (their values are matched position by position).
 */
function checkFormulaEvents(formulas: readonly Formula[], events: readonly EventSelector[]): void {
  const used = new Set<number>()
  const consumed = new Set<number>()
  for (const formula of formulas) {
    for (const term of formulaTerms(formula.root)) {
      used.add(term.eventIndex)
      if (!VALUE_FUNCTIONS.has(term.fn)) continue
      consumed.add(term.eventIndex)
      if (events[term.eventIndex]?.groupBy.length === 0)
        throw queryError(
          `Invalid parameter formula: ${term.fn} reads the first group_by of event ${String.fromCharCode(65 + term.eventIndex)}, and it has none`,
        )
    }
  }
  if (used.size === 0)
    throw queryError('Invalid parameter formula: it names no event (A = e, B = e2)')
  const histograms = formulas.flatMap((f) =>
    formulaTerms(f.root).filter((t) => HISTOGRAM_FUNCTIONS.has(t.fn)),
  )
  const [histogram] = histograms
  // A histogram is a set of series (one per bin), not a number to combine.
  if (histogram !== undefined && (formulas.length > 1 || formulas[0]?.root.kind !== 'term'))
    throw queryError(
      `Invalid parameter formula: ${histogram.fn} charts a histogram and stands alone (one formula, no arithmetic)`,
    )
  // The group keys: every group_by, but the first of an event a value function reads is its value
  // only (the property rule of `formula.ts`).
  const lengths = new Set(
    [...used].map((index) => (events[index]?.groupBy.length ?? 0) - (consumed.has(index) ? 1 : 0)),
  )
  if (lengths.size > 1)
    throw queryError(
      consumed.size === 0
        ? 'Invalid parameter formula: the events of a formula need the same number of group_by clauses'
        : 'Invalid parameter formula: the events of a formula need the same number of group_by clauses (besides the property a value function such as PROPSUM or PROPMIN reads)',
    )
}
