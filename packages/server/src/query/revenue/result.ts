/**
 * @module Per-cohort revenue sums → the `data` of `/api/2/revenue/ltv`. The SQL engine and the
 * reference evaluator both produce `LtvCounts`; the metric arithmetic happens once, here.
 */
import type { RevenueLtvData, RevenueLtvRow } from '@ampkit/protocol'
import { bucketLabels } from '../time-buckets.ts'
import { LTV_DAYS, type RevenueLtvQuery } from './query.ts'

/** Sums of one cohort (segment, group, cohort date). */
export interface CohortRevenue {
  users: number
  /** Users who ever paid. */
  paid: number
  /** Their revenue ever. */
  total: number
  /** Per `LTV_DAYS[k]`: revenue in the window. */
  revenue: number[]
  /** Per `LTV_DAYS[k]`: users paying in the window. */
  paying: number[]
}

/** `"segment|group|cohortLabel"` → sums (group '' without `g`). */
export type LtvCounts = Map<string, CohortRevenue>

export function ltvKey(segment: number, group: string | null, cohort: string): string {
  return `${segment}|${group ?? ''}|${cohort}`
}

export function emptyCohort(): CohortRevenue {
  return {
    users: 0,
    paid: 0,
    total: 0,
    revenue: LTV_DAYS.map(() => 0),
    paying: LTV_DAYS.map(() => 0),
  }
}

function rowOf(query: RevenueLtvQuery, c: CohortRevenue): RevenueLtvRow {
  const row: RevenueLtvRow = { count: c.users, paid: c.paid, total_amount: c.total }
  LTV_DAYS.forEach((days, k) => {
    const revenue = c.revenue[k] ?? 0
    const paying = c.paying[k] ?? 0
    const value =
      query.metric === 0
        ? c.users === 0
          ? 0
          : revenue / c.users
        : query.metric === 1
          ? paying === 0
            ? 0
            : revenue / paying
          : query.metric === 2
            ? revenue
            : paying
    row[`r${days}d`] = value
  })
  return row
}

/** One series per segment (labelled ''), or per group (most cohort users first, cut to `limit`). */
export function revenueLtvData(query: RevenueLtvQuery, counts: LtvCounts): RevenueLtvData {
  const { range } = query
  const dates = bucketLabels(range.startDay, range.endDay, range.interval).reverse()
  const keys: { segment: number; group: string | null }[] = []
  if (query.groupBy === undefined) {
    for (let segment = 0; segment < query.segments.length; segment++)
      keys.push({ segment, group: null })
  } else {
    const users = new Map<string, number>()
    for (const [key, c] of counts) {
      const group = key.split('|')[1] as string
      users.set(group, (users.get(group) ?? 0) + c.users)
    }
    const groups = [...users].sort(
      (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
    )
    for (const [group] of groups.slice(0, query.limit)) keys.push({ segment: 0, group })
  }
  return {
    seriesLabels: keys.map(({ group }) => group ?? ''),
    series: keys.map(({ segment, group }) => ({
      dates,
      values: Object.fromEntries(
        dates.map((date) => [
          date,
          rowOf(query, counts.get(ltvKey(segment, group, date)) ?? emptyCohort()),
        ]),
      ),
    })),
  }
}
