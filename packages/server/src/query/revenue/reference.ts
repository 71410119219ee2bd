/**
 * @module The reference evaluator of `/api/2/revenue/ltv` (the test oracle): the semantics of
 * `query.ts` over in-memory events.
 */
import { firstEventSeqs } from '../event-selector.ts'
import { groupLabel } from '../property-filter.ts'
import type { QueryEvent } from '../query-event.ts'
import { segmentMatcher } from '../segment.ts'
import { bucketLabel, localWallMs } from '../time-buckets.ts'
import { LTV_DAYS, type RevenueLtvQuery } from './query.ts'
import { emptyCohort, type LtvCounts, ltvKey } from './result.ts'

const DAY_MS = 86_400_000

export function referenceRevenueLtv(
  query: RevenueLtvQuery,
  events: readonly QueryEvent[],
): LtvCounts {
  const { range } = query
  const firstSeqs = firstEventSeqs(events)
  const localDay = (ms: number) => Math.floor(localWallMs(ms, range.timeZone) / DAY_MS)
  const revenueOf = new Map<number, QueryEvent[]>()
  for (const event of events) {
    if (event.revenue === null) continue
    revenueOf.set(event.userKey, [...(revenueOf.get(event.userKey) ?? []), event])
  }
  const counts: LtvCounts = new Map()
  query.segments.forEach((segment, index) => {
    const inSegment = segmentMatcher(segment, events, { range, cohorts: query.cohorts }, firstSeqs)
    for (const first of events) {
      if (!firstSeqs.has(first.seq)) continue
      if (first.timeMs < range.startMs || first.timeMs >= range.endMs || !inSegment(first)) continue
      const group = query.groupBy === undefined ? null : groupLabel(query.groupBy, first)
      const key = ltvKey(index, group, bucketLabel(first.timeMs, range.interval, range.timeZone))
      const cohort = counts.get(key) ?? emptyCohort()
      counts.set(key, cohort)
      cohort.users++
      const revenues = revenueOf.get(first.userKey) ?? []
      const day0 = localDay(first.timeMs)
      if (revenues.some((e) => (e.revenue ?? 0) > 0)) cohort.paid++
      for (const e of revenues) cohort.total += e.revenue ?? 0
      LTV_DAYS.forEach((days, k) => {
        const inWindow = revenues.filter((e) => localDay(e.timeMs) - day0 < days)
        for (const e of inWindow) cohort.revenue[k] = (cohort.revenue[k] ?? 0) + (e.revenue ?? 0)
        if (inWindow.some((e) => (e.revenue ?? 0) > 0))
          cohort.paying[k] = (cohort.paying[k] ?? 0) + 1
      })
    }
  })
  return counts
}
