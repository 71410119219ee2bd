/**
 * @module The typed revenue LTV query (`GET /api/2/revenue/ltv`, query-api.md §3.6) and its parsing.
 * The semantics, written once here for `sql.ts` and `reference.ts` (unconfirmed beyond the shape):
 *
 * - **Cohorts.** A user belongs to the cohort of the interval bucket (project time zone) holding
 *   their first-ever event (inactive events included), when that event is inside `[start, end]`;
 *   the segment is tested, and the group-by (`g`) read, on that first event.
 * - **Revenue** is an event's `revenue` column (price × quantity; events without one carry none).
 *   A *paying* user has an event with revenue > 0 (refunds, negative, never make one).
 * - **Windows.** `rNd` covers the user's first N local calendar days, the day of the first event
 *   being day 0: an event counts toward `rNd` when its local day is < first day + N. Cohort values
 *   sum their users'. N runs over `LTV_DAYS`.
 * - **Metrics** (`m`): 0 ARPU = revenue in the window ÷ cohort users; 1 ARPPU = revenue in the window
 *   ÷ users paying in the window (0 when none); 2 total revenue in the window; 3 users paying in the
 *   window. `count` = cohort users, `paid` = those who ever paid, `total_amount` = their revenue
 *   ever (all stored events, as of the query).
 */
import type { CohortMembers, PropertyRef, QueryRange, Segment } from '../ir.ts'
import { groupByParam, limitParam, queryError, rangeParams, segmentsParam } from '../params.ts'

/**
 * The windows reported, in days. The spec writes `r1d, r2d, …, r90d`; which N in between Amplitude
 * sends is unconfirmed, so every day of the first two weeks and the usual 30/60/90.
 */
export const LTV_DAYS: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 30, 60, 90,
]

/** `m`: 0 ARPU, 1 ARPPU, 2 total revenue, 3 paying users. */
export type LtvMetric = 0 | 1 | 2 | 3

/** Most segments (`s` repeated) in one query. */
export const MAX_LTV_SEGMENTS = 10

export interface RevenueLtvQuery {
  projectId: number
  /** @default 0 (ARPU) */
  metric: LtvMetric
  range: QueryRange
  segments: readonly Segment[]
  groupBy: PropertyRef | undefined
  /** Groups kept, by cohort users descending. @default 100 */
  limit: number
  cohorts: CohortMembers
}

export function revenueLtvQueryOf(
  url: URL,
  project: { id: number; timeZone: string },
): RevenueLtvQuery {
  const m = url.searchParams.get('m') ?? ''
  if (!['', '0', '1', '2', '3'].includes(m))
    throw queryError('Invalid parameter m: expected 0 (ARPU), 1 (ARPPU), 2 (total) or 3 (paying)')
  const segments = segmentsParam(url)
  if (segments.length > MAX_LTV_SEGMENTS)
    throw queryError(`Invalid parameter s: at most ${MAX_LTV_SEGMENTS} segments`)
  const groupBy = groupByParam(url, 'g')
  if (groupBy !== undefined && segments.length > 1)
    throw queryError('Invalid parameter g: a group-by takes a single segment')
  return {
    projectId: project.id,
    metric: Number(m === '' ? '0' : m) as LtvMetric,
    range: rangeParams(url, { timeZone: project.timeZone, intervals: ['day', 'week', 'month'] }),
    segments,
    groupBy,
    limit: limitParam(url),
    cohorts: new Map(),
  }
}
