/**
 * @module Distinct-user counts per (segment, group, bucket) → the `data` of `/api/2/users`. Both the
 * SQL engine and the reference evaluator produce `UserCounts`; the property tests compare those.
 */
import type { SeriesLabel } from '@ampkit/protocol'
import { bucketLabels } from '../time-buckets.ts'
import type { UsersQuery } from './query.ts'

/** The bucket key of the whole-range (collapsed) count. */
export const COLLAPSED = '*'

/** `"segment|group|bucketLabel"` → distinct users (group '' without `g`; bucket `*` = the range). */
export type UserCounts = Map<string, number>

export function countKey(segment: number, group: string | null, bucket: string): string {
  return `${segment}|${group ?? ''}|${bucket}`
}

/** `data` of `/api/2/users`. */
export interface UsersData {
  series: number[][]
  /** Segment index without `g`; the group value with it (`["(none)"]` observed for `g=country`). */
  seriesLabels: SeriesLabel[]
  seriesMeta: { segmentIndex: number; groupValue?: string }[]
  seriesCollapsed: { setId: string; value: number }[][]
  xValues: string[]
}

/** Builds the answer: series per segment, or per group (sorted by collapsed value, cut to `limit`). */
export function usersData(query: UsersQuery, counts: UserCounts): UsersData {
  const { range } = query
  const xValues = bucketLabels(range.startDay, range.endDay, range.interval)
  const keys: { segment: number; group: string | null }[] = []
  if (query.groupBy === undefined) {
    for (let segment = 0; segment < query.segments.length; segment++)
      keys.push({ segment, group: null })
  } else {
    const groups: { group: string; total: number }[] = []
    for (const [key, n] of counts) {
      const [, group, bucket] = key.split('|') as [string, string, string]
      if (bucket === COLLAPSED) groups.push({ group, total: n })
    }
    // query-api.md §6: groups sorted by collapsed value, cut to `limit` (ties by label, for a stable order).
    groups.sort((a, b) => b.total - a.total || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0))
    for (const { group } of groups.slice(0, query.limit)) keys.push({ segment: 0, group })
  }
  return {
    series: keys.map(({ segment, group }) =>
      xValues.map((x) => counts.get(countKey(segment, group, x)) ?? 0),
    ),
    seriesLabels: keys.map(({ segment, group }) => group ?? segment),
    seriesMeta: keys.map(({ segment, group }) =>
      group === null ? { segmentIndex: segment } : { segmentIndex: segment, groupValue: group },
    ),
    seriesCollapsed: keys.map(({ segment, group }) => [
      { setId: '', value: counts.get(countKey(segment, group, COLLAPSED)) ?? 0 },
    ]),
    xValues,
  }
}
