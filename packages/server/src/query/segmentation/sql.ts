/**
 * @module Event Segmentation compiled to one DuckDB statement (the production path; `reference.ts`
 * is its oracle). The shape, cheapest first:
 * 1. `ev`: the project's events narrowed by event type and time in the scan itself, before the
 *    `user_key` merge join (`queryEventsCte`), so the join only sees the narrowed rows. No JSON is
 *    read unless a filter, segment, group-by or value property names a JSON property.
 * 2. `m`: one branch per (segment, event) — and per segment an active-users branch for `pct_dau` and
 *    ACTIVE — with the group keys, the interval index (integer arithmetic on `event_time_ms` in UTC;
 *    labels are made in TypeScript from the index, never per row) and the value text.
 * 3. `ub`: one row per (series, interval, user) with the user's event count, value sum and count.
 *    Every metric folds from it: distinct users = rows, totals = Σ count, histogram = rows by count.
 * 4. `ca`/`grp`: the same over the range (users de-duplicated for `seriesCollapsed`; histogram
 *    bins regroup per user first, in `cu`), then per group, ranked in SQL by Amplitude's group
 *    ordering and cut to `limit`, so a high-cardinality group-by never ships its tail to Node.
 * 5. `bu`/`ba`: per-interval aggregates of the kept groups; a rolling window spreads each user row
 *    over the N intervals it falls in, then re-counts users per interval.
 * A value histogram (`m=histogram` with a property) runs two statements over the same stages: the
 * first finds the span of the per-user values (`valueRangeSql`), `value-bins.ts` makes the bucket
 * edges of it, and the second bins each user row against those edges as constants.
 * Formula functions beyond users, events and the value sum (PROPMIN/MAX, PROPCOUNT(AVG),
 * REVENUETOTAL, PERCENTILE, FREQPERCENTILE) add their columns to these stages only when a formula
 * reads them, so every other query compiles to the statement it always had; each `ROLLWIN` window
 * is one more statement (`planOf(query, window)`), run beside the query's own.
 *
 * Measured on the 10M-event bench store (`bench/lib/generate-events.ts`), daily uniques over 30 days
 * through the route, CPU time on a busy 2-core machine (load ~16), against the hand-written
 * `count(DISTINCT amplitude_id) … GROUP BY day`: `Search` (5% of events) 110 ms vs 50 ms; `Open App`
 * (31%) 270 ms vs 150 ms. The extra is the range's de-duplicated users (`ca`, which the hand query
 * does not compute) and the `user_key` merge join (~15 ms; a `user_key` column maintained at ingest
 * and on merges would remove it). Slower variants tried: GROUPING SETS over the event or user rows,
 * two `count(DISTINCT)` over the event rows, regrouping per user before counting the range's users.
 */
import { NONE_VALUE } from '@ampkit/protocol'
import type { SqlValue, Store } from '../../store/store.ts'
import { eventSql, needsFirstEventFlag } from '../event-selector.ts'
import type { CohortMembers, EventSelector } from '../ir.ts'
import { propertyFirstSql } from '../property-filter.ts'
import { queryEventsCte } from '../query-event.ts'
import { CteList, segmentSql } from '../segment.ts'
import { SqlParams } from '../sql-params.ts'
import { bucketStartSql, instantOfWall, nextBucketWall, sqlString } from '../time-buckets.ts'
import {
  ACTIVE_EVENT_INDEX,
  type Aggregate,
  emptyAggregate,
  type SeriesAggregates,
  seriesId,
} from './aggregates.ts'
import { formulaWindows } from './formula.ts'
import { HISTOGRAM_BINS, planOf, rankByOf, type SegmentationPlan } from './plan.ts'
import type { SegmentationQuery } from './query.ts'
import { valueBinEdges } from './value-bins.ts'

const ACTIVE: EventSelector = { eventType: '_active', filters: [], groupBy: [] }
const INTERVAL_MS = { minute5: 300_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 }

