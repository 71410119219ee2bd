/**
 * @module The Dashboard REST API (query-api.md §3): typed queries → validated query strings → typed
 * answers. All are GETs (retried on 5xx and network errors). Answers keep Amplitude's envelope
 * (`data` plus query metadata); the variants the spec marks unconfirmed are admitted by the types.
 */
import {
  type DashboardResponse,
  type EventListEntry,
  FUNNEL_MODES,
  type FunnelMode,
  type FunnelSeries,
  type IntervalCode,
  RETENTION_MODES,
  type RetentionData,
  type RetentionMode,
  type RevenueLtvData,
  SEGMENTATION_METRICS,
  type SegmentationData,
  type SegmentationMetric,
  type TimeSeriesData,
  type UserActivityResponse,
  type UserSearchResponse,
  type WireSegment,
} from '@ampkit/protocol'
import { ParameterError, ProtocolError } from '../errors.ts'
import { safeUrl } from '../http/safe-url.ts'
import type { QueryParams, Transport } from '../http/transport.ts'
import { type DayInput, type EventInput, QueryBuilder } from './params.ts'

/** Options every query takes. */
export interface QueryOptions {
  signal?: AbortSignal
}

/** The range, segments and group-by most endpoints share. */
interface RangeQuery extends QueryOptions {
  /** First day (inclusive), `Date` (UTC day) or `YYYYMMDD`, read in the project's time zone. */
  start: DayInput
  /** Last day (inclusive). */
  end: DayInput
  /** One segment per element, each AND-ing its conditions; several segments give one series each. */
  segments?: readonly WireSegment[]
}

/** `GET /api/2/events/segmentation` (§3.3). */
export interface SegmentationQuery extends RangeQuery {
  /** `e`. */
  event: EventInput
  /** `e2`: a second event (B in formulas). */
  secondEvent?: EventInput
  /**
   * `m`. @default 'uniques'. `sums` and `value_avg` read the numeric property named by the event's
   * first `group_by`. `histogram` without a `group_by` bins users by how often they did the event;
   * with one, by the property's value (its sum over each user's events in the interval; the local
   * server makes automatic buckets named `"[min, max)"`). Each bin is one series whose
   * `seriesMeta.bin` names it (the shape is unconfirmed).
   */
  metric?: SegmentationMetric
  /**
   * `formula`, required with `metric: 'formula'`, e.g. `UNIQUES(A)/UNIQUES(B)`; several separated
   * by `;`. Sent as written: the server checks it (a 400 names the problem). The local server
   * knows UNIQUES, TOTALS, AVG, ACTIVE, PROPSUM, PROPAVG, PROPMIN, PROPMAX, PROPCOUNT (exact;
   * Amplitude estimates it with HyperLogLog), PROPCOUNTAVG, REVENUETOTAL, ARPAU,
   * `PERCENTILE(A, p)`, `FREQPERCENTILE(A, p)` (p from 0 to 100), `CUMSUM(x)`, `ROLLAVG(x, n)`
   * and `ROLLWIN(x, n)`; `HIST(A)` and `PROPHIST(A)` alone chart one series per bin (each
   * `seriesMeta.bin`), as `metric: 'histogram'` does. The property functions (PROPSUM … PROPHIST,
   * ARPAU, PERCENTILE) read their event's first group_by as the value, not as a split.
   */
  formula?: string
  /** `n`: `any` or `active` users. */
  userType?: 'any' | 'active'
  /** `i`: 1 day (default), 7 week, 30 month, -3600000 hour (≤ 7 days), -300000 five minutes (≤ 2 days). */
  interval?: IntervalCode
  /** `g`, `g2`: up to two group-by properties (e.g. `country`, `gp:plan`). */
  groupBy?: string | readonly string[]
  /** Group values returned, 1..1000. @default 100 (server side) */
  limit?: number
  /** Each point aggregates the trailing N intervals. */
  rollingWindow?: number
  /** Each point is the mean of the trailing N points. */
  rollingAverage?: number
}

