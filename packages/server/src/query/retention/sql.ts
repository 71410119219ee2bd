/**
 * @module Retention in DuckDB SQL: the production path, same semantics as `reference.ts`
 * (`query.ts` and `plan.ts` state them). One statement per query:
 *
 * 1. `sa`: one anchor per (segment, user, cohort bucket) — the first start event of the bucket,
 *    its time, its floored wall-clock unit and the cohort's completed days (`cp`, from the plan).
 * 2. `rt`: (user, floored wall-clock unit, last event time of the unit) of return events (a return
 *    in the anchor's own unit counts only when it is later than the anchor).
 * 3. `j`: each anchor's return days. Then, for n-day and bracket up to day 62, one bit set of
 *    return days per anchor (`m`) tested against each column; otherwise distinct counts per day.
 *    Small aggregates come back and `countsOf` turns them into `SeriesCounts` (rolling's "on or
 *    after" is a suffix sum there).
 *
 * `sa` and `rt` come from the events table (every query shape), or, for `_all`/`_active`/`_new`
 * without filters, segments or group-by, from the per-(user, hour) activity rollup
 * (`activity-rollup.ts`, kept exactly in step with the events).
 *
 * Measured on bench/lib/generate-events.ts's 10M events (500k users, 90 days), 31 daily cohorts,
 * n-day, minimum of 4 interleaved runs on the shared 2-core machine at load ~6 (wall / process CPU):
 * - `_active` → `_active`: rollup 0.76 s / 1.24 s (refresh included), events table 0.65 s /
 *   1.27 s, hand-written SQL 0.63 s / 1.17 s;
 * - `Open App` → `_active` (bench/scenarios/query.ts's case): anchors from events, returns from the
 *   rollup 0.71 s / 1.10 s, events table 1.57 s / 1.72 s, its hand-written SQL 0.50 s / 0.89 s (a
 *   simpler answer: no merged ids, no same-hour day-0 rule, no combined row).
 * At load 12–18 every figure was 3–8x slower in wall time. Building the rollup from scratch (first
 * query on a store) took ~9 s wall at load 15.
 */
import { NONE_VALUE } from '@ampkit/protocol'
import type { Store } from '../../store/store.ts'
import { eventSql, needsFirstEventFlag } from '../event-selector.ts'
import { propertyFirstSql } from '../property-filter.ts'
import { queryEventsCte } from '../query-event.ts'
import { CteList, segmentSql } from '../segment.ts'
import { SqlParams } from '../sql-params.ts'
import { bucketStartSql, instantOfWall, localTimestampSql, localWallMs } from '../time-buckets.ts'
import {
  activityCtes,
  ROLLUP_STALE,
  type RollupWatermark,
  refreshActivityRollup,
} from './activity-rollup.ts'
import type { RetentionPlan } from './plan.ts'
import type { RetentionQuery } from './query.ts'
import { emptySeriesCounts, type SeriesCounts } from './result.ts'

const DAY_MS = 86_400_000
/** Days that fit an anchor's bit set of return days (a UBIGINT; 63 keeps shifts in range). */
const MASK_DAYS = 63

/** SQL text and its parameter values. */
export interface RetentionStatement {
  sql: string
  values: SqlParams['values']
}

/** Wall-clock ms (local time written as if UTC) of an epoch-ms expression. */
function wallSql(msExpr: string, timeZone: string): string {
  return timeZone === 'UTC' ? msExpr : `epoch_ms(${localTimestampSql(msExpr, timeZone)})`
}

function lazyBind(params: SqlParams, value: number): () => string {
  let placeholder: string | undefined
  return () => {
    placeholder ??= params.bind(value)
    return placeholder
  }
}

/** Where a statement reads activity from. */
export type RetentionSource = 'events' | 'rollup'

/** What the two sources share while a statement is built. */
interface Build {
  query: RetentionQuery
  plan: RetentionPlan
  params: SqlParams
  ctes: CteList
  /** Placeholders, bound on first use (DuckDB refuses a value no placeholder takes). */
  startMs: () => string
  endMs: () => string
  /** A bound upper limit of return times, or undefined (rolling). */
  returnEndMs: (() => string) | undefined
  unit: (msExpr: string) => string
  /** The rollup's watermark (rollup source only). */
  watermark: RollupWatermark | undefined
  /** Set once `act` is among the CTEs (its placeholders must be bound once). */
  activityAdded?: boolean
}

