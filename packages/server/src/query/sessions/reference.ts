/**
 * @module The reference evaluator of the sessions endpoints (the test oracle): the semantics of
 * `query.ts` over in-memory events.
 */
import { INACTIVE_EVENT_TYPES, type QueryEvent } from '../query-event.ts'
import { bucketLabel } from '../time-buckets.ts'
import type { SessionsQuery } from './query.ts'
import { binIndex, type DayStats, type SessionStats } from './result.ts'

export function referenceSessions(
  query: SessionsQuery,
  events: readonly QueryEvent[],
): SessionStats {
  const { range } = query
  const active = events.filter((e) => !INACTIVE_EVENT_TYPES.includes(e.eventType))
  const sessions = new Map<string, { first: number; last: number }>()
  for (const event of active) {
    if (event.sessionId === -1) continue
    const key = `${event.userKey}|${event.sessionId}`
    const seen = sessions.get(key)
    sessions.set(key, {
      first: Math.min(seen?.first ?? event.timeMs, event.timeMs),
      last: Math.max(seen?.last ?? event.timeMs, event.timeMs),
    })
  }
  const stats: SessionStats = { bins: query.bins.bins.map(() => 0), days: new Map() }
  const day = (label: string): DayStats => {
    const found = stats.days.get(label) ?? { sessions: 0, totalMs: 0, activeUsers: 0 }
    stats.days.set(label, found)
    return found
  }
  for (const { first, last } of sessions.values()) {
    if (first < range.startMs || first >= range.endMs) continue
    if (query.metric === 'length') {
      const bin = binIndex(query.bins, last - first)
      if (bin >= 0) stats.bins[bin] = (stats.bins[bin] ?? 0) + 1
    } else {
      const stat = day(bucketLabel(first, 'day', range.timeZone))
      stat.sessions++
      stat.totalMs += last - first
    }
  }
  if (query.metric === 'peruser') {
    const users = new Map<string, Set<number>>()
    for (const event of active) {
      if (event.timeMs < range.startMs || event.timeMs >= range.endMs) continue
      const label = bucketLabel(event.timeMs, 'day', range.timeZone)
      users.set(label, (users.get(label) ?? new Set()).add(event.userKey))
    }
    for (const [label, set] of users) day(label).activeUsers = set.size
  }
  return stats
}
