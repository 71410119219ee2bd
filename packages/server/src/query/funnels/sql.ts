/**
 * @module Funnels in DuckDB SQL: the production path of `/api/2/funnels`, with the semantics of
 * `query.ts` (held to `reference.ts` by the property tests).
 *
 * Shape: one scan keeps the step events of `[start, end + window]` with a position key (second, then
 * append order, in one BIGINT) and a flag per step; the entries (step-1 events inside the range) carry
 * their segment flags, group label and bucket. Then, per mode, how far each entry gets and when:
 * - ordered: the spec's greedy walk (the earliest step-k event after the previous step), by bucket
 *   joins for short windows and next-step pointers for long ones (`orderedLevels`), each hop
 *   filtered by the window right away; the entries are left-joined back to the hops by position;
 * - sequential: every reachable step event per entry (equi-joins on the same second, or the user's
 *   next active second), since the earliest one is not always the one that leads furthest;
 * - unordered: a range join of the entries with the step events of their window, and Hall's condition
 *   per subset of overlapping steps (the n-th matching event's second).
 * Last, the best entry per (segment, group, user) and per bucket, and the aggregates: counts and
 * transition times overall and per bucket, and the two histograms from the counted paths
 * (`distributionSelects`).
 */
import { NONE_VALUE } from '@ampkit/protocol'
import type { Store } from '../../store/store.ts'
import { eventSql, needsFirstEventFlag } from '../event-selector.ts'
import type { CohortMembers, EventSelector } from '../ir.ts'
import { propertyFirstSql } from '../property-filter.ts'
import { INACTIVE_EVENT_TYPES, queryEventsCte } from '../query-event.ts'
import { CteList, segmentSql } from '../segment.ts'
import { SqlParams } from '../sql-params.ts'
import { bucketLabelSql, bucketStartSql } from '../time-buckets.ts'
import {
  type BinTally,
  binIndexSql,
  PREV_STEP_COUNT_BIN_STARTS,
  transTimeStarts,
} from './distribution.ts'
import { effectiveWindowSeconds, type FunnelQuery } from './query.ts'
import type { FunnelGroupTotals, StepTotals } from './result.ts'

/**
 * Positions pack (second − base, seq) into one BIGINT: seconds since just before the range in the
 * high bits, the append order (below 2^32) in the low 32.
 */
const SEQ_BITS_FACTOR = 4_294_967_296

/**
 * `AND e.event_type IN (…)` when every step names a concrete type: a plain IN list DuckDB can push
 * into the scan, ahead of the per-step predicates.
 */
function typePrefilter(steps: readonly EventSelector[], params: SqlParams): string {
  if (steps.some(specialType)) return ''
  return ` AND e.event_type IN ${params.bindList([...new Set(steps.map((s) => s.eventType))])}`
}

/** The SQL text and its parameters. */
export interface FunnelSql {
  sql: string
  params: SqlParams
}

const range = (n: number, from = 1) => Array.from({ length: n - from + 1 }, (_, i) => i + from)

const SPECIAL_TYPES = new Set([
  '_all',
  '_active',
  '_new',
  'revenue_amount',
  'verified_revenue',
  'unverified_revenue',
])

/** Special selectors can match events of any type, so they overlap every other step. */
function specialType(selector: EventSelector): boolean {
  return SPECIAL_TYPES.has(selector.eventType)
}

/**
 * Steps 2..N (1-based) split into groups whose selectors may match the same event (same concrete
 * type, or a special type); Hall's condition only needs the subsets inside each group.
 */
export function overlappingStepSubsets(steps: readonly EventSelector[]): number[][] {
  const indices = range(steps.length, 2)
  const parent = new Map(indices.map((i) => [i, i]))
  const find = (i: number): number => {
    const p = parent.get(i) as number
    return p === i ? i : find(p)
  }
  for (const a of indices) {
    for (const b of indices) {
      if (b <= a) continue
      const sa = steps[a - 1] as EventSelector
      const sb = steps[b - 1] as EventSelector
      if (specialType(sa) || specialType(sb) || sa.eventType === sb.eventType)
        parent.set(find(b), find(a))
    }
  }
  const groups = new Map<number, number[]>()
  for (const i of indices) groups.set(find(i), [...(groups.get(find(i)) ?? []), i])
  const subsets: number[][] = []
  for (const members of groups.values()) {
    for (let mask = 1; mask < 1 << members.length; mask++)
      subsets.push(members.filter((_, bit) => (mask >> bit) & 1))
  }
  return subsets
}