/** SQL of the index in `plan.buckets` of the interval holding epoch-ms `msExpr`. */
function bucketIndexSql(plan: SegmentationPlan, msExpr: string): string {
  const origin = plan.buckets[0]?.wallMs ?? 0
  if (plan.interval === 'month') {
    const d = new Date(origin)
    const start = bucketStartSql(msExpr, 'month', plan.timeZone)
    return `(year(${start}) * 12 + month(${start}) - ${d.getUTCFullYear() * 12 + d.getUTCMonth() + 1})`
  }
  const length = INTERVAL_MS[plan.interval]
  // In UTC the wall clock is the instant: plain integer arithmetic, no timestamp per row.
  const wall =
    plan.timeZone === 'UTC'
      ? msExpr
      : `epoch_ms(${bucketStartSql(msExpr, plan.interval, plan.timeZone)})`
  return `((${wall} - ${origin}) // ${length})`
}

/**
 * Adds `act` (users with an active event, per interval index, over whole intervals from the first
 * bucket's start to the last one's end) and returns the predicate that keeps an `ev` row of such a
 * user and interval.
 */
function activePairsSql(
  plan: SegmentationPlan,
  projectId: number,
  params: SqlParams,
  ctes: CteList,
): string {
  const first = plan.buckets[0]?.wallMs ?? 0
  const last = plan.buckets[plan.buckets.length - 1]?.wallMs ?? first
  const fromMs = instantOfWall(first, plan.timeZone)
  const toMs = instantOfWall(nextBucketWall(last, plan.interval), plan.timeZone)
  ctes.add('ev_act', () =>
    queryEventsCte(params, projectId, {
      name: 'ev_act',
      where: `e.event_time_ms >= ${params.bind(fromMs)} AND e.event_time_ms < ${params.bind(toMs)} AND (${eventSql(ACTIVE, params, 'e')})`,
    }),
  )
  ctes.add(
    'act',
    () =>
      `act AS (SELECT DISTINCT user_key, ${bucketIndexSql(plan, 'ev_act.event_time_ms')} AS idx FROM ev_act)`,
  )
  const index = bucketIndexSql(plan, 'ev.event_time_ms')
  return ` AND EXISTS (SELECT 1 FROM act WHERE act.user_key = ev.user_key AND act.idx = ${index})`
}

/** The number a value text reads as (NULL unless the whole text is a finite number). */
function numericSql(text: string): string {
  const n = `TRY_CAST(${text} AS DOUBLE)`
  return `CASE WHEN trim(${text}) <> '' AND isfinite(${n}) THEN ${n} END`
}

/** The statement and its parameters. */
export interface CompiledSegmentation {
  sql: string
  params: SqlValue[]
}

/**
 * What a statement answers: the aggregates (`answer`; a value histogram bins with `edges`), or the
 * least and greatest per-user value a value histogram bins (`range`, which `value-bins.ts` turns
 * into the edges).
 */
type Target = { kind: 'answer'; edges: readonly number[] } | { kind: 'range' }

/** SQL of the value bucket of a user row (`s` the user's value sum, `n` how many were numbers). */
function valueBinSql(edges: readonly number[], params: SqlParams): string {
  if (edges.length < 2) return 'NULL::INTEGER'
  const bound = edges.map((edge) => `${params.bind(edge)}::DOUBLE`)
  const last = edges.length - 1
  const cases = bound
    .slice(1, last)
    .map((edge, k) => `WHEN s >= ${edge} THEN ${k + 1}`)
    .reverse()
    .join(' ')
  // Min inclusive, max exclusive; a user without a numeric value is in no bucket.
  return `CASE WHEN n > 0 AND s >= ${bound[0]} AND s < ${bound[last]} THEN ${cases === '' ? '0' : `(CASE ${cases} ELSE 0 END)`} END`
}

/** Compiles a query (cohorts already resolved) to one statement. */
export function segmentationSql(
  query: SegmentationQuery,
  cohorts: CohortMembers,
  valueBinEdges: readonly number[] = [],
): CompiledSegmentation {
  return compile(query, cohorts, { kind: 'answer', edges: valueBinEdges })
}

/**
 * The statement of a value histogram's value span: one row `lo`, `hi` over every per-user value it
 * bins (over the range and per interval, every group before the limit), NULLs without any. Only
 * series with an event in the range count (a series of pre-range events only, read for rolling,
 * is no series of the answer, unless it is the only one of its segment and event).
 */
export function valueRangeSql(
  query: SegmentationQuery,
  cohorts: CohortMembers,
): CompiledSegmentation {
  return compile(query, cohorts, { kind: 'range' })
}