/** `GET /api/2/funnels` (§3.4). */
export interface FunnelQuery extends RangeQuery {
  /** The steps in order (repeated `e`); at least one. */
  steps: readonly EventInput[]
  /** @default 'ordered' */
  mode?: FunnelMode
  /** `n`: all active users or users new in the range. @default 'active' */
  userType?: 'active' | 'new'
  /** Bucket of the `day*` series: 1, 7 or 30 (also -3600000, -300000). */
  interval?: IntervalCode
  /** `cs`, in seconds. @default 2592000 (30 days, server side) */
  conversionWindowSeconds?: number
  /** `g`: one group-by property. */
  groupBy?: string
  limit?: number
}

/** `GET /api/2/retention` (§3.5). */
export interface RetentionQuery extends RangeQuery {
  /** `se`: `_new`, `_active` or an event. */
  startEvent: EventInput
  /** `re`: `_all`, `_active` or an event. */
  returnEvent: EventInput
  /** `rm`. @default 'n-day' */
  mode?: RetentionMode
  /** `rb`, required with `mode: 'bracket'`: `[from, to)` day ranges, e.g. `[[0, 5], [5, 10]]`. */
  brackets?: readonly (readonly [number, number])[]
  /** 1 day, 7 week, 30 month. */
  interval?: 1 | 7 | 30
  groupBy?: string
}

/** `GET /api/2/users` (§3.6). */
export interface UsersQuery extends RangeQuery {
  /** @default 'active' */
  metric?: 'active' | 'new'
  interval?: 1 | 7 | 30
  groupBy?: string
}

/** `GET /api/2/sessions/length` (§3.6); custom bins need unit, min and max. */
export interface SessionLengthQuery extends QueryOptions {
  start: DayInput
  end: DayInput
  binTimeUnit?: 'hours' | 'minutes' | 'seconds'
  binMin?: number
  binMax?: number
  binSize?: number
}

/** `GET /api/2/revenue/ltv` (§3.6). */
export interface RevenueLtvQuery extends RangeQuery {
  /** `m`: ARPU (default), ARPPU, total revenue, paying users. */
  metric?: 'arpu' | 'arppu' | 'total' | 'paying'
  interval?: 1 | 7 | 30
  groupBy?: string
}

/** `GET /api/2/composition` (§3.6). */
export interface CompositionQuery extends QueryOptions {
  start: DayInput
  end: DayInput
  /** `p`: the property (several repeat `p` [unconfirmed]). */
  property: string | readonly string[]
}

/** `GET /api/2/useractivity` (§3.7). */
export interface UserActivityQuery extends QueryOptions {
  /** The Amplitude id. */
  user: number | string
  /** Events to skip from the newest (or oldest). @default 0 */
  offset?: number
  /** 1..1000. @default 1000 (server side) */
  limit?: number
  /** @default 'latest' */
  direction?: 'latest' | 'earliest'
}

const LTV_METRICS = { arpu: 0, arppu: 1, total: 2, paying: 3 } as const
const PROPERTY_METRICS: readonly SegmentationMetric[] = ['sums', 'value_avg']

async function getData<T>(
  transport: Transport,
  builder: QueryBuilder,
  path: string,
  options: QueryOptions,
  check: (body: Record<string, unknown>) => boolean = (body) => 'data' in body,
): Promise<T> {
  const spec = {
    method: 'GET' as const,
    path,
    query: builder.params as QueryParams,
    ...(options.signal !== undefined && { signal: options.signal }),
  }
  const { body, status } = await transport.json<unknown>(spec)
  if (typeof body !== 'object' || body === null || !check(body as Record<string, unknown>))
    throw new ProtocolError(`GET ${path} failed: the answer lacks its documented fields`, {
      method: 'GET',
      url: safeUrl(transport.urlFor(spec)),
      status,
      body: JSON.stringify(body).slice(0, 512),
    })
  return body as T
}