/** The cohort buckets' completed days as `cp(cohort, done)`. */
function addCompleteness({ plan, ctes }: Build): void {
  const done = plan.cohorts.map((c) => `(${c.startWallMs}::BIGINT, ${c.completeDays}::BIGINT)`)
  ctes.add('cp', () => `cp AS (SELECT * FROM (VALUES ${done.join(', ')}) v(cohort, done))`)
}

/** `sa` (anchors) from the events table: every query shape. */
function addEventStarts(build: Build): void {
  const { query, params, ctes, startMs, endMs, unit } = build
  const { range } = query
  const tz = range.timeZone
  // Two narrow scans, each CTE read once so DuckDB inlines it and prunes columns (a CTE read twice
  // is materialized with every column of every event).
  ctes.add('ev_s', () =>
    queryEventsCte(params, query.projectId, {
      name: 'ev_s',
      where: `e.event_time_ms >= ${startMs()} AND e.event_time_ms < ${endMs()}`,
      firstEventFlag: needsFirstEventFlag([query.startEvent]),
    }),
  )
  const cohort = `epoch_ms(${bucketStartSql('ev.event_time_ms', range.interval, tz)})`
  // Without a group-by no `grp` column is carried (a constant key still costs in every hash).
  const grouped = query.groupBy !== undefined
  const group =
    query.groupBy === undefined
      ? ''
      : `coalesce(${propertyFirstSql(query.groupBy, 'ev')}, ${params.bind(NONE_VALUE)}) AS grp, `
  const startPredicate = eventSql(query.startEvent, params, 'ev')
  const matches = query.segments.map((segment, index) => {
    const inSegment = segmentSql(
      segment,
      { range, cohorts: query.cohorts, projectId: query.projectId, params, ctes },
      `s${index}`,
      'ev',
    )
    return `(${inSegment}) AS m${index}`
  })
  ctes.add(
    'sm',
    () => `sm AS (SELECT ev.user_key, ev.event_time_ms, ev.seq, ${cohort} AS cohort, ${group}
        ${matches.join(', ')}
      FROM ev_s ev WHERE ${startPredicate})`,
  )
  const perSegment = query.segments.map(
    (_, index) =>
      `SELECT ${index} AS seg, user_key, event_time_ms, seq, cohort, ${grouped ? 'grp, ' : ''}
      FROM sm WHERE m${index}`,
  )
  addCompleteness(build)
  // The anchor is the first start event (time, then append order) of the user in the bucket.
  ctes.add(
    'sa',
    () => `sa AS MATERIALIZED (SELECT s.seg, s.user_key, s.cohort, ${grouped ? 's.grp, ' : ''}s.anchor_ms,
        cp.done, ${unit('s.anchor_ms')} AS anchor_unit
      FROM (SELECT seg, user_key, cohort, min(event_time_ms) AS anchor_ms
              ${grouped ? ', arg_min(grp, [event_time_ms, seq]) AS grp' : ''}
            FROM (${perSegment.join('\nUNION ALL\n')}) GROUP BY seg, user_key, cohort) s
      JOIN cp ON cp.cohort = s.cohort)`,
  )
}

/** `rt` (return units) from the events table: every return event. */
function addEventReturns(build: Build): void {
  const { query, params, ctes, startMs, unit } = build
  const returnEnd =
    build.returnEndMs === undefined ? '' : ` AND e.event_time_ms < ${build.returnEndMs()}`
  ctes.add('ev_r', () =>
    queryEventsCte(params, query.projectId, {
      name: 'ev_r',
      // Return events before the range cannot follow an anchor inside it.
      where: `e.event_time_ms >= ${startMs()}${returnEnd}`,
    }),
  )
  ctes.add(
    'rt',
    () => `rt AS (SELECT ev.user_key, ${unit('ev.event_time_ms')} AS unit,
        max(ev.event_time_ms) AS last_ms
      FROM ev_r ev WHERE ${eventSql(query.returnEvent, params, 'ev')}
      GROUP BY ALL)`,
  )
}

/** Rollup column prefix of a special event type. */
function rollupColumn(eventType: string): 'all' | 'active' {
  return eventType === '_active' ? 'active' : 'all'
}