function compile(
  query: SegmentationQuery,
  cohorts: CohortMembers,
  target: Target,
  window?: number,
): CompiledSegmentation {
  const plan = planOf(query, window)
  const { extras } = plan
  const params = new SqlParams()
  const ctes = new CteList()
  const selectors = plan.events.map((e) => e.selector)
  const narrowTo = plan.needsActive ? [...selectors, ACTIVE] : selectors
  const types = narrowTo.map((s) => eventSql({ ...s, filters: [] }, params, 'e'))
  const where = `e.event_time_ms >= ${params.bind(plan.scanStartMs)} AND e.event_time_ms < ${params.bind(plan.endMs)} AND (${types.join(' OR ')})`
  ctes.add('ev', () =>
    queryEventsCte(params, query.projectId, {
      name: 'ev',
      where,
      firstEventFlag: needsFirstEventFlag(selectors),
    }),
  )

  const keyNames = Array.from({ length: plan.keyCount }, (_, i) => `k${i}`)
  const keyList = keyNames.map((k) => `, ${k}`).join('')
  const index = bucketIndexSql(plan, 'ev.event_time_ms')
  const none = sqlString(NONE_VALUE)
  const inRange = plan.extended
    ? `, ev.event_time_ms >= ${params.bind(plan.rangeStartMs)} AS inr`
    : ''
  const branches: string[] = []
  // `n=active` as a semi-join on the (user, interval) pairs with an active event, read over the
  // scanned intervals only: the shared "performed" condition would count active events of all time
  // (measured 1–2 s CPU on 10M events). The reference keeps the shared condition, so the property
  // test holds the two readings together.
  const activeOnly = plan.activeOnly ? activePairsSql(plan, query.projectId, params, ctes) : ''
  plan.querySegments.forEach((segment, segmentIndex) => {
    const inSegment = segmentSql(
      segment,
      { range: query.range, cohorts, projectId: query.projectId, params, ctes },
      `s${segmentIndex}`,
    )
    const branch = (
      eventIndex: number,
      selector: EventSelector,
      keys: string[],
      valueText: string,
    ) => {
      const padded = keyNames.map((name, i) => `${keys[i] ?? "''"} AS ${name}`)
      const columns = [`${segmentIndex} AS seg`, `${eventIndex} AS evi`, ...padded]
      branches.push(`SELECT ${columns.join(', ')}, ${index} AS idx, ev.user_key,
        ${valueText} AS vtxt${inRange}${extras.revenue ? ', ev.revenue AS rev' : ''}
        FROM ev WHERE (${eventSql(selector, params, 'ev')}) AND (${inSegment})${activeOnly}`)
    }
    for (const eventPlan of plan.events) {
      branch(
        eventPlan.eventIndex,
        eventPlan.selector,
        eventPlan.keys.map((ref) => `coalesce(${propertyFirstSql(ref, 'ev')}, ${none})`),
        eventPlan.valueProperty === undefined
          ? 'NULL::VARCHAR'
          : propertyFirstSql(eventPlan.valueProperty, 'ev'),
      )
    }
    if (plan.needsActive) branch(ACTIVE_EVENT_INDEX, ACTIVE, [], 'NULL::VARCHAR')
  })

  const hasValues = plan.events.some((e) => e.valueProperty !== undefined)
  const value = numericSql('vtxt')
  // The formulas' newer aggregates, as columns added only when a formula reads them: per user
  // row (`ub`), merged when user rows regroup (`cu`, windowed `bu`), and final per series
  // (`ca`, `ba`). PROPCOUNTAVG and FREQPERCENTILE read one row per user, so their range
  // aggregates come from `cu`, like the histogram's.
  const userExtras = [
    extras.minMax ? `min(${value}) AS mn, max(${value}) AS mx` : '',
    extras.revenue ? 'sum(rev) AS rv' : '',
    extras.distinct || extras.userDistinct
      ? 'coalesce(list(DISTINCT vtxt) FILTER (WHERE vtxt IS NOT NULL), []::VARCHAR[]) AS dv'
      : '',
    extras.valuePercentiles.length > 0
      ? `coalesce(list(${value}) FILTER (WHERE ${value} IS NOT NULL), []::DOUBLE[]) AS vl`
      : '',
  ]
  const mergedExtras = [
    extras.minMax ? 'min(mn) AS mn, max(mx) AS mx' : '',
    extras.revenue ? 'sum(rv) AS rv' : '',
    extras.distinct || extras.userDistinct ? 'list_distinct(flatten(list(dv))) AS dv' : '',
    extras.valuePercentiles.length > 0 ? 'flatten(list(vl)) AS vl' : '',
  ]
  // Percentiles as constant fractions (the parser checked each is a number in [0, 100]);
  // DuckDB's `quantile_cont` interpolates between the nearest ranks, as `percentileOf` does.
  const fractions = (percentiles: readonly number[]) =>
    `[${percentiles.map((p) => `${p / 100}::DOUBLE`).join(', ')}]`
  const finalExtras = [
    extras.minMax ? 'min(mn) AS mn, max(mx) AS mx' : '',
    extras.revenue ? 'sum(rv) AS rv' : '',
    extras.distinct ? 'len(list_distinct(flatten(list(dv)))) AS pc' : '',
    extras.userDistinct ? 'sum(len(dv)) AS pu' : '',
    extras.valuePercentiles.length > 0
      ? `list_aggregate(flatten(list(vl)), 'quantile_cont', ${fractions(extras.valuePercentiles)}) AS vq`
      : '',
    extras.countPercentiles.length > 0
      ? `quantile_cont(c, ${fractions(extras.countPercentiles)}) AS cq`
      : '',
  ]
  const extraColumns = (list: readonly string[]) =>
    list
      .filter((column) => column !== '')
      .map((column) => `, ${column}`)
      .join('')
  const ubExtras = extraColumns(userExtras)
  const mergeExtras = extraColumns(mergedExtras)
  const outExtras = extraColumns(finalExtras)
  const outNames = extraColumns(
    [
      extras.minMax ? 'mn, mx' : '',
      extras.revenue ? 'rv' : '',
      extras.distinct ? 'pc' : '',
      extras.userDistinct ? 'pu' : '',
      extras.valuePercentiles.length > 0 ? 'vq' : '',
      extras.countPercentiles.length > 0 ? 'cq' : '',
    ].filter((name) => name !== ''),
  )
  const userGrain =
    plan.histogram !== undefined || extras.userDistinct || extras.countPercentiles.length > 0
  // Without a value property the sums are constants, not aggregates carried through every stage.
  const valueSums = hasValues ? 'sum(s) AS s, sum(n) AS n' : 'NULL::DOUBLE AS s, 0::BIGINT AS n'
  const series = `seg, evi${keyList}`
  const histogram = plan.histogram !== undefined
  const binExpr =
    plan.histogram === 'value'
      ? valueBinSql(target.kind === 'answer' ? target.edges : [], params)
      : `least(c, ${HISTOGRAM_BINS}) - 1`
  // The bin is computed over user rows before they are grouped, so it reads their own c, s, n.
  const binned = (relation: string) =>
    histogram ? `(SELECT *, ${binExpr} AS bin FROM ${relation})` : relation
  const bin = histogram ? 'bin' : '0 AS bin'
  const binGroup = histogram ? ', bin' : ''
  const answering = target.kind === 'answer'
  ctes.add('m', () => `m AS (${branches.join('\nUNION ALL\n')})`)
  ctes.add(
    'ub',
    () => `ub AS MATERIALIZED (SELECT ${series}, idx, user_key${plan.extended ? ', inr' : ''},
      count(*) AS c${hasValues ? `, sum(${value}) AS s, count(${value}) AS n` : ''}${ubExtras}
      FROM m GROUP BY ${series}, idx, user_key${plan.extended ? ', inr' : ''})`,
  )
  const rangeOnly = plan.extended ? 'WHERE inr' : ''
  if (userGrain) {
    // Frequency bins, PROPCOUNTAVG and FREQPERCENTILE need each user's row over the range.
    ctes.add(
      'cu',
      () => `cu AS (SELECT ${series}, user_key, sum(c) AS c, ${valueSums}${mergeExtras} FROM ub
        ${rangeOnly} GROUP BY ${series}, user_key)`,
    )
    if (answering)
      ctes.add(
        'ca',
        () => `ca AS (SELECT ${series}, ${bin}, count(*) AS u, sum(c) AS t, ${valueSums}${outExtras}
        FROM ${binned('cu')} GROUP BY ${series}${binGroup})`,
      )
  } else {
    // Distinct users straight from `ub` (measured faster than regrouping per user first).
    ctes.add(
      'ca',
      () => `ca AS (SELECT ${series}, 0 AS bin, count(DISTINCT user_key) AS u, sum(c) AS t,
        ${valueSums}${outExtras} FROM ub ${rangeOnly} GROUP BY ${series})`,
    )
  }
  // Ranking only matters with group keys; without, each (segment, event) is one series. The value
  // span of a histogram covers every group, so its buckets do not depend on the limit.
  if (plan.keyCount > 0 && answering) {
    ctes.add(
      'grp',
      () => `grp AS (SELECT ${series}, sum(u) AS u, sum(t) AS t, coalesce(sum(s), 0) AS s
        FROM ca GROUP BY ${series})`,
    )
    const limit = params.bind(query.limit)
    const active = `SELECT ${series} FROM grp WHERE evi < 0`
    if (query.metric === 'formula') {
      const keys = keyNames.join(', ')
      // Formulas rank a group by its unique users summed over the formulas' events.
      const order = `sum(u) DESC${keyList}`
      ctes.add(
        'kept',
        () => `kept AS (SELECT ${series} FROM grp SEMI JOIN (SELECT seg${keyList} FROM (
            SELECT seg${keyList}, row_number() OVER (PARTITION BY seg ORDER BY ${order}) AS r
            FROM grp WHERE evi >= 0 GROUP BY seg${keyList}) WHERE r <= ${limit}) USING (seg${keys === '' ? '' : `, ${keys}`})
          WHERE evi >= 0
          UNION ALL ${active})`,
      )
    } else {
      const rank = { users: 'u', events: 't', sum: 's' }[rankByOf(query)]
      ctes.add(
        'kept',
        () => `kept AS (SELECT ${series} FROM (SELECT ${series}, row_number() OVER (
            PARTITION BY seg, evi ORDER BY ${rank} DESC${keyList}) AS r FROM grp WHERE evi >= 0)
          WHERE r <= ${limit}
          UNION ALL ${active})`,
      )
    }
  }
  // Without group keys every series is kept (one per segment and event): no join needed.
  const keptOnly = (relation: string) =>
    plan.keyCount === 0 || !answering
      ? relation
      : `${relation} SEMI JOIN kept USING (${series.replaceAll(' ', '')})`
  const keptRows = keptOnly('ub')
  if (plan.window > 1) {
    ctes.add(
      'bu',
      () => `bu AS (SELECT ${series}, oidx AS idx, user_key, sum(c) AS c, ${valueSums}${mergeExtras}
        FROM (SELECT *, unnest(range(idx, idx + ${plan.window})) AS oidx FROM ${keptRows})
        WHERE oidx >= ${plan.windowFirstIndex} AND oidx < ${plan.buckets.length}
        GROUP BY ${series}, oidx, user_key)`,
    )
  } else if (plan.extended) {
    ctes.add(
      'bu',
      () => `bu AS (SELECT ${series}, idx, user_key, sum(c) AS c, ${valueSums}${mergeExtras}
        FROM ${keptRows} GROUP BY ${series}, idx, user_key)`,
    )
  } else {
    ctes.add('bu', () => `bu AS (SELECT * FROM ${keptRows})`)
  }
  // Groups without an event in the range are no series of the answer (`kept` reads `ca`); the one
  // series of a segment and event without group keys always is.
  const inRangeSeries = (relation: string) =>
    plan.keyCount === 0
      ? relation
      : `${relation} SEMI JOIN (SELECT DISTINCT ${series} FROM cu) USING (${series.replaceAll(' ', '')})`
  if (!answering)
    return {
      sql: `${ctes.toSql()}
    SELECT min(s) AS lo, max(s) AS hi FROM (
      SELECT s FROM cu WHERE n > 0
      UNION ALL
      SELECT s FROM ${inRangeSeries('bu')} WHERE n > 0)`,
      params: params.values,
    }
  ctes.add(
    'ba',
    () => `ba AS (SELECT ${series}, idx, ${bin}, count(*) AS u, sum(c) AS t, ${valueSums}${outExtras}
      FROM ${binned('bu')} GROUP BY ${series}, idx${binGroup})`,
  )
  const sql = `${ctes.toSql()}
    SELECT 'c' AS kind, ${series}, NULL::BIGINT AS idx, bin, u, t, s, n${outNames}
      FROM ${keptOnly('ca')}
    UNION ALL
    SELECT 'b' AS kind, ${series}, idx, bin, u, t, s, n${outNames} FROM ba`
  return { sql, params: params.values }
}