export async function segmentation(
  transport: Transport,
  query: SegmentationQuery,
): Promise<DashboardResponse<SegmentationData>> {
  const q: QueryBuilder = new QueryBuilder('segmentation')
  const metric = query.metric ?? 'uniques'
  if (!SEGMENTATION_METRICS.includes(metric))
    q.fail('metric', `must be one of ${SEGMENTATION_METRICS.join(', ')}, got ${String(metric)}`)
  const event = q.event('event', 'e', query.event)
  const second =
    query.secondEvent === undefined ? undefined : q.event('secondEvent', 'e2', query.secondEvent)
  // A histogram bins users by their event count, or by a property's value when `e.group_by`
  // names one (query-api.md §3.3); then, as for the other property metrics, each event needs one.
  const hasProperty = (e: { group_by?: readonly unknown[] }) => (e.group_by ?? []).length > 0
  const needsProperty =
    PROPERTY_METRICS.includes(metric) || (metric === 'histogram' && hasProperty(event))
  if (needsProperty && !hasProperty(event))
    q.fail('event.group_by', `must name the property that metric '${metric}' aggregates`)
  if (needsProperty && second !== undefined && !hasProperty(second))
    q.fail('secondEvent.group_by', `must name the property that metric '${metric}' aggregates`)
  if (query.metric !== undefined) q.add('m', metric)
  if (metric === 'formula') {
    const formula = query.formula
    if (typeof formula !== 'string' || formula.trim() === '')
      q.fail('formula', "is required with metric 'formula'")
    q.add('formula', formula)
  } else if (query.formula !== undefined) q.fail('formula', "needs metric 'formula'")
  if (query.userType !== undefined) {
    if (query.userType !== 'any' && query.userType !== 'active')
      q.fail('userType', "must be 'any' or 'active'")
    q.add('n', query.userType)
  }
  const days = q.range(query.start, query.end)
  q.interval(query.interval, days)
  const segments = q.segments(query.segments)
  q.groupBy(query.groupBy, 2, segments)
  q.limit(query.limit)
  q.positiveInteger('rollingWindow', 'rollingWindow', query.rollingWindow)
  q.positiveInteger('rollingAverage', 'rollingAverage', query.rollingAverage)
  return getData(transport, q, '/api/2/events/segmentation', query)
}

export async function funnels(
  transport: Transport,
  query: FunnelQuery,
): Promise<DashboardResponse<FunnelSeries[]>> {
  const q: QueryBuilder = new QueryBuilder('funnels')
  if (!Array.isArray(query.steps) || query.steps.length === 0)
    q.fail('steps', 'needs at least one event')
  query.steps.forEach((step, i) => {
    q.event(`steps[${i}]`, 'e', step)
  })
  const days = q.range(query.start, query.end)
  if (query.mode !== undefined) {
    if (!FUNNEL_MODES.includes(query.mode))
      q.fail('mode', `must be one of ${FUNNEL_MODES.join(', ')}`)
    q.add('mode', query.mode)
  }
  if (query.userType !== undefined) {
    if (query.userType !== 'active' && query.userType !== 'new')
      q.fail('userType', "must be 'active' or 'new'")
    q.add('n', query.userType)
  }
  q.interval(query.interval, days)
  q.positiveInteger('conversionWindowSeconds', 'cs', query.conversionWindowSeconds)
  const segments = q.segments(query.segments)
  q.groupBy(query.groupBy, 1, segments)
  q.limit(query.limit)
  return getData(transport, q, '/api/2/funnels', query, (b) => Array.isArray(b.data))
}

export async function retention(
  transport: Transport,
  query: RetentionQuery,
): Promise<DashboardResponse<RetentionData>> {
  const q: QueryBuilder = new QueryBuilder('retention')
  q.event('startEvent', 'se', query.startEvent)
  q.event('returnEvent', 're', query.returnEvent)
  const days = q.range(query.start, query.end)
  const mode = query.mode ?? 'n-day'
  if (!RETENTION_MODES.includes(mode))
    q.fail('mode', `must be one of ${RETENTION_MODES.join(', ')}`)
  // N-day is the default and is sent as no `rm` at all (§3.5).
  if (mode !== 'n-day') q.add('rm', mode)
  if (mode === 'bracket') {
    const brackets = query.brackets
    if (brackets === undefined || !Array.isArray(brackets) || brackets.length === 0)
      q.fail('brackets', "are required with mode 'bracket', e.g. [[0, 5]]")
    for (const [i, pair] of brackets.entries()) {
      const [from, to] = pair
      if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to <= from)
        q.fail(
          `brackets[${i}]`,
          `must be [from, to) with 0 <= from < to, got ${JSON.stringify(pair)}`,
        )
    }
    q.add('rb', JSON.stringify(brackets))
  } else if (query.brackets !== undefined) q.fail('brackets', "need mode 'bracket'")
  q.interval(query.interval, days, [1, 7, 30])
  const segments = q.segments(query.segments)
  q.groupBy(query.groupBy, 1, segments)
  return getData(transport, q, '/api/2/retention', query)
}