/** Where a statement reads anchors (`starts`) and returns (`returns`) from. */
export interface RetentionSources {
  starts: RetentionSource
  returns: RetentionSource
}

/** Both sides from the events table. */
export const EVENT_SOURCES: RetentionSources = { starts: 'events', returns: 'events' }

/** True when every offset of `timeZone` over the query is a whole number of hours. */
function wholeHourOffsets(query: RetentionQuery, plan: RetentionPlan, nowMs: number): boolean {
  const { range } = query
  if (range.timeZone === 'UTC') return true
  const lastMs = Math.max(range.endMs, Math.min(nowMs, range.endMs + plan.dayLimit * plan.periodMs))
  const stepMs = Math.max(DAY_MS, Math.ceil((lastMs - range.startMs) / 2000))
  for (let ms = range.startMs - DAY_MS; ms <= lastMs + DAY_MS; ms += stepMs) {
    if ((localWallMs(ms, range.timeZone) - ms) % 3_600_000 !== 0) return false
  }
  return true
}

/**
 * Which side the activity rollup can answer. Anchors: `_all`/`_active`/`_new` start events without
 * filters, no segment condition, no group-by. Returns: `_all`/`_active` return events without
 * filters. Either only when the zone's offsets over the query are whole hours (UTC hours then cut
 * local days and hours exactly).
 */
export function retentionSources(
  query: RetentionQuery,
  plan: RetentionPlan,
  nowMs: number,
): RetentionSources {
  const { startEvent, returnEvent } = query
  if (!wholeHourOffsets(query, plan, nowMs)) return EVENT_SOURCES
  const starts =
    ['_all', '_active', '_new'].includes(startEvent.eventType) &&
    startEvent.filters.length === 0 &&
    query.segments.length === 1 &&
    query.segments[0]?.conditions.length === 0 &&
    query.groupBy === undefined
  const returns =
    ['_all', '_active'].includes(returnEvent.eventType) && returnEvent.filters.length === 0
  return { starts: starts ? 'rollup' : 'events', returns: returns ? 'rollup' : 'events' }
}

/** The rollup relation `act` (hours from the range start on), added once. */
function addActivity(build: Build): RollupWatermark {
  const { query, params, ctes } = build
  const watermark = build.watermark
  if (watermark === undefined) throw new Error('retention: the rollup source needs a watermark')
  if (build.activityAdded === true) return watermark
  build.activityAdded = true
  for (const cte of activityCtes(params, query.projectId, 'act', query.range.startMs, watermark))
    ctes.add(cte.slice(0, cte.indexOf(' ')), () => cte)
  return watermark
}

/** `sa` from the activity rollup (see `retentionSources` for when). */
function addRollupStarts(build: Build): void {
  const { query, params, ctes, startMs, endMs, unit } = build
  const { range } = query
  const tz = range.timeZone
  const watermark = addActivity(build)
  const bucket = (ms: string) => `epoch_ms(${bucketStartSql(ms, range.interval, tz)})`
  let anchors: string
  if (query.startEvent.eventType === '_new') {
    // A user's first event of all time (inactive ones count), when it falls in the range.
    for (const cte of activityCtes(params, query.projectId, 'act_all', undefined, watermark))
      ctes.add(cte.slice(0, cte.indexOf(' ')), () => cte)
    anchors = `SELECT user_key, ${bucket('first_ms')} AS cohort, first_ms AS anchor_ms
      FROM (SELECT user_key, min(all_min_ms) AS first_ms FROM act_all GROUP BY user_key)
      WHERE first_ms >= ${startMs()} AND first_ms < ${endMs()}`
  } else {
    // An hour lies inside one local day (whole-hour offsets): its bucket is its events' bucket.
    const column = `${rollupColumn(query.startEvent.eventType)}_min_ms`
    anchors = `SELECT user_key, ${bucket('hour_ms')} AS cohort, min(${column}) AS anchor_ms
      FROM act WHERE ${column} IS NOT NULL AND hour_ms < ${endMs()} GROUP BY ALL`
  }
  addCompleteness(build)
  ctes.add(
    'sa',
    () => `sa AS MATERIALIZED (SELECT 0 AS seg, s.user_key, s.cohort, s.anchor_ms, cp.done,
        ${unit('s.anchor_ms')} AS anchor_unit
      FROM (${anchors}) s JOIN cp ON cp.cohort = s.cohort)`,
  )
}