/** Builds the funnel's SQL. Its rows: `kind` total|day, `seg`, `grp`, `label`, `c1..cN`, `m2..`, `u2..`. */
export function funnelSql(
  query: FunnelQuery,
  projectId: number,
  cohorts: CohortMembers,
): FunnelSql {
  const params = new SqlParams()
  const ctes = new CteList()
  const { range: r, steps, mode } = query
  const n = steps.length
  const windowS = effectiveWindowSeconds(query)
  const W = params.bind(windowS)
  const startMs = params.bind(r.startMs)
  const endMs = params.bind(r.endMs)
  const loMs = Math.floor(r.startMs / 1000) * 1000
  // The last entry second plus the window, inclusive.
  const hiMs = (Math.floor((r.endMs - 1) / 1000) + windowS + 1) * 1000
  const baseSec = Math.floor(r.startMs / 1000) - 1
  const inSpan = (alias: string) =>
    `${alias}.event_time_ms >= ${params.bind(loMs)} AND ${alias}.event_time_ms < ${params.bind(hiMs)}`
  const visible = (alias: string) =>
    `${alias}.event_type NOT IN ${params.bindList(INACTIVE_EVENT_TYPES)}`
  // Sequential mode does not see events that never make a user active (query.ts).
  const stepSql = (k: number, alias: string) => {
    const own = eventSql(steps[k - 1] as EventSelector, params, alias)
    return mode === 'sequential' ? `(${own}) AND ${visible(alias)}` : own
  }
  const secSql = (alias: string) => `CAST(floor(${alias}.event_time_ms / 1000) AS BIGINT)`
  const posSql = (alias: string) =>
    `(${secSql(alias)} - ${baseSec}) * ${SEQ_BITS_FACTOR} + ${alias}.seq`

  const segmentFlags = query.segments.map(
    (segment, i) =>
      `(${segmentSql(segment, { range: r, cohorts, projectId, params, ctes }, `fs${i}`, 'ev')})`,
  )
  const firstFlag = needsFirstEventFlag(steps)
  ctes.add('ev', () =>
    queryEventsCte(params, projectId, {
      name: 'ev',
      where: `${inSpan('e')}${typePrefilter(steps, params)} AND (${range(n)
        .map((k) => `(${stepSql(k, 'e')})`)
        .join(' OR ')})`,
      firstEventFlag: firstFlag,
    }),
  )
  let newUsers = ''
  if (query.users === 'new') {
    ctes.add('ev_nu', () => queryEventsCte(params, projectId, { name: 'ev_nu' }))
    ctes.add(
      'nu',
      () => `nu AS (SELECT user_key FROM ev_nu GROUP BY user_key
        HAVING min(event_time_ms) >= ${startMs} AND min(event_time_ms) < ${endMs})`,
    )
    newUsers = ' AND ev.user_key IN (SELECT user_key FROM nu)'
  }
  const group =
    query.groupBy === undefined
      ? "''"
      : `coalesce(${propertyFirstSql(query.groupBy, 'ev')}, ${params.bind(NONE_VALUE)})`
  // One narrow table of the step events (read once from the wide `ev`: every row of it matches some
  // step); the entry's bucket, group and segment flags are only computed on entries. Step-1 events
  // that are no entries (after the range end) stay: the previous-step counts of step 2 count them.
  const onEntry = (expr: string) => `CASE WHEN ev.entry THEN ${expr} END`
  ctes.add(
    'st',
    () => `st AS MATERIALIZED (SELECT ev.user_key, ev.pos, ev.sec, ${range(n)
      .map((k) => `m${k}`)
      .join(', ')}, ev.entry,
      ${onEntry(bucketStartSql('ev.event_time_ms', r.interval, r.timeZone))} AS bucket,
      ${onEntry(group)} AS grp,
      ${segmentFlags.map((flag, i) => `${onEntry(flag)} AS s${i}`).join(', ')}
      FROM (SELECT ev.*, ${posSql('ev')} AS pos, ${secSql('ev')} AS sec, ${range(n)
        .map((k) => `(${stepSql(k, 'ev')}) AS m${k}`)
        .join(', ')},
        (${stepSql(1, 'ev')}) AND ev.event_time_ms >= ${startMs} AND ev.event_time_ms < ${endMs}${newUsers} AS entry
        FROM ev) ev)`,
  )
  ctes.add(
    'en',
    () =>
      `en AS (SELECT user_key, pos AS p1, sec AS t1, bucket, grp, ${query.segments
        .map((_, i) => `s${i}`)
        .join(', ')} FROM st WHERE entry)`,
  )
  for (const k of range(n, 2))
    ctes.add(`c${k}`, () => `c${k} AS (SELECT user_key, pos, sec FROM st WHERE m${k})`)

  // `lv`: every entry with its level and the second of each step reached (NULL beyond).
  const times = range(n, 2)
  if (mode === 'ordered') orderedLevels(ctes, n, windowS, W, baseSec)
  else if (mode === 'sequential') sequentialLevels(ctes, params, projectId, n, W, inSpan, visible)
  else unorderedLevels(ctes, steps, n, W)

  const d = times.map((k) => `(t${k} - t${k - 1}) * 1000 AS d${k}`)
  ctes.add(
    'pe',
    () => `pe AS MATERIALIZED (SELECT user_key, p1, bucket, grp, level,
      ${[...query.segments.map((_, i) => `s${i}`), ...d].join(', ')} FROM lv)`,
  )
  const carried = ['user_key', 'p1', 'bucket', 'grp', 'level', ...times.map((k) => `d${k}`)]
  ctes.add(
    'ps',
    () =>
      `ps AS (${query.segments
        .map((_, i) => `SELECT ${i} AS seg, ${carried.join(', ')} FROM pe WHERE s${i}`)
        .join(' UNION ALL ')})`,
  )
  // The best entry per (segment, group, bucket, user), then per (segment, group, user) from those:
  // furthest level, then earliest position. Positions stay below 2^58 (at most 732 days of seconds,
  // times 2^32), so one BIGINT key orders both.
  const bestKey = `level * ${2 ** 58} - p1`
  ctes.add(
    'bu',
    () => `bu AS MATERIALIZED (SELECT seg, grp, bucket, user_key, max(level) AS l, max(${bestKey}) AS bk${times
      .map((k) => `, arg_max(d${k}, ${bestKey}) AS d${k}`)
      .join('')}
      FROM ps GROUP BY seg, grp, bucket, user_key)`,
  )
  ctes.add(
    'best',
    () => `best AS MATERIALIZED (SELECT seg, grp, user_key, max(l) AS l, max(bk) AS bk${times
      .map((k) => `, arg_max(d${k}, bk) AS d${k}`)
      .join('')}
      FROM bu GROUP BY seg, grp, user_key)`,
  )
  const stepAggregates = [
    ...range(n).map((k) => `count(*) FILTER (WHERE l >= ${k}) AS c${k}`),
    ...times.map((k) => `CAST(median(d${k}) AS DOUBLE) AS m${k}`),
    ...times.map((k) => `CAST(sum(d${k}) AS DOUBLE) AS u${k}`),
  ].join(', ')
  const selects = [
    `SELECT 'total' AS kind, seg, grp, ${stepAggregates} FROM best GROUP BY seg, grp`,
    // Per bucket, from each user's best entry of the bucket (rule 9), as the counts are.
    `SELECT 'day' AS kind, seg, grp, ${bucketLabelSql('bucket', r.interval)} AS label, ${stepAggregates}
    FROM bu GROUP BY seg, grp, bucket`,
  ]
  if (n > 1) selects.push(...distributionSelects(ctes, n, windowS, baseSec))
  // BY NAME: each kind of row has its own columns, the others read NULL.
  const sql = `${ctes.toSql()}
    ${selects.join(' UNION ALL BY NAME ')}`
  return { sql, params }
}

