/**
 * @module The reference evaluator of retention: the semantics of `query.ts` and `plan.ts` written
 * plainly over in-memory events, one user at a time. It is the oracle the property tests hold the
 * SQL path to (meant for small datasets, not for production queries).
 */
import { firstEventSeqs, matchesEvent } from '../event-selector.ts'
import { groupLabel } from '../property-filter.ts'
import type { QueryEvent } from '../query-event.ts'
import { segmentMatcher } from '../segment.ts'
import { bucketStartWall, localWallMs } from '../time-buckets.ts'
import type { RetentionPlan } from './plan.ts'
import { cellComplete } from './plan.ts'
import type { RetentionQuery } from './query.ts'
import { emptySeriesCounts, type SeriesCounts } from './result.ts'

/** One user's membership of one cohort. */
interface Membership {
  cohort: number
  /** For each column: did the user return in it? */
  retained: boolean[]
}

/**
 * Retention counts per series. `events` are every event of the project sorted by user, time and
 * append order (`loadQueryEvents`).
 */
export function referenceRetention(
  query: RetentionQuery,
  events: readonly QueryEvent[],
  plan: RetentionPlan,
): SeriesCounts[] {
  const { range } = query
  const firstSeqs = firstEventSeqs(events)
  const cohortOf = new Map(plan.cohorts.map((c, index) => [c.startWallMs, index]))
  const floorWall = (ms: number) =>
    Math.floor(localWallMs(ms, range.timeZone) / plan.floorMs) * plan.floorMs
  const returnsByUser = new Map<number, QueryEvent[]>()
  for (const event of events) {
    if (!matchesEvent(query.returnEvent, event, firstSeqs)) continue
    const list = returnsByUser.get(event.userKey) ?? []
    list.push(event)
    returnsByUser.set(event.userKey, list)
  }
  // Series key → user → memberships.
  const series = new Map<
    string,
    { segment: number; group?: string; users: Map<number, Membership[]> }
  >()
  query.segments.forEach((segment, segmentIndex) => {
    const inSegment = segmentMatcher(segment, events, { range, cohorts: query.cohorts }, firstSeqs)
    // The first start event of each (user, cohort bucket) anchors it (events are in time order).
    const anchors = new Map<string, { cohort: number; event: QueryEvent }>()
    for (const event of events) {
      if (event.timeMs < range.startMs || event.timeMs >= range.endMs) continue
      if (!matchesEvent(query.startEvent, event, firstSeqs) || !inSegment(event)) continue
      const wall = bucketStartWall(localWallMs(event.timeMs, range.timeZone), range.interval)
      const cohort = cohortOf.get(wall)
      if (cohort === undefined) throw new Error(`retention reference: no cohort bucket at ${wall}`)
      const key = `${event.userKey}|${cohort}`
      if (!anchors.has(key)) anchors.set(key, { cohort, event })
    }
    for (const { cohort, event: anchor } of anchors.values()) {
      const anchorWall = floorWall(anchor.timeMs)
      const days: number[] = []
      for (const ret of returnsByUser.get(anchor.userKey) ?? []) {
        // Day 0 takes only a different, strictly later event (query.ts, "Day 0").
        if (ret.timeMs <= anchor.timeMs) continue
        days.push(Math.floor((floorWall(ret.timeMs) - anchorWall) / plan.periodMs))
      }
      const retained = plan.columns.map((column) =>
        query.mode.kind === 'rolling'
          ? days.some((day) => day >= column.fromDay)
          : days.some((day) => day >= column.fromDay && day < column.toDay),
      )
      const group = query.groupBy === undefined ? undefined : groupLabel(query.groupBy, anchor)
      const key = `${segmentIndex}|${group ?? ''}`
      let entry = series.get(key)
      if (entry === undefined) {
        entry = { segment: segmentIndex, ...(group !== undefined && { group }), users: new Map() }
        series.set(key, entry)
      }
      const memberships = entry.users.get(anchor.userKey) ?? []
      memberships.push({ cohort, retained })
      entry.users.set(anchor.userKey, memberships)
    }
  })
  return [...series.values()].map((entry) => {
    const counts = emptySeriesCounts(plan, entry.segment, entry.group)
    counts.combinedSize = entry.users.size
    for (const memberships of entry.users.values()) {
      for (const m of memberships) {
        counts.sizes[m.cohort] = (counts.sizes[m.cohort] ?? 0) + 1
        m.retained.forEach((hit, column) => {
          const row = counts.retained[m.cohort]
          if (hit && row !== undefined) row[column] = (row[column] ?? 0) + 1
        })
      }
      plan.columns.forEach((_, column) => {
        const complete = memberships.filter((m) => cellComplete(plan, m.cohort, column))
        if (complete.length === 0) return
        counts.combinedOutof[column] = (counts.combinedOutof[column] ?? 0) + 1
        if (complete.some((m) => m.retained[column]))
          counts.combinedRetained[column] = (counts.combinedRetained[column] ?? 0) + 1
      })
    }
    return counts
  })
}