/** `rt` from the activity rollup (see `retentionSources` for when). */
function addRollupReturns(build: Build): void {
  const { query, ctes, unit } = build
  addActivity(build)
  const last = `${rollupColumn(query.returnEvent.eventType)}_max_ms`
  const returnEnd = build.returnEndMs === undefined ? '' : ` AND hour_ms < ${build.returnEndMs()}`
  ctes.add(
    'rt',
    // Not re-grouped per (user, unit): a unit may have several rows (partial rows, merged ids,
    // hours of one day), and everything downstream is indifferent to repeats (day 0 needs some row
    // of the anchor's unit later than the anchor; the rest counts distinct users).
    () => `rt AS (SELECT user_key, ${unit('hour_ms')} AS unit, ${last} AS last_ms
      FROM act WHERE ${last} IS NOT NULL${returnEnd})`,
  )
}

/** The statement computing the aggregates `countsOf` reads. */
export function retentionSql(
  query: RetentionQuery,
  plan: RetentionPlan,
  sources: RetentionSources = EVENT_SOURCES,
  watermark?: RollupWatermark,
): RetentionStatement {
  const { range, mode } = query
  const tz = range.timeZone
  const params = new SqlParams()
  const ctes = new CteList()
  const P = plan.periodMs
  const F = plan.floorMs
  const K = plan.columns.length
  // N-day and bracket read no day past the plan's last one; rolling reads every later return.
  const lastCohortWall = Math.max(...plan.cohorts.map((c) => c.startWallMs))
  const build: Build = {
    query,
    plan,
    params,
    ctes,
    startMs: lazyBind(params, range.startMs),
    endMs: lazyBind(params, range.endMs),
    returnEndMs: Number.isFinite(plan.dayLimit)
      ? lazyBind(params, instantOfWall(lastCohortWall + (plan.dayLimit + 2) * P, tz))
      : undefined,
    unit: (ms: string) => `(${wallSql(ms, tz)} // ${F}) * ${F}`,
    watermark,
  }
  if (sources.starts === 'rollup') addRollupStarts(build)
  else addEventStarts(build)
  if (sources.returns === 'rollup') addRollupReturns(build)
  else addEventReturns(build)
  const grouped = query.groupBy !== undefined
  const g = grouped ? 'grp, ' : ''
  const dayCap = Number.isFinite(plan.dayLimit)
    ? ` AND (rt.unit - sa.anchor_unit) // ${P} < ${plan.dayLimit}`
    : ''
  ctes.add(
    'j',
    () => `j AS (SELECT sa.seg, ${grouped ? 'sa.grp, ' : ''}sa.cohort, sa.user_key, sa.done,
        (rt.unit - sa.anchor_unit) // ${P} AS day
      FROM sa JOIN rt ON rt.user_key = sa.user_key AND rt.unit >= sa.anchor_unit
        AND (rt.unit > sa.anchor_unit OR rt.last_ms > sa.anchor_ms)${dayCap})`,
  )
  const G = grouped ? 'grp' : 'NULL::VARCHAR'
  const common = [
    `SELECT 'size' AS kind, seg, ${G} AS grp, cohort, NULL::BIGINT AS col, count(*) AS n
      FROM sa GROUP BY ALL`,
    // Each user's latest completed day over their cohorts: the combined row's denominators.
    `SELECT 'span', seg, ${G}, NULL, u, count(*)
      FROM (SELECT seg, ${g}user_key, max(done) AS u FROM sa GROUP BY ALL) GROUP BY ALL`,
  ]
  let parts: string[]
  const columnsFit = plan.columns.every((column) => column.toDay <= MASK_DAYS)
  if (mode.kind !== 'rolling' && columnsFit) {
    // Each anchor's return days as one bit set (days < 63): the cells test it against each
    // column's days, and a user's complete days (bits under `done`) OR over their cohorts give
    // the combined n-day row, all over one row per anchor instead of one per (anchor, day).
    const masks = plan.columns.map(
      (column) =>
        `${((1n << BigInt(column.toDay)) - (1n << BigInt(column.fromDay))).toString()}::UBIGINT`,
    )
    ctes.add(
      'm',
      () => `m AS MATERIALIZED (SELECT seg, ${g}cohort, user_key, done,
          bit_or(1::UBIGINT << day::UBIGINT) AS mask
        FROM j GROUP BY ALL)`,
    )
    // One aggregate pass per output row with a count per column (parallel; a join of anchors
    // against the columns would be a nested loop), unnested beside the column numbers.
    const perColumn = (test: (mask: string, index: number) => string, aggregate = 'count(*)') =>
      `[${masks.map((mask, index) => `${aggregate} FILTER (WHERE ${test(mask, index)})`).join(', ')}]`
    const columnNumbers = `unnest(range(${plan.columns.length}))`
    const cells = `SELECT 'cell', seg, ${G}, cohort, ${columnNumbers}, unnest(v)
      FROM (SELECT seg, ${g}cohort, ${perColumn((mask) => `(m.mask & ${mask}) <> 0`)} AS v
            FROM m GROUP BY ALL)`
    parts =
      mode.kind === 'n-day'
        ? [
            cells,
            `SELECT 'comb', seg, ${G}, NULL, ${columnNumbers}, unnest(v)
              FROM (SELECT seg, ${g}${perColumn((mask) => `(u.umask & ${mask}) <> 0`)} AS v
                    FROM (SELECT seg, ${g}user_key, bit_or(CASE WHEN done >= ${MASK_DAYS} THEN mask
                            ELSE mask & ((1::UBIGINT << done::UBIGINT) - 1) END) AS umask
                          FROM m GROUP BY ALL) u
                    GROUP BY ALL)`,
          ]
        : [
            cells,
            `SELECT 'comb', seg, ${G}, NULL, ${columnNumbers}, unnest(v)
              FROM (SELECT seg, ${g}${perColumn(
                (mask, index) =>
                  `(m.mask & ${mask}) <> 0 AND ${plan.columns[index]?.toDay ?? 0} <= m.done`,
                'count(DISTINCT user_key)',
              )} AS v FROM m GROUP BY ALL)`,
          ]
  } else if (mode.kind === 'n-day') {
    // One anchor per (segment, user, cohort): distinct users per cohort and day are the cells.
    ctes.add('h', () => 'h AS MATERIALIZED (SELECT * FROM j)')
    parts = [
      `SELECT 'cell', seg, ${G}, cohort, day, count(DISTINCT user_key) FROM h GROUP BY ALL`,
      `SELECT 'comb', seg, ${G}, NULL, day, count(DISTINCT user_key)
        FROM h WHERE day < done GROUP BY ALL`,
    ]
  } else if (mode.kind === 'bracket') {
    const brackets = mode.brackets.map((b, i) => `(${i}, ${b.fromDay}, ${b.toDay})`)
    ctes.add(
      'br',
      () => `br AS (SELECT * FROM (VALUES ${brackets.join(', ')}) v(col, from_day, to_day))`,
    )
    ctes.add(
      'h',
      () => `h AS MATERIALIZED (SELECT DISTINCT j.seg, ${grouped ? 'j.grp, ' : ''}j.cohort, j.user_key,
          j.done, br.col, br.to_day
        FROM (SELECT DISTINCT * FROM j) j JOIN br ON j.day >= br.from_day AND j.day < br.to_day)`,
    )
    parts = [
      `SELECT 'cell', seg, ${G}, cohort, col, count(*) FROM h GROUP BY ALL`,
      `SELECT 'comb', seg, ${G}, NULL, col, count(DISTINCT user_key)
        FROM h WHERE to_day <= done GROUP BY ALL`,
    ]
  } else {
    // Rolling: a user's last return day per cohort; "on or after N" is a suffix sum of it.
    ctes.add(
      'h',
      () => `h AS MATERIALIZED (SELECT seg, ${g}cohort, user_key, done, max(day) AS last_day
        FROM j GROUP BY ALL)`,
    )
    parts = [
      `SELECT 'cell', seg, ${G}, cohort, least(last_day, ${K - 1}), count(*) FROM h GROUP BY ALL`,
      `SELECT 'comb', seg, ${G}, NULL, least(r, ${K - 1}), count(*)
        FROM (SELECT seg, ${g}user_key, max(least(last_day, done - 1)) AS r
              FROM h WHERE done > 0 GROUP BY ALL) GROUP BY ALL`,
    ]
  }
  const sql = `${ctes.toSql()}\n${[...common, ...parts].join('\nUNION ALL\n')}`
  return { sql, values: params.values }
}

