/**
 * @module The reference evaluator of funnels: the semantics of `query.ts` written as directly as
 * possible over each user's sorted events (the test oracle of `sql.ts`; meant for small datasets).
 * Ordered mode is the spec's greedy walk; sequential mode keeps every step event reachable under the
 * adjacency rule, as written; unordered mode searches the earliest second by which steps 2..k can be
 * matched to distinct events (bipartite matching), so it shares no shortcut with the SQL (which uses
 * Hall's condition).
 */

import { firstEventSeqs, matchesEvent } from '../event-selector.ts'
import type { CohortMembers } from '../ir.ts'
import { groupLabel } from '../property-filter.ts'
import { INACTIVE_EVENT_TYPES, type QueryEvent } from '../query-event.ts'
import { segmentMatcher } from '../segment.ts'
import { bucketLabel } from '../time-buckets.ts'
import {
  type BinTally,
  binIndex,
  PREV_STEP_COUNT_BIN_STARTS,
  tally,
  transTimeStarts,
} from './distribution.ts'
import { effectiveWindowSeconds, type FunnelQuery } from './query.ts'
import type { FunnelGroupTotals, StepTotals } from './result.ts'

/** A user's event with its whole second, in (second, append order) order. */
interface Timed {
  event: QueryEvent
  sec: number
}

/** How far one entry gets: the level (1..N) and the second of each step reached. */
interface EntryOutcome {
  level: number
  secs: number[]
}

/** An entry's outcome with, per step k reached (k ≥ 1), its previous-step count. */
interface CountedOutcome extends EntryOutcome {
  prevCounts: number[]
}

const secondOf = (ms: number) => Math.floor(ms / 1000)

function ordered(matches: boolean[][], timed: Timed[], entry: number, windowS: number) {
  const t1 = (timed[entry] as Timed).sec
  const secs = [t1]
  let previous = entry
  for (let k = 1; k < matches.length; k++) {
    let found = -1
    for (let j = previous + 1; j < timed.length && (timed[j] as Timed).sec - t1 <= windowS; j++) {
      if (matches[k]?.[j]) {
        found = j
        break
      }
    }
    if (found < 0) break
    secs.push((timed[found] as Timed).sec)
    previous = found
  }
  return { level: secs.length, secs }
}

/** True when every event strictly between i and j shares its second with i or with j. */
function adjacent(timed: Timed[], i: number, j: number): boolean {
  const a = (timed[i] as Timed).sec
  const b = (timed[j] as Timed).sec
  for (let m = i + 1; m < j; m++) {
    const s = (timed[m] as Timed).sec
    if (s !== a && s !== b) return false
  }
  return true
}

function sequential(matches: boolean[][], timed: Timed[], entry: number, windowS: number) {
  const t1 = (timed[entry] as Timed).sec
  const secs = [t1]
  let reach = [entry]
  for (let k = 1; k < matches.length; k++) {
    const next: number[] = []
    for (let j = entry + 1; j < timed.length && (timed[j] as Timed).sec - t1 <= windowS; j++) {
      if (matches[k]?.[j] && reach.some((i) => i < j && adjacent(timed, i, j))) next.push(j)
    }
    if (next.length === 0) break
    secs.push(Math.min(...next.map((j) => (timed[j] as Timed).sec)))
    reach = next
  }
  return { level: secs.length, secs }
}

/** Can steps `steps` each take a distinct event of `candidates` (Kuhn's augmenting paths)? */
function matchable(steps: number[], candidates: number[], matches: boolean[][]): boolean {
  const owner = new Map<number, number>()
  const assign = (step: number, seen: Set<number>): boolean => {
    for (const c of candidates) {
      if (!matches[step]?.[c] || seen.has(c)) continue
      seen.add(c)
      const other = owner.get(c)
      if (other === undefined || assign(other, seen)) {
        owner.set(c, step)
        return true
      }
    }
    return false
  }
  return steps.every((step) => assign(step, new Set()))
}

function unordered(matches: boolean[][], timed: Timed[], entry: number, windowS: number) {
  const t1 = (timed[entry] as Timed).sec
  const inWindow: number[] = []
  for (let j = 0; j < timed.length; j++) {
    const s = (timed[j] as Timed).sec
    if (j !== entry && s >= t1 && s - t1 <= windowS) inWindow.push(j)
  }
  const seconds = [...new Set(inWindow.map((j) => (timed[j] as Timed).sec))].sort((a, b) => a - b)
  const secs = [t1]
  for (let k = 1; k < matches.length; k++) {
    const steps = Array.from({ length: k }, (_, i) => i + 1)
    const by = seconds.find((limit) =>
      matchable(
        steps,
        inWindow.filter((j) => (timed[j] as Timed).sec <= limit),
        matches,
      ),
    )
    if (by === undefined) break
    secs.push(Math.max(by, secs[secs.length - 1] as number))
  }
  return { level: secs.length, secs }
}

interface Accumulator {
  totals: { segmentIndex: number; groupValue: string }
  /** user → best outcome (furthest, then earliest entry: the first seen among equals). */
  best: Map<number, CountedOutcome>
  /** bucket → user → best outcome of the bucket's entries (the same rule). */
  buckets: Map<string, Map<number, CountedOutcome>>
}

/** Keeps `outcome` for `user` unless one at least as far is already kept (entries come in order). */
function keepBest(best: Map<number, CountedOutcome>, user: number, outcome: CountedOutcome) {
  const kept = best.get(user)
  if (kept === undefined || outcome.level > kept.level) best.set(user, outcome)
}

