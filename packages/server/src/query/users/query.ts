/**
 * @module The typed active/new users query (`GET /api/2/users`, query-api.md §3.6) and its parsing.
 * The semantics (analytics-semantics.md §1.1), written once here for `sql.ts` and `reference.ts`:
 *
 * - **Active** (`m=active`, the default): a user counts in a bucket when they logged ≥ 1 *active*
 *   event in it (`INACTIVE_EVENT_TYPES` never count) that passes the segment.
 * - **New** (`m=new`): a user counts in the bucket holding their first-ever event (inactive events
 *   included, all time, not only the range), when that first event falls in the range and passes the
 *   segment.
 * - Segments are tested per event, as in segmentation (user properties as of the event); a group-by
 *   (`g`) labels each counted event with the first value of its property, or `(none)`. A user whose
 *   property changed inside a bucket counts in each group they had.
 * - Only events inside `[start, end]` (project time zone) count, also in a week or month already under
 *   way at `start`. `seriesCollapsed` is the distinct users over the whole range (not a sum).
 */
import type { CohortMembers, PropertyRef, QueryRange, Segment } from '../ir.ts'
import {
  choiceParam,
  groupByParam,
  limitParam,
  queryError,
  rangeParams,
  segmentsParam,
} from '../params.ts'

/** Most segments (`s` repeated) in one query. */
export const MAX_USER_SEGMENTS = 10

/** One `/api/2/users` query. */
export interface UsersQuery {
  projectId: number
  /** `m`. @default 'active' */
  mode: 'active' | 'new'
  /** `start`, `end`, `i` (day, week or month). */
  range: QueryRange
  /** One per `s`; one empty segment (all users) when there is none. */
  segments: readonly Segment[]
  /** `g`: a user property; only with a single segment. */
  groupBy: PropertyRef | undefined
  /** Groups kept, by collapsed value descending. @default 100 */
  limit: number
  /** Members of the cohorts the segments name (empty until resolved). */
  cohorts: CohortMembers
}

/** Parses and checks the parameters of `/api/2/users`. */
export function usersQueryOf(url: URL, project: { id: number; timeZone: string }): UsersQuery {
  const mode = choiceParam(url, 'm', ['active', 'new'] as const, 'active')
  const range = rangeParams(url, {
    timeZone: project.timeZone,
    intervals: ['day', 'week', 'month'],
  })
  const segments = segmentsParam(url)
  if (segments.length > MAX_USER_SEGMENTS)
    throw queryError(`Invalid parameter s: at most ${MAX_USER_SEGMENTS} segments`)
  const groupBy = groupByParam(url, 'g')
  // query-api.md §3.2: a group-by only with a single segment.
  if (groupBy !== undefined && segments.length > 1)
    throw queryError('Invalid parameter g: a group-by takes a single segment')
  return {
    projectId: project.id,
    mode,
    range,
    segments,
    groupBy,
    limit: limitParam(url),
    cohorts: new Map(),
  }
}