interface AggregateRow {
  kind: 'size' | 'span' | 'cell' | 'comb'
  seg: number
  grp: string | null
  cohort: number | null
  col: number | null
  n: number
}

/** Turns the statement's rows into counts per series (suffix sums for rolling and spans). */
export function countsOf(
  query: RetentionQuery,
  plan: RetentionPlan,
  rows: readonly Record<string, unknown>[],
): SeriesCounts[] {
  const cohortIndex = new Map(plan.cohorts.map((c, index) => [c.startWallMs, index]))
  const series = new Map<string, { counts: SeriesCounts; spans: Map<number, number> }>()
  const rolling = query.mode.kind === 'rolling'
  for (const raw of rows) {
    const row = raw as unknown as AggregateRow
    const seg = Number(row.seg)
    const grp = row.grp ?? undefined
    const key = `${seg}|${grp ?? ''}`
    let entry = series.get(key)
    if (entry === undefined) {
      entry = { counts: emptySeriesCounts(plan, seg, grp), spans: new Map() }
      series.set(key, entry)
    }
    const { counts } = entry
    const n = Number(row.n)
    const col = row.col === null ? -1 : Number(row.col)
    const cohort = row.cohort === null ? -1 : (cohortIndex.get(Number(row.cohort)) ?? -1)
    switch (row.kind) {
      case 'size':
        if (cohort >= 0) counts.sizes[cohort] = n
        break
      case 'span':
        counts.combinedSize += n
        entry.spans.set(col, (entry.spans.get(col) ?? 0) + n)
        break
      case 'cell': {
        const cells = counts.retained[cohort]
        if (cells === undefined) break
        // Rolling rows count users by their last return day: retained at every day up to it.
        if (rolling)
          for (let c = 0; c <= col && c < cells.length; c++) cells[c] = (cells[c] ?? 0) + n
        else if (col < cells.length) cells[col] = n
        break
      }
      case 'comb':
        if (rolling) {
          for (let c = 0; c <= col && c < counts.combinedRetained.length; c++)
            counts.combinedRetained[c] = (counts.combinedRetained[c] ?? 0) + n
        } else if (col < counts.combinedRetained.length) counts.combinedRetained[col] = n
        break
    }
  }
  for (const { counts, spans } of series.values()) {
    // A column counts the users with some cohort whose completed days reach its end.
    plan.columns.forEach((column, index) => {
      let outof = 0
      for (const [span, users] of spans) if (span >= column.toDay) outof += users
      counts.combinedOutof[index] = outof
    })
  }
  return [...series.values()].map((entry) => entry.counts)
}

