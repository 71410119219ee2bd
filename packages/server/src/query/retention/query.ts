/**
 * @module The typed retention query (`GET /api/2/retention`, query-api.md §3.5) and its parsing from
 * Amplitude's wire parameters. The semantics it stands for (analytics-semantics.md §1.4) are written
 * once, here, and both `sql.ts` and `reference.ts` implement them:
 *
 * - **Cohorts.** A user's start events (`se`, after the segment, which applies to start events only)
 *   inside `[start, end]` put the user in the cohort of each interval bucket (project time zone) that
 *   holds one; a user starting on several days is in several daily cohorts.
 * - **Anchor.** Inside one cohort bucket, the user's *first* start event (by time, then append order)
 *   anchors the windows; later start events of the same bucket add nothing. A group-by (`g`) reads
 *   the anchor's user properties.
 * - **Windows.** All arithmetic is on local wall-clock time of the project zone. Daily retention
 *   floors times to the hour and cuts 24-hour periods; weekly 7-day and monthly 30-day periods on
 *   times floored to the day ("computed daily"). Day N = `[A + N·P, A + (N+1)·P)` with A the floored
 *   anchor and P the period; a return event at floored time T is on day `⌊(T − A) / P⌋`. Across a DST
 *   change a period is one wall-clock day (23 or 25 real hours), not 24 real hours.
 * - **Day 0.** A return event counts only when its time is strictly later (in ms) than the anchor's:
 *   the start event itself never counts as its own return, nor does an event logged in the same
 *   millisecond (Amplitude's tie rule is unconfirmed; this one is the robust reading of "a different
 *   event after the start").
 * - **Modes.** n-day ("Return On"): retained on day N when a return falls on day N. Rolling ("Return
 *   On or After"): when some return falls on day N or later (monotone non-increasing). Bracket:
 *   retained in `[from, to)` when a return falls on a day of that range.
 * - **Columns** are described in `plan.ts`, completeness (`incomplete`) and the combined row too.
 */
import { MAX_GROUP_LIMIT } from '@ampkit/protocol'
import type { CohortMembers, EventSelector, PropertyRef, QueryRange, Segment } from '../ir.ts'
import {
  eventParam,
  groupByParam,
  limitParam,
  queryError,
  rangeParams,
  segmentsParam,
} from '../params.ts'

/** A bracket `[fromDay, toDay)` in interval periods (days, weeks or months). */
export interface RetentionBracket {
  fromDay: number
  toDay: number
}

/** How a user counts as retained (`rm`). */
export type RetentionMode =
  /** "Return On": a return on exactly day N (the default, no `rm`). */
  | { kind: 'n-day' }
  /** "Return On or After": a return on day N or later. */
  | { kind: 'rolling' }
  /** "Return On (Custom)": a return on some day of each bracket. */
  | { kind: 'bracket'; brackets: readonly RetentionBracket[] }

/** One retention query. */
export interface RetentionQuery {
  projectId: number
  /** `se`: `_new`, `_active`, `_all` or a concrete event, with its filters. */
  startEvent: EventSelector
  /** `re`: `_all`, `_active` or a concrete event, with its filters. */
  returnEvent: EventSelector
  /** Cohort start dates and the interval (`day`, `week` or `month`). */
  range: QueryRange
  mode: RetentionMode
  /** One series per segment (or per group of the single segment); applied to start events only. */
  segments: readonly Segment[]
  /** `g`: a user property of the anchor start event; one series per value. */
  groupBy?: PropertyRef
  /** Most groups returned (largest combined cohort first). @default 100 */
  limit: number
  /** Members of the cohorts the segments name. */
  cohorts: CohortMembers
}

/** Most brackets in `rb` (analytics-semantics.md §1.4). */
export const MAX_BRACKETS = 100
/** Largest bracket end accepted, in periods: longer than any stored history needs. */
export const MAX_BRACKET_DAY = 3660

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/** The period of a day N, in wall-clock ms: 24 h, 7 days or 30 days. */
export function periodMs(interval: QueryRange['interval']): number {
  return interval === 'week' ? 7 * DAY_MS : interval === 'month' ? 30 * DAY_MS : DAY_MS
}

