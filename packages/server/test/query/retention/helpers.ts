/** Shared pieces of the retention tests: building a query from wire parameters, and both paths. */
import type { RetentionData, WireEvent } from '@ampkit/protocol'
import type { CohortMembers } from '../../../src/query/ir.ts'
import { loadQueryEvents } from '../../../src/query/query-event.ts'
import { retentionPlan } from '../../../src/query/retention/plan.ts'
import { type RetentionQuery, retentionQueryOf } from '../../../src/query/retention/query.ts'
import { referenceRetention } from '../../../src/query/retention/reference.ts'
import { retentionData } from '../../../src/query/retention/result.ts'
import { sqlRetention } from '../../../src/query/retention/sql.ts'
import type { Store } from '../../../src/store/store.ts'

/**
 * A retention query from its wire parameters (objects are JSON-encoded; an array of strings for `s`
 * is several segments, one `s` each).
 */
export function query(
  params: Record<string, unknown>,
  timeZone = 'UTC',
  cohorts: CohortMembers = new Map(),
  projectId = 1,
): RetentionQuery {
  const url = new URL('http://ampkit.test/api/2/retention')
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (name === 's' && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      for (const segment of value) url.searchParams.append('s', segment)
      continue
    }
    url.searchParams.set(name, typeof value === 'string' ? value : JSON.stringify(value))
  }
  return retentionQueryOf(url, { projectId, timeZone, cohorts })
}

/** The answer's `data` through the SQL path (the rollup when it can answer, unless told not to). */
export async function sqlAnswer(store: Store, q: RetentionQuery, nowMs: number, useRollup = true) {
  const plan = retentionPlan(q, nowMs)
  return retentionData(q, plan, await sqlRetention(store, q, plan, { nowMs, useRollup }))
}

/** The answer's `data` through the reference evaluator. */
export async function referenceAnswer(store: Store, q: RetentionQuery, nowMs: number) {
  const plan = retentionPlan(q, nowMs)
  return retentionData(
    q,
    plan,
    referenceRetention(q, await loadQueryEvents(store, q.projectId), plan),
  )
}

/** `Date.UTC` shorthand: 2024-07-dd hh:mm:ss.ms UTC. */
export function july(day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  return Date.UTC(2024, 6, day, hour, minute, second, ms)
}

let counter = 0

/** A wire event for user `user` of type `type` at `time`. */
export function ev(user: string, type: string, time: number, extra: Partial<WireEvent> = {}) {
  counter += 1
  return {
    user_id: user,
    device_id: `d-${user}`,
    event_type: type,
    time,
    insert_id: `ins-${counter}`,
    ...extra,
  } satisfies WireEvent
}

/** The cells of one cohort date as `[count, outof, incomplete]` triples (size first). */
export function cells(
  data: RetentionData,
  date: string,
  series = 0,
): Array<[number, number, boolean]> {
  const row = data.series[series]?.values[date] ?? []
  return row.map((c) => [c.count, c.outof, c.incomplete])
}