export async function users(
  transport: Transport,
  query: UsersQuery,
): Promise<DashboardResponse<TimeSeriesData>> {
  const q: QueryBuilder = new QueryBuilder('users')
  const days = q.range(query.start, query.end)
  if (query.metric !== undefined) {
    if (query.metric !== 'active' && query.metric !== 'new')
      q.fail('metric', "must be 'active' or 'new'")
    q.add('m', query.metric)
  }
  q.interval(query.interval, days, [1, 7, 30])
  const segments = q.segments(query.segments)
  q.groupBy(query.groupBy, 1, segments)
  return getData(transport, q, '/api/2/users', query)
}

export async function sessionLength(
  transport: Transport,
  query: SessionLengthQuery,
): Promise<DashboardResponse<TimeSeriesData>> {
  const q: QueryBuilder = new QueryBuilder('sessionLength')
  q.range(query.start, query.end)
  const custom = [query.binTimeUnit, query.binMin, query.binMax].filter((v) => v !== undefined)
  if (custom.length > 0 || query.binSize !== undefined) {
    if (custom.length !== 3)
      q.fail('binTimeUnit', 'custom bins need binTimeUnit, binMin and binMax')
    if (!['hours', 'minutes', 'seconds'].includes(query.binTimeUnit ?? ''))
      q.fail('binTimeUnit', "must be 'hours', 'minutes' or 'seconds'")
    const { binMin = 0, binMax = 0 } = query
    if (!(binMin >= 0) || !(binMax > binMin)) q.fail('binMax', 'must be greater than binMin >= 0')
    q.add('timeHistogramConfigBinTimeUnit', query.binTimeUnit as string)
    q.add('timeHistogramConfigBinMin', binMin)
    q.add('timeHistogramConfigBinMax', binMax)
    if (query.binSize !== undefined) {
      if (!(query.binSize > 0)) q.fail('binSize', 'must be > 0')
      q.add('timeHistogramConfigBinSize', query.binSize)
    }
  }
  return getData(transport, q, '/api/2/sessions/length', query)
}

async function simpleRange(
  transport: Transport,
  operation: string,
  path: string,
  query: { start: DayInput; end: DayInput } & QueryOptions,
): Promise<DashboardResponse<TimeSeriesData>> {
  const q: QueryBuilder = new QueryBuilder(operation)
  q.range(query.start, query.end)
  return getData(transport, q, path, query)
}

export async function sessionAverage(
  transport: Transport,
  query: { start: DayInput; end: DayInput } & QueryOptions,
) {
  return simpleRange(transport, 'sessionAverage', '/api/2/sessions/average', query)
}

export async function sessionsPerUser(
  transport: Transport,
  query: { start: DayInput; end: DayInput } & QueryOptions,
) {
  return simpleRange(transport, 'sessionsPerUser', '/api/2/sessions/peruser', query)
}

export async function revenueLtv(
  transport: Transport,
  query: RevenueLtvQuery,
): Promise<DashboardResponse<RevenueLtvData>> {
  const q: QueryBuilder = new QueryBuilder('revenueLtv')
  const days = q.range(query.start, query.end)
  if (query.metric !== undefined) {
    const code = LTV_METRICS[query.metric]
    if (code === undefined)
      q.fail('metric', `must be one of ${Object.keys(LTV_METRICS).join(', ')}`)
    q.add('m', code)
  }
  q.interval(query.interval, days, [1, 7, 30])
  const segments = q.segments(query.segments)
  q.groupBy(query.groupBy, 1, segments)
  return getData(transport, q, '/api/2/revenue/ltv', query)
}