/** What times are floored to before days are counted: the hour for daily, the day otherwise. */
export function floorMs(interval: QueryRange['interval']): number {
  return interval === 'day' ? HOUR_MS : DAY_MS
}

function bracketsOf(text: string | null): RetentionBracket[] {
  if (text === null || text === '')
    throw queryError('Missing required parameter: rb (required with rm=bracket)')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw queryError('Invalid parameter rb: not valid JSON')
  }
  if (!Array.isArray(raw) || raw.length === 0)
    throw queryError('Invalid parameter rb: expected a non-empty array of [from, to) pairs')
  if (raw.length > MAX_BRACKETS)
    throw queryError(`Invalid parameter rb: at most ${MAX_BRACKETS} brackets`)
  return raw.map((pair, index) => {
    const where = `Invalid parameter rb[${index}]`
    if (!Array.isArray(pair) || pair.length !== 2) throw queryError(`${where}: expected [from, to)`)
    const [fromDay, toDay] = pair as unknown[]
    if (
      typeof fromDay !== 'number' ||
      typeof toDay !== 'number' ||
      !Number.isInteger(fromDay) ||
      !Number.isInteger(toDay) ||
      fromDay < 0 ||
      toDay <= fromDay ||
      toDay > MAX_BRACKET_DAY
    )
      throw queryError(
        `${where}: expected integers 0 <= from < to <= ${MAX_BRACKET_DAY}, got ${JSON.stringify(pair)}`,
      )
    return { fromDay, toDay }
  })
}

function modeOf(url: URL): RetentionMode {
  const rm = url.searchParams.get('rm') ?? ''
  const rb = url.searchParams.get('rb')
  if (rm === 'bracket') return { kind: 'bracket', brackets: bracketsOf(rb) }
  if (rb !== null && rb !== '') throw queryError('Invalid parameter rb: only with rm=bracket')
  // N-day is sent as no `rm` at all; `n-day` is accepted too, and `unbounded` is rolling's old name.
  if (rm === '' || rm === 'n-day') return { kind: 'n-day' }
  if (rm === 'rolling' || rm === 'unbounded') return { kind: 'rolling' }
  throw queryError('Invalid parameter rm: expected rolling or bracket (or none for n-day)')
}

/** Options of `retentionQueryOf`. */
export interface RetentionParamsContext {
  projectId: number
  /** The project's IANA time zone. */
  timeZone: string
  /** Cohort members, resolved by the caller from `segments` (see `resolveCohorts`). */
  cohorts?: CohortMembers
}

/**
 * Parses the wire parameters. Throws a 400 `ApiError` naming the bad parameter. Cohort members are
 * not resolved here (`cohorts` stays as given, empty by default).
 */
export function retentionQueryOf(url: URL, context: RetentionParamsContext): RetentionQuery {
  const startEvent = eventParam(url, 'se')
  const returnEvent = eventParam(url, 're')
  // `_new` is a property of a user's first event, meaningful only as the cohort's entry.
  if (returnEvent.eventType === '_new')
    throw queryError('Invalid parameter re: _new is a start event only')
  // Retention groups by `g`; an event object's own group_by would be a second, silent grouping.
  if (startEvent.groupBy.length > 0 || returnEvent.groupBy.length > 0)
    throw queryError('Invalid parameters se/re: retention groups by the g parameter, not group_by')
  const range = rangeParams(url, {
    timeZone: context.timeZone,
    intervals: ['day', 'week', 'month'],
  })
  const segments = segmentsParam(url)
  const groupBy = groupByParam(url, 'g')
  if (url.searchParams.getAll('g').length > 1)
    throw queryError('Invalid parameter g: at most one group-by')
  if (groupBy !== undefined && segments.length > 1)
    throw queryError('Invalid parameter g: a group-by takes a single segment')
  const limit = limitParam(url)
  return {
    projectId: context.projectId,
    startEvent,
    returnEvent,
    range,
    mode: modeOf(url),
    segments,
    ...(groupBy !== undefined && { groupBy }),
    limit: Math.min(limit, MAX_GROUP_LIMIT),
    cohorts: context.cohorts ?? new Map(),
  }
}
