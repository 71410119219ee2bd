/**
 * @module The reference evaluator of `/api/2/users` (the test oracle): the semantics of `query.ts`
 * over in-memory events, written for clarity, not speed.
 */
import { firstEventSeqs } from '../event-selector.ts'
import { groupLabel } from '../property-filter.ts'
import { INACTIVE_EVENT_TYPES, type QueryEvent } from '../query-event.ts'
import { segmentMatcher } from '../segment.ts'
import { bucketLabel } from '../time-buckets.ts'
import type { UsersQuery } from './query.ts'
import { COLLAPSED, countKey, type UserCounts } from './result.ts'

/** Distinct users per (segment, group, bucket) over `events` (every event of the project). */
export function referenceUsers(query: UsersQuery, events: readonly QueryEvent[]): UserCounts {
  const { range } = query
  const firstSeqs = firstEventSeqs(events)
  const users = new Map<string, Set<number>>()
  const add = (key: string, user: number) => {
    const set = users.get(key) ?? new Set<number>()
    users.set(key, set.add(user))
  }
  query.segments.forEach((segment, index) => {
    const inSegment = segmentMatcher(segment, events, { range, cohorts: query.cohorts }, firstSeqs)
    for (const event of events) {
      if (event.timeMs < range.startMs || event.timeMs >= range.endMs) continue
      const counted =
        query.mode === 'new'
          ? firstSeqs.has(event.seq)
          : !INACTIVE_EVENT_TYPES.includes(event.eventType)
      if (!counted || !inSegment(event)) continue
      const group = query.groupBy === undefined ? null : groupLabel(query.groupBy, event)
      add(
        countKey(index, group, bucketLabel(event.timeMs, range.interval, range.timeZone)),
        event.userKey,
      )
      add(countKey(index, group, COLLAPSED), event.userKey)
    }
  })
  return new Map([...users].map(([key, set]) => [key, set.size]))
}