/** Transition time into step k (k ≥ 1) of a path reaching it, in ms. */
function transitionMs(outcome: EntryOutcome, k: number): number {
  return ((outcome.secs[k] as number) - (outcome.secs[k - 1] as number)) * 1000
}

/** Counts, exact medians and sums of the transition times of these counted paths. */
function stepTotals(outcomes: Iterable<EntryOutcome>, steps: number): StepTotals {
  const counts = new Array<number>(steps).fill(0)
  const transitions: number[][] = Array.from({ length: steps }, () => [])
  for (const outcome of outcomes) {
    for (let k = 0; k < outcome.level; k++) {
      counts[k] = (counts[k] ?? 0) + 1
      if (k > 0) transitions[k]?.push(transitionMs(outcome, k))
    }
  }
  return {
    counts,
    medianMs: transitions.map((list, k) => (k === 0 ? 0 : median(list))),
    sumMs: transitions.map((list) => list.reduce((sum, value) => sum + value, 0)),
  }
}

function median(values: number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/**
 * The funnel over `events` (every event of the project, as `loadQueryEvents` returns them), with
 * cohort members resolved beforehand.
 */
export function evaluateFunnelReference(
  query: FunnelQuery,
  events: readonly QueryEvent[],
  cohorts: CohortMembers,
): FunnelGroupTotals[] {
  const { range } = query
  const windowS = effectiveWindowSeconds(query)
  const firstSeqs = firstEventSeqs(events)
  const segmentTests = query.segments.map((segment) =>
    segmentMatcher(segment, events, { range, cohorts }, firstSeqs),
  )
  const byUser = new Map<number, QueryEvent[]>()
  for (const event of events) {
    const list = byUser.get(event.userKey) ?? []
    list.push(event)
    byUser.set(event.userKey, list)
  }
  const walk =
    query.mode === 'ordered' ? ordered : query.mode === 'sequential' ? sequential : unordered
  const groups = new Map<string, Accumulator>()

  for (const [user, own] of byUser) {
    if (query.users === 'new') {
      const first = firstEventOf(own)
      if (first.timeMs < range.startMs || first.timeMs >= range.endMs) continue
    }
    // Sequential mode does not see events that never make a user active (query.ts).
    const visible =
      query.mode === 'sequential'
        ? own.filter((event) => !INACTIVE_EVENT_TYPES.includes(event.eventType))
        : own
    const timed = visible
      .map((event) => ({ event, sec: secondOf(event.timeMs) }))
      .sort((a, b) => a.sec - b.sec || a.event.seq - b.event.seq)
    const matches = query.steps.map((step) =>
      timed.map(({ event }) => matchesEvent(step, event, firstSeqs)),
    )
    for (let entry = 0; entry < timed.length; entry++) {
      const event = (timed[entry] as Timed).event
      if (!matches[0]?.[entry] || event.timeMs < range.startMs || event.timeMs >= range.endMs)
        continue
      const walked = walk(matches, timed, entry, windowS)
      // distribution.ts: step k−1's events from the entry's second through step k's, inclusive.
      const prevCounts = walked.secs.map((sec, k) => {
        if (k === 0) return 0
        let count = 0
        for (let j = 0; j < timed.length; j++) {
          const at = (timed[j] as Timed).sec
          if (matches[k - 1]?.[j] && at >= (walked.secs[0] as number) && at <= sec) count++
        }
        return count
      })
      const outcome: CountedOutcome = { ...walked, prevCounts }
      const groupValue = query.groupBy === undefined ? '' : groupLabel(query.groupBy, event)
      const bucket = bucketLabel(event.timeMs, range.interval, range.timeZone)
      segmentTests.forEach((test, segmentIndex) => {
        if (!test(event)) return
        const key = `${segmentIndex}\u0000${groupValue}`
        let acc = groups.get(key)
        if (acc === undefined) {
          acc = { totals: { segmentIndex, groupValue }, best: new Map(), buckets: new Map() }
          groups.set(key, acc)
        }
        keepBest(acc.best, user, outcome)
        const perBucket = acc.buckets.get(bucket) ?? new Map<number, CountedOutcome>()
        keepBest(perBucket, user, outcome)
        acc.buckets.set(bucket, perBucket)
      })
    }
  }

  const steps = query.steps.length
  const timeStarts = transTimeStarts(windowS)
  return [...groups.values()].map((acc) => {
    const transTimeBins = Array.from({ length: steps }, () => new Map<number, BinTally>())
    const prevStepCountBins = Array.from({ length: steps }, () => new Map<number, BinTally>())
    for (const outcome of acc.best.values()) {
      for (let k = 1; k < outcome.level; k++) {
        const ms = transitionMs(outcome, k)
        tally(transTimeBins[k] as Map<number, BinTally>, binIndex(timeStarts, ms), ms)
        const count = outcome.prevCounts[k] as number
        tally(
          prevStepCountBins[k] as Map<number, BinTally>,
          binIndex(PREV_STEP_COUNT_BIN_STARTS, count),
          count,
        )
      }
    }
    const buckets = new Map<string, StepTotals>()
    for (const [label, users] of acc.buckets) buckets.set(label, stepTotals(users.values(), steps))
    return {
      ...acc.totals,
      ...stepTotals(acc.best.values(), steps),
      buckets,
      transTimeBins,
      prevStepCountBins,
    }
  })
}

/** The user's first-ever event (by time, then append order). */
function firstEventOf(events: readonly QueryEvent[]): QueryEvent {
  let first = events[0] as QueryEvent
  for (const event of events) {
    if (event.timeMs < first.timeMs || (event.timeMs === first.timeMs && event.seq < first.seq))
      first = event
  }
  return first
}