/**
 * The rows of the two histograms (`distribution.ts`), from the counted paths in `best` (one per
 * segment, group and user) — no second pass over the events: the transition times are already
 * there, and the previous-step counts join each converted path with its user's rows of the narrow
 * `st` inside the path's own span. Rows: `kind` tt|pc, `seg`, `grp`, `step` (1-based), `bin`, and
 * per bin `n` users, `s` sum and `x` largest value.
 */
function distributionSelects(ctes: CteList, n: number, windowS: number, baseSec: number): string[] {
  const times = range(n, 2)
  // The counted entry's position is in its best key (`level * 2^58 - p1`), its second in the
  // position's high bits; the later steps' seconds follow from the transition times (whole seconds).
  const t1 = `(l * ${2 ** 58} - bk) // ${SEQ_BITS_FACTOR} + ${baseSec}`
  const sumOf = (k: number) =>
    range(k, 2)
      .map((j) => `coalesce(d${j}, 0)`)
      .join(' + ')
  ctes.add(
    'bt',
    () => `bt AS MATERIALIZED (SELECT seg, grp, user_key, l, t1${times.map((k) => `, d${k}, t1 + (${sumOf(k)}) // 1000 AS t${k}`).join('')}
      FROM (SELECT *, ${t1} AS t1 FROM best WHERE l >= 2))`,
  )
  // Step k−1's events from the entry's second through step k's. Beyond the level t_k repeats the
  // last step's second (so t_N ends the path's span); those counts are never read.
  ctes.add(
    'pcs',
    () => `pcs AS (SELECT b.seg, b.grp, b.l${times
      .map((k) => `, count(*) FILTER (WHERE s.m${k - 1} AND s.sec <= b.t${k}) AS pc${k}`)
      .join('')}
      FROM bt b JOIN st s ON s.user_key = b.user_key AND s.sec >= b.t1 AND s.sec <= b.t${n}
      GROUP BY b.seg, b.grp, b.user_key, b.l)`,
  )
  const histogram = (kind: string, from: string, value: (k: number) => string, starts: number[]) =>
    `SELECT '${kind}' AS kind, seg, grp, step, ${binIndexSql(starts, 'v')} AS bin,
      count(*) AS n, CAST(sum(v) AS DOUBLE) AS s, CAST(max(v) AS DOUBLE) AS x
    FROM (${times.map((k) => `SELECT seg, grp, ${k} AS step, ${value(k)} AS v FROM ${from} WHERE l >= ${k}`).join(' UNION ALL ')})
    GROUP BY seg, grp, step, bin`
  return [
    histogram('tt', 'bt', (k) => `d${k}`, transTimeStarts(windowS)),
    histogram('pc', 'pcs', (k) => `pc${k}`, [...PREV_STEP_COUNT_BIN_STARTS]),
  ]
}

/**
 * Windows up to this long (seconds) walk by bucket joins; longer ones by next-step pointers. A bucket
 * join pairs an entry with every step event of its two window-wide buckets, which stays small for
 * short windows and grows with long ones (a heavy user's month of events per entry).
 */
export const BUCKET_JOIN_MAX_WINDOW_SECONDS = 2 * 86_400

/**
 * Ordered: the greedy walk, step k = the earliest step-k event after step k−1 within the window.
 * - Short windows: step-k events within `[t_1, t_1 + W]` lie in the entry's bucket `t_1 // W` or the
 *   next one, so each candidate is offered under both bucket keys and an equi-join on (user, bucket)
 *   with `min(pos)` finds the earliest. Measured about twice as fast as an ASOF chain on 10 million
 *   events.
 * - Long windows: one window pass gives every step event the position of the next event of each
 *   step (`lead … IGNORE NULLS`), and the walk follows those pointers with equi-joins.
 * Both check the window at every hop. (No ASOF chain: a chained `ASOF LEFT JOIN` matched NULL keys on
 * DuckDB 1.5.6, analytics-semantics.md §3, and it was the slower of the three.)
 */
function orderedLevels(
  ctes: CteList,
  n: number,
  windowS: number,
  W: string,
  baseSec: number,
): void {
  if (windowS <= BUCKET_JOIN_MAX_WINDOW_SECONDS) {
    for (const k of range(n, 2)) {
      ctes.add(
        `cb${k}`,
        () => `cb${k} AS (SELECT user_key, pos, sec, sec // ${windowS} AS kb FROM st WHERE m${k}
          UNION ALL SELECT user_key, pos, sec, sec // ${windowS} - 1 AS kb FROM st WHERE m${k})`,
      )
      const from =
        k === 2 ? `(SELECT user_key, p1, t1, p1 AS p, t1 // ${windowS} AS b FROM en)` : `h${k - 1}`
      ctes.add(
        `h${k}`,
        () => `h${k} AS (SELECT g.user_key, g.p1, g.t1, g.b, min(c.pos) AS p, min(c.sec) AS t
          FROM ${from} g JOIN cb${k} c ON c.user_key = g.user_key AND c.kb = g.b
          WHERE c.pos > g.p AND c.sec - g.t1 <= ${W}
          GROUP BY g.user_key, g.p1, g.t1, g.b)`,
      )
    }
    levelsFromHops(ctes, n, 'h', (k) => `h${k}.t`)
    return
  }
  if (n > 1) {
    ctes.add(
      'nxt',
      () => `nxt AS MATERIALIZED (SELECT pos${range(n, 2)
        .map((k) => `, lead(CASE WHEN m${k} THEN pos END IGNORE NULLS) OVER w AS n${k}`)
        .join('')}
        FROM st WINDOW w AS (PARTITION BY user_key ORDER BY pos))`,
    )
  }
  const secOf = (pos: string) => `(${pos} // ${SEQ_BITS_FACTOR} + ${baseSec})`
  for (const k of range(n, 2)) {
    const from = k === 2 ? 'en g' : `h${k - 1} g`
    const at = k === 2 ? 'g.p1' : 'g.p'
    ctes.add(
      `h${k}`,
      () => `h${k} AS (SELECT g.p1, g.t1, x.n${k} AS p, ${secOf(`x.n${k}`)} AS t FROM ${from}
        JOIN nxt x ON x.pos = ${at}
        WHERE x.n${k} IS NOT NULL AND ${secOf(`x.n${k}`)} - g.t1 <= ${W})`,
    )
  }
  levelsFromHops(ctes, n, 'h', (k) => `h${k}.t`)
}

/** `lv` from per-step relations `<prefix>k` keyed by `p1` (present = step k reached). */
function levelsFromHops(
  ctes: CteList,
  n: number,
  prefix: string,
  timeOf: (k: number) => string,
): void {
  const steps = range(n, 2)
  const joins = steps.map((k) => `LEFT JOIN ${prefix}${k} ON ${prefix}${k}.p1 = en.p1`).join(' ')
  const level =
    n === 1
      ? '1'
      : `CASE ${steps
          .reverse()
          .map((k) => `WHEN ${prefix}${k}.p1 IS NOT NULL THEN ${k}`)
          .join(' ')} ELSE 1 END`
  ctes.add(
    'lv',
    () =>
      `lv AS (SELECT en.*, ${level} AS level${range(n, 2)
        .map((k) => `, ${timeOf(k)} AS t${k}`)
        .join('')} FROM en ${joins})`,
  )
}

/** Sequential: all reachable step events per entry (same second later on, or the next active second). */
function sequentialLevels(
  ctes: CteList,
  params: SqlParams,
  projectId: number,
  n: number,
  W: string,
  inSpan: (alias: string) => string,
  visible: (alias: string) => string,
): void {
  ctes.add('ev_vis', () =>
    queryEventsCte(params, projectId, {
      name: 'ev_vis',
      where: `${inSpan('e')} AND ${visible('e')}`,
    }),
  )
  ctes.add(
    'nx',
    () => `nx AS (SELECT user_key, sec, lead(sec) OVER (PARTITION BY user_key ORDER BY sec) AS next_sec
      FROM (SELECT DISTINCT user_key, CAST(floor(event_time_ms / 1000) AS BIGINT) AS sec FROM ev_vis))`,
  )
  ctes.add('r1', () => 'r1 AS (SELECT user_key, p1, t1, p1 AS p, t1 AS sec FROM en)')
  for (const k of range(n, 2)) {
    ctes.add(
      `r${k}`,
      () => `r${k} AS (SELECT DISTINCT user_key, p1, t1, p, sec FROM (
        SELECT r.user_key, r.p1, r.t1, c.pos AS p, c.sec FROM r${k - 1} r
          JOIN c${k} c ON c.user_key = r.user_key AND c.sec = r.sec AND c.pos > r.p
        UNION ALL
        SELECT r.user_key, r.p1, r.t1, c.pos AS p, c.sec FROM r${k - 1} r
          JOIN nx ON nx.user_key = r.user_key AND nx.sec = r.sec
          JOIN c${k} c ON c.user_key = r.user_key AND c.sec = nx.next_sec
      ) WHERE sec - t1 <= ${W})`,
    )
    ctes.add(`q${k}`, () => `q${k} AS (SELECT p1, min(sec) AS t FROM r${k} GROUP BY p1)`)
  }
  levelsFromHops(ctes, n, 'q', (k) => `q${k}.t`)
}

/**
 * Unordered: per entry and per subset J of overlapping steps, the second of the |J|-th event (other
 * than the entry) in the window matching a step of J. Steps 2..k can take distinct events by second
 * T exactly when every J within 2..k has that event at or before T (Hall), so step k's time is the
 * largest of them.
 */
function unorderedLevels(
  ctes: CteList,
  steps: readonly EventSelector[],
  n: number,
  W: string,
): void {
  const subsets = overlappingStepSubsets(steps)
  const name = (subset: number[]) => `tj_${subset.join('_')}`
  if (n > 1) {
    ctes.add(
      'cu',
      () =>
        `cu AS (SELECT * FROM st WHERE ${range(n, 2)
          .map((k) => `m${k}`)
          .join(' OR ')})`,
    )
    const columns = subsets.map(
      (subset) =>
        `(list(c.sec ORDER BY c.sec) FILTER (WHERE ${subset.map((k) => `c.m${k}`).join(' OR ')}))[${subset.length}] AS ${name(subset)}`,
    )
    ctes.add(
      'ux',
      () => `ux AS (SELECT e.p1, ${columns.join(', ')} FROM en e
        JOIN cu c ON c.user_key = e.user_key AND c.sec >= e.t1 AND c.sec <= e.t1 + ${W} AND c.pos <> e.p1
        GROUP BY e.p1)`,
    )
  }
  const within = (k: number) => subsets.filter((subset) => Math.max(...subset) <= k)
  const reached = (k: number) => within(k).map((subset) => `ux.${name(subset)} IS NOT NULL`)
  const level =
    n === 1
      ? '1'
      : `CASE ${range(n, 2)
          .reverse()
          .map((k) => `WHEN ${reached(k).join(' AND ')} THEN ${k}`)
          .join(' ')} ELSE 1 END`
  const timesSql = range(n, 2).map(
    (k) =>
      `, CASE WHEN ${reached(k).join(' AND ')} THEN greatest(en.t1, ${within(k)
        .map((subset) => `ux.${name(subset)}`)
        .join(', ')}) END AS t${k}`,
  )
  ctes.add(
    'lv',
    () =>
      `lv AS (SELECT en.*, ${level} AS level${timesSql.join('')} FROM en${n > 1 ? ' LEFT JOIN ux ON ux.p1 = en.p1' : ''})`,
  )
}

const num = (value: unknown) => (value === null || value === undefined ? 0 : Number(value))

/** Runs the funnel on the store. */
export async function runFunnelSql(
  store: Store,
  projectId: number,
  query: FunnelQuery,
  cohorts: CohortMembers,
): Promise<FunnelGroupTotals[]> {
  const { sql, params } = funnelSql(query, projectId, cohorts)
  const rows = await store.selectRows(sql, params.values)
  const n = query.steps.length
  interface Group extends FunnelGroupTotals {
    buckets: Map<string, StepTotals>
    transTimeBins: Map<number, BinTally>[]
    prevStepCountBins: Map<number, BinTally>[]
  }
  const groups = new Map<string, Group>()
  const groupOf = (row: Record<string, unknown>): Group => {
    const key = `${num(row.seg)}\u0000${String(row.grp)}`
    let group = groups.get(key)
    if (group === undefined) {
      const zeros = new Array<number>(n).fill(0)
      group = {
        segmentIndex: num(row.seg),
        groupValue: String(row.grp),
        counts: zeros,
        medianMs: zeros,
        sumMs: zeros,
        buckets: new Map(),
        transTimeBins: Array.from({ length: n }, () => new Map()),
        prevStepCountBins: Array.from({ length: n }, () => new Map()),
      }
      groups.set(key, group)
    }
    return group
  }
  const stepTotalsOf = (row: Record<string, unknown>): StepTotals => ({
    counts: range(n).map((k) => num(row[`c${k}`])),
    medianMs: range(n).map((k) => (k === 1 ? 0 : num(row[`m${k}`]))),
    sumMs: range(n).map((k) => (k === 1 ? 0 : num(row[`u${k}`]))),
  })
  for (const row of rows) {
    const group = groupOf(row)
    if (row.kind === 'total') Object.assign(group, stepTotalsOf(row))
    else if (row.kind === 'day') group.buckets.set(String(row.label), stepTotalsOf(row))
    else {
      // `step` is 1-based in the SQL (step 2 = index 1).
      const bins = row.kind === 'tt' ? group.transTimeBins : group.prevStepCountBins
      bins[num(row.step) - 1]?.set(num(row.bin), {
        users: num(row.n),
        sum: num(row.s),
        max: num(row.x),
      })
    }
  }
  return [...groups.values()]
}
