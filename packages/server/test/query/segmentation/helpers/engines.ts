/**
 * Runs a segmentation query through both engines (DuckDB SQL and the reference evaluator) and
 * checks they agree, so every hand-computed test also pins the two renderings to each other.
 */
import type { SegmentationData, WireEvent } from '@ampkit/protocol'
import { expect } from 'vitest'
import { type CohortResolver, resolveCohorts } from '../../../../src/query/cohort-members.ts'
import { segmentationQueryOf } from '../../../../src/query/segmentation/query.ts'
import { referenceAggregates } from '../../../../src/query/segmentation/reference.ts'
import { segmentationResult } from '../../../../src/query/segmentation/result.ts'
import { segmentationAggregatesSql } from '../../../../src/query/segmentation/sql.ts'
import type { Store } from '../../../../src/store/store.ts'

/** Wire parameters: objects and arrays are sent as JSON; an array of segments repeats `s`. */
export interface Params {
  [name: string]: string | number | object | undefined
}

/** The query string of `params` (`segments` becomes repeated `s`). */
export function queryString(params: Params, segments: readonly object[] = []): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue
    search.set(name, typeof value === 'object' ? JSON.stringify(value) : String(value))
  }
  for (const segment of segments) search.append('s', JSON.stringify(segment))
  return search.toString()
}

/** Rounds every number to 9 significant digits (the engines may sum doubles in other orders). */
export function rounded<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v)),
  ) as T
}

export interface RunOptions {
  /** The project's time zone. @default 'UTC' */
  timeZone?: string
  cohorts?: CohortResolver
  segments?: readonly object[]
}

/** The answer of the SQL engine, after checking that the reference gives the same. */
export async function segmentation(
  store: Store,
  params: Params,
  options: RunOptions = {},
): Promise<SegmentationData> {
  const url = new URL(`http://ampkit.test/?${queryString(params, options.segments)}`)
  const query = segmentationQueryOf(url, { id: 1, timeZone: options.timeZone ?? 'UTC' })
  const cohorts = await resolveCohorts(query.segments, 1, options.cohorts)
  const sql = segmentationResult(query, await segmentationAggregatesSql(store, query, cohorts))
  const reference = segmentationResult(query, await referenceAggregates(store, query, cohorts))
  expect(rounded(sql)).toEqual(rounded(reference))
  return sql
}

export const DAY_MS = 86_400_000
/** 2024-07-01T00:00Z. */
export const JULY_1 = Date.UTC(2024, 6, 1)

let counter = 0

/** A wire event of `user` at `JULY_1 + day days + hour hours`. */
export function at(
  user: string,
  eventType: string,
  day: number,
  extra: Partial<WireEvent> & { hour?: number } = {},
): WireEvent {
  const { hour = 12, ...rest } = extra
  counter++
  return {
    event_type: eventType,
    user_id: user,
    device_id: `device-${user}`,
    time: JULY_1 + day * DAY_MS + hour * 3_600_000 + (counter % 1000),
    insert_id: `insert-${counter}`,
    ...rest,
  }
}

/** Collapsed values of every series. */
export function collapsed(data: SegmentationData): number[] {
  return data.seriesCollapsed.map((c) => c[0]?.value ?? Number.NaN)
}