/** Options of `sqlRetention`. */
export interface SqlRetentionOptions {
  /** The server clock, ms (decides whether the zone suits the rollup). @default Date.now() */
  nowMs?: number
  /** Reads the activity rollup when it can answer the query. @default true */
  useRollup?: boolean
}

function isStale(error: unknown): boolean {
  return error instanceof Error && error.message.includes(ROLLUP_STALE)
}

/**
 * Runs the query on the store: retention counts per series. Queries the rollup can answer bring it
 * up to date first; when a deletion lands between that refresh and the query, the query notices
 * and runs again after another refresh.
 */
export async function sqlRetention(
  store: Store,
  query: RetentionQuery,
  plan: RetentionPlan,
  options: SqlRetentionOptions = {},
): Promise<SeriesCounts[]> {
  const sources =
    (options.useRollup ?? true)
      ? retentionSources(query, plan, options.nowMs ?? Date.now())
      : EVENT_SOURCES
  if (sources.starts === 'events' && sources.returns === 'events') {
    const statement = retentionSql(query, plan, sources)
    return countsOf(query, plan, await store.selectRows(statement.sql, statement.values))
  }
  for (let attempt = 1; ; attempt++) {
    const watermark = await refreshActivityRollup(store, query.projectId)
    const statement = retentionSql(query, plan, sources, watermark)
    try {
      return countsOf(query, plan, await store.selectRows(statement.sql, statement.values))
    } catch (error) {
      if (!isStale(error) || attempt >= 3) throw error
    }
  }
}
