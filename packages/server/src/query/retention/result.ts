/**
 * @module Retention counts → the `data` of `/api/2/retention` (query-api.md §3.5). Both the SQL path
 * and the reference evaluator produce `SeriesCounts`, so the wire shape is decided once, here:
 * `dates` newest first, keyed by the cohort's first day as `YYYY-MM-DD` (the server's x-value form;
 * Amplitude's doc shows `"Aug 14"`, which has no year — clients iterate `dates` and treat keys as
 * opaque); per date element 0 = the cohort size (`count = outof`), element N+1 = the column N.
 */
import type { RetentionCell, RetentionData, RetentionSeries, SeriesMeta } from '@ampkit/protocol'
import { cellComplete, type RetentionPlan } from './plan.ts'
import type { RetentionQuery } from './query.ts'

/** The counts of one series (one segment, or one group of the single segment). */
export interface SeriesCounts {
  segmentIndex: number
  /** The group-by value (`(none)` for no value), when the query groups. */
  groupValue?: string
  /** Users per cohort, in `plan.cohorts` order. */
  sizes: number[]
  /** Retained users per cohort and column. */
  retained: number[][]
  /** Distinct users over all cohorts of the series. */
  combinedSize: number
  /** Per column: distinct users retained in some cohort whose cell is complete. */
  combinedRetained: number[]
  /** Per column: distinct users in some cohort whose cell is complete. */
  combinedOutof: number[]
}

/** Counts of a series with no user at all. */
export function emptySeriesCounts(
  plan: RetentionPlan,
  segmentIndex: number,
  groupValue?: string,
): SeriesCounts {
  const columns = plan.columns.length
  return {
    segmentIndex,
    ...(groupValue !== undefined && { groupValue }),
    sizes: plan.cohorts.map(() => 0),
    retained: plan.cohorts.map(() => new Array<number>(columns).fill(0)),
    combinedSize: 0,
    combinedRetained: new Array<number>(columns).fill(0),
    combinedOutof: new Array<number>(columns).fill(0),
  }
}

/**
 * The series to answer: without a group-by one per segment, in order (empty ones too); with one,
 * the groups with the largest combined cohort first (ties by value), cut to `limit`.
 */
export function selectSeries(
  query: RetentionQuery,
  plan: RetentionPlan,
  counts: readonly SeriesCounts[],
): SeriesCounts[] {
  if (query.groupBy === undefined) {
    return query.segments.map(
      (_, index) => counts.find((c) => c.segmentIndex === index) ?? emptySeriesCounts(plan, index),
    )
  }
  return [...counts]
    .sort(
      (a, b) =>
        b.combinedSize - a.combinedSize || ((a.groupValue ?? '') < (b.groupValue ?? '') ? -1 : 1),
    )
    .slice(0, query.limit)
}

/** The `data` object of the answer. */
export function retentionData(
  query: RetentionQuery,
  plan: RetentionPlan,
  counts: readonly SeriesCounts[],
): RetentionData {
  const chosen = selectSeries(query, plan, counts)
  const series: RetentionSeries[] = chosen.map((c) => {
    const values: Record<string, RetentionCell[]> = {}
    plan.cohorts.forEach((cohort, index) => {
      const size = c.sizes[index] ?? 0
      const cells: RetentionCell[] = [{ count: size, outof: size, incomplete: false }]
      plan.columns.forEach((_, column) => {
        cells.push({
          count: c.retained[index]?.[column] ?? 0,
          outof: size,
          incomplete: !cellComplete(plan, index, column),
        })
      })
      values[cohort.label] = cells
    })
    const combined: RetentionCell[] = [
      { count: c.combinedSize, outof: c.combinedSize, retainedSetId: null, incomplete: false },
    ]
    plan.columns.forEach((_, column) => {
      combined.push({
        count: c.combinedRetained[column] ?? 0,
        outof: c.combinedOutof[column] ?? 0,
        retainedSetId: null,
        // Some cohort's cell is still open: the combined figure leaves it out and may yet change.
        incomplete: plan.cohorts.some((_, index) => !cellComplete(plan, index, column)),
      })
    })
    return {
      dates: plan.cohorts.map((cohort) => cohort.label).reverse(),
      values,
      combined,
    }
  })
  const seriesMeta: SeriesMeta[] = chosen.map((c) => ({
    segmentIndex: c.segmentIndex,
    eventIndex: 0,
    ...(c.groupValue !== undefined && { groupValue: c.groupValue }),
  }))
  return { series, seriesMeta }
}