/**
 * Runs the compiled query and gathers its rows into series aggregates: the query's own, then one
 * statement per `ROLLWIN` window of its formulas (each aggregates every interval over its window).
 */
export async function segmentationAggregatesSql(
  store: Store,
  query: SegmentationQuery,
  cohorts: CohortMembers,
): Promise<SeriesAggregates[]> {
  const windows = [...new Set(query.formulas.flatMap((f) => formulaWindows(f.root)))]
  const own = await aggregatesOfPlan(store, query, cohorts, undefined)
  const passes = await Promise.all(
    windows.map(async (window) =>
      (await aggregatesOfPlan(store, query, cohorts, window)).map((a) => ({ ...a, window })),
    ),
  )
  return [...own, ...passes.flat()]
}

async function aggregatesOfPlan(
  store: Store,
  query: SegmentationQuery,
  cohorts: CohortMembers,
  window: number | undefined,
): Promise<SeriesAggregates[]> {
  const plan = planOf(query, window)
  let edges: number[] | undefined
  if (plan.histogram === 'value') {
    // Two statements: the edges depend on the values, and binning in SQL needs them as constants.
    const range = valueRangeSql(query, cohorts)
    const [span] = await store.selectRows(range.sql, range.params)
    const number = (value: unknown) =>
      value === null || value === undefined ? undefined : Number(value)
    edges = valueBinEdges(number(span?.lo), number(span?.hi))
  }
  const { sql, params } = compile(query, cohorts, { kind: 'answer', edges: edges ?? [] }, window)
  const rows = await store.selectRows(sql, params)
  const series = new Map<string, SeriesAggregates>()
  for (const row of rows) {
    const segmentIndex = Number(row.seg)
    const eventIndex = Number(row.evi)
    const keys = Array.from({ length: plan.keyCount }, (_, i) => String(row[`k${i}`]))
    const id = seriesId(segmentIndex, eventIndex, keys)
    let entry = series.get(id)
    if (entry === undefined) {
      entry = { segmentIndex, eventIndex, keys, collapsed: emptyAggregate(), buckets: new Map() }
      if (edges !== undefined) entry.valueBinEdges = edges
      series.set(id, entry)
    }
    let target: Aggregate
    if (row.kind === 'c') {
      target = entry.collapsed
    } else {
      const index = Number(row.idx)
      target = entry.buckets.get(index) ?? emptyAggregate()
      entry.buckets.set(index, target)
    }
    const users = Number(row.u)
    target.users += users
    target.events += Number(row.t)
    target.sum += row.s === null ? 0 : Number(row.s)
    target.valueCount += row.n === null ? 0 : Number(row.n)
    readExtras(target, row, plan)
    // A NULL bin: users in no value bucket (no numeric value).
    if (row.bin !== null) {
      const bin = Number(row.bin)
      target.bins[bin] = (target.bins[bin] ?? 0) + users
    }
  }
  return [...series.values()]
}

/** The formulas' newer aggregates of a row, when the statement has them (`plan.extras`). */
function readExtras(target: Aggregate, row: Record<string, unknown>, plan: SegmentationPlan): void {
  // A quantile list is NULL without values: no percentile then.
  const percentiles = (into: Map<number, number>, asked: readonly number[], list: unknown) => {
    if (!Array.isArray(list)) return
    asked.forEach((p, i) => {
      if (list[i] !== null && list[i] !== undefined) into.set(p, Number(list[i]))
    })
  }
  if (row.mn !== undefined && row.mn !== null) target.valueMin = Number(row.mn)
  if (row.mx !== undefined && row.mx !== null) target.valueMax = Number(row.mx)
  if (row.rv !== undefined && row.rv !== null) target.revenue += Number(row.rv)
  if (row.pc !== undefined && row.pc !== null) target.distinctValues += Number(row.pc)
  if (row.pu !== undefined && row.pu !== null) target.userDistinctValues += Number(row.pu)
  percentiles(target.valuePercentiles, plan.extras.valuePercentiles, row.vq)
  percentiles(target.countPercentiles, plan.extras.countPercentiles, row.cq)
}