export async function composition(
  transport: Transport,
  query: CompositionQuery,
): Promise<DashboardResponse<TimeSeriesData>> {
  const q: QueryBuilder = new QueryBuilder('composition')
  q.range(query.start, query.end)
  const properties =
    typeof query.property === 'string' ? [query.property] : [...(query.property ?? [])]
  if (properties.length === 0 || properties.some((p) => typeof p !== 'string' || p === ''))
    q.fail('property', 'needs a property name')
  for (const p of properties) q.add('p', p)
  return getData(transport, q, '/api/2/composition', query)
}

export async function eventsList(
  transport: Transport,
  options: QueryOptions = {},
): Promise<DashboardResponse<EventListEntry[]>> {
  return getData(transport, new QueryBuilder('eventsList'), '/api/2/events/list', options, (b) =>
    Array.isArray(b.data),
  )
}

export async function realtime(
  transport: Transport,
  options: QueryOptions = {},
): Promise<DashboardResponse<TimeSeriesData>> {
  return getData(transport, new QueryBuilder('realtime').add('i', 5), '/api/2/realtime', options)
}

export async function userActivity(
  transport: Transport,
  query: UserActivityQuery,
): Promise<UserActivityResponse> {
  const q: QueryBuilder = new QueryBuilder('userActivity')
  const user = String(query.user)
  if (!/^\d+$/.test(user))
    q.fail('user', `must be an Amplitude id (digits), got ${JSON.stringify(query.user)}`)
  q.add('user', user)
  if (query.offset !== undefined) {
    if (!Number.isSafeInteger(query.offset) || query.offset < 0)
      q.fail('offset', 'must be an integer >= 0')
    q.add('offset', query.offset)
  }
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000)
      q.fail('limit', `must be an integer 1..1000, got ${query.limit}`)
    q.add('limit', query.limit)
  }
  if (query.direction !== undefined) {
    if (query.direction !== 'latest' && query.direction !== 'earliest')
      q.fail('direction', "must be 'latest' or 'earliest'")
    q.add('direction', query.direction)
  }
  return getData(transport, q, '/api/2/useractivity', query, (b) => 'userData' in b)
}

export async function userSearch(
  transport: Transport,
  user: string,
  options: QueryOptions = {},
): Promise<UserSearchResponse> {
  const q: QueryBuilder = new QueryBuilder('userSearch')
  if (typeof user !== 'string' || user.trim() === '')
    throw new ParameterError('userSearch', 'user', 'needs an Amplitude id, device id or user id')
  q.add('user', user)
  return getData(transport, q, '/api/2/usersearch', options, (b) => Array.isArray(b.matches))
}

function chartPath(id: string | number, suffix: 'query' | 'csv'): string {
  const text = String(id)
  if (text === '' || !/^[A-Za-z0-9_-]+$/.test(text))
    throw new ParameterError(
      'chart',
      'id',
      `must be the id from the chart URL, got ${JSON.stringify(id)}`,
    )
  return `/api/3/chart/${text}/${suffix}`
}

/** `GET /api/3/chart/{id}/query`: the saved chart's result in its chart type's `data` shape (§3.9). */
export async function chart<T = SegmentationData>(
  transport: Transport,
  id: string | number,
  options: QueryOptions = {},
): Promise<DashboardResponse<T>> {
  return getData(transport, new QueryBuilder('chart'), chartPath(id, 'query'), options)
}

/** `GET /api/3/chart/{id}/csv`: the saved chart as CSV text (layout [unconfirmed]). */
export async function chartCsv(
  transport: Transport,
  id: string | number,
  options: QueryOptions = {},
): Promise<string> {
  const { text } = await transport.text({
    method: 'GET',
    path: chartPath(id, 'csv'),
    ...(options.signal !== undefined && { signal: options.signal }),
  })
  return text
}
