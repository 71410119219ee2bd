/**
 * @module The shape of a retention answer, fixed before any event is read: the cohort buckets, the
 * columns, and which cells are complete as of the server clock. `sql.ts` and `reference.ts` fill the
 * same plan, `result.ts` shapes it.
 *
 * - **Cohort buckets**: every interval bucket (day, Monday week, month of the project zone) that holds
 *   a day of `[start, end]`, empty ones included; a bucket only part-way in the range takes start
 *   events from its days inside the range.
 * - **Columns** (n-day and rolling): Day 0 … Day K−1 with K = max(buckets in the range, 31 days /
 *   12 weeks / 12 months), cut after the last day that has begun for the earliest cohort as of now
 *   (at least Day 0). Bracket: one column per bracket, in the order given.
 * - **Completeness**: day N of a cohort is complete once it has fully elapsed for every anchor the
 *   bucket can hold, i.e. for the latest floored anchor `L` (the last hour, or day, of the bucket
 *   inside the range): `now ≥ L + (N+1)·P`. A bracket is complete when its last day is. Incomplete
 *   cells say `incomplete: true` and stay out of the combined row.
 */
import {
  bucketStartWall,
  dayToWallMs,
  labelOfWall,
  localWallMs,
  nextBucketWall,
} from '../time-buckets.ts'
import { floorMs, periodMs, type RetentionQuery } from './query.ts'

const DAY_MS = 86_400_000

/** One cohort bucket. */
export interface CohortBucket {
  /** Date key of the cohort: the bucket's first day, `YYYY-MM-DD` (as the server's x-values). */
  label: string
  /** Wall-clock start of the bucket (local time written as if UTC), ms. */
  startWallMs: number
  /** Days N (periods) of this cohort that are complete: days 0 … completeDays−1. */
  completeDays: number
}

/** One column: which days retain a user, and when the column is complete. */
export interface RetentionColumn {
  /** First day the column reads. */
  fromDay: number
  /**
   * The day after the last one it reads (n-day: fromDay + 1; bracket: the bracket's end). Rolling
   * reads every day from `fromDay` on, but is complete like n-day (`fromDay + 1`).
   */
  toDay: number
}

/** The answer's shape at a given now. */
export interface RetentionPlan {
  /** Oldest first. */
  cohorts: CohortBucket[]
  columns: RetentionColumn[]
  /** Wall-clock ms of one day N (24 h, 7 days or 30 days). */
  periodMs: number
  /** Wall-clock ms times are floored to (an hour, or a day). */
  floorMs: number
  /** The largest day any column reads, exclusive; Infinity for rolling. */
  dayLimit: number
}

/** Default fewest n-day/rolling columns, per interval (a month of days, a quarter of weeks, a year). */
const MIN_COLUMNS = { day: 31, week: 12, month: 12 } as const

/** The plan of `query` as of `nowMs` (the server clock). */
export function retentionPlan(query: RetentionQuery, nowMs: number): RetentionPlan {
  const { range, mode } = query
  const interval = range.interval
  if (interval !== 'day' && interval !== 'week' && interval !== 'month')
    throw new Error(`retention plan: interval ${interval} is not day, week or month`)
  const period = periodMs(interval)
  const floor = floorMs(interval)
  const nowWall = localWallMs(nowMs, range.timeZone)
  const rangeStartWall = dayToWallMs(range.startDay)
  const rangeEndWall = dayToWallMs(range.endDay) + DAY_MS
  const cohorts: CohortBucket[] = []
  for (
    let wall = bucketStartWall(rangeStartWall, interval);
    wall < rangeEndWall;
    wall = nextBucketWall(wall, interval)
  ) {
    const lastAnchorWall = Math.min(nextBucketWall(wall, interval), rangeEndWall) - floor
    cohorts.push({
      label: labelOfWall(wall, interval),
      startWallMs: wall,
      completeDays: Math.max(0, Math.floor((nowWall - lastAnchorWall) / period)),
    })
  }
  let columns: RetentionColumn[]
  if (mode.kind === 'bracket') {
    columns = mode.brackets.map((b) => ({ fromDay: b.fromDay, toDay: b.toDay }))
  } else {
    const wanted = Math.max(cohorts.length, MIN_COLUMNS[interval])
    // Days that have not begun for the earliest possible anchor hold nothing yet for any cohort.
    const begun = Math.floor((nowWall - rangeStartWall) / period) + 1
    const count = Math.max(1, Math.min(wanted, begun))
    columns = Array.from({ length: count }, (_, day) => ({ fromDay: day, toDay: day + 1 }))
  }
  const dayLimit =
    mode.kind === 'rolling' ? Number.POSITIVE_INFINITY : Math.max(...columns.map((c) => c.toDay))
  return { cohorts, columns, periodMs: period, floorMs: floor, dayLimit }
}

/** True when column `column` of cohort `cohort` has fully elapsed. */
export function cellComplete(plan: RetentionPlan, cohort: number, column: number): boolean {
  const c = plan.cohorts[cohort]
  const col = plan.columns[column]
  return c !== undefined && col !== undefined && col.toDay <= c.completeDays
}
