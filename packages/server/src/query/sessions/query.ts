/**
 * @module The typed sessions queries (`GET /api/2/sessions/length|average|peruser`, query-api.md
 * §3.6) and their parsing. The semantics (analytics-semantics.md §1.6), written once here for
 * `sql.ts` and `reference.ts`:
 *
 * - A session is the (user, `session_id`) pair of the user's *active* events with `session_id` ≠ -1
 *   (out-of-session events, and inactive ones such as `$identify` or `session_start`, are never part
 *   of one). Its length is the last minus the first of those events' times, in ms; it is dated by its
 *   first event, in the project time zone, and belongs to the query when that start is inside
 *   `[start, end]`. Its events after `end` still count toward its length.
 * - `length`: sessions per length bin over the range. `average`: the mean length per day, in seconds
 *   (0 on a day without sessions). `peruser`: sessions starting that day ÷ users active that day (≥ 1
 *   active event, in a session or not; 0 on a day without active users).
 */
import type { QueryRange } from '../ir.ts'
import { queryError, rangeParams } from '../params.ts'

/** One length bin, `[minMs, maxMs)`. */
export interface SessionBin {
  minMs: number
  maxMs: number
  label: string
}

/** The bins of `sessions/length`. */
export interface SessionBins {
  bins: readonly SessionBin[]
  /**
   * True for the default bins: a session of 24 h or more (longer than Amplitude ever makes one)
   * counts in the last bin, so the bins add up to every session. Custom bins count only the sessions
   * inside `[min, max)`.
   */
  clampLast: boolean
}

/** One sessions query. */
export interface SessionsQuery {
  projectId: number
  metric: 'length' | 'average' | 'peruser'
  /** Daily. */
  range: QueryRange
  /** Only for `length`. */
  bins: SessionBins
}

const S = 1000
const M = 60 * S
const H = 60 * M

/**
 * query-api.md §3.6's default bins. Labels: `<from>-<to>` in the unit the spec writes each bound in
 * (the label text is ours; Amplitude's is unconfirmed beyond the `"0s-60s"` form).
 */
export const DEFAULT_SESSION_BINS: SessionBins = {
  clampLast: true,
  bins: [
    { minMs: 0, maxMs: 3 * S, label: '0s-3s' },
    { minMs: 3 * S, maxMs: 10 * S, label: '3s-10s' },
    { minMs: 10 * S, maxMs: 30 * S, label: '10s-30s' },
    { minMs: 30 * S, maxMs: 60 * S, label: '30s-60s' },
    { minMs: M, maxMs: 3 * M, label: '1m-3m' },
    { minMs: 3 * M, maxMs: 10 * M, label: '3m-10m' },
    { minMs: 10 * M, maxMs: 30 * M, label: '10m-30m' },
    { minMs: 30 * M, maxMs: H, label: '30m-1h' },
    { minMs: H, maxMs: 24 * H, label: '1h-24h' },
  ],
}

/** Most custom bins in one query. */
export const MAX_SESSION_BINS = 1000

const UNITS: Record<string, { ms: number; suffix: string }> = {
  seconds: { ms: S, suffix: 's' },
  minutes: { ms: M, suffix: 'm' },
  hours: { ms: H, suffix: 'h' },
}

const PREFIX = 'timeHistogramConfigBin'

function nonNegative(url: URL, name: string): number | undefined {
  const text = url.searchParams.get(name)
  if (text === null || text === '') return undefined
  const n = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n))
    throw queryError(`Invalid parameter ${name}: expected a non-negative number`)
  return n
}

/**
 * Custom bins from `timeHistogramConfigBinTimeUnit`, `…BinMin`, `…BinMax` (all three together, else
 * 400) and `…BinSize` (optional: a tenth of the span by default, ours). Bins are `[min + k·size,
 * min + (k+1)·size)`, the last one cut at `max`; labels `<from><unit>-<to><unit>` (`"0s-60s"`).
 */
export function sessionBinsParam(url: URL): SessionBins {
  const unitText = url.searchParams.get(`${PREFIX}TimeUnit`)
  const min = nonNegative(url, `${PREFIX}Min`)
  const max = nonNegative(url, `${PREFIX}Max`)
  const sizeGiven = nonNegative(url, `${PREFIX}Size`)
  const given = [unitText !== null && unitText !== '', min !== undefined, max !== undefined]
  if (given.every((g) => !g) && sizeGiven === undefined) return DEFAULT_SESSION_BINS
  if (!given.every((g) => g))
    throw queryError(
      `Invalid parameters ${PREFIX}TimeUnit/${PREFIX}Min/${PREFIX}Max: custom bins need all three`,
    )
  const unit = UNITS[unitText as string]
  if (unit === undefined)
    throw queryError(`Invalid parameter ${PREFIX}TimeUnit: expected hours, minutes or seconds`)
  const lo = min as number
  const hi = max as number
  if (hi <= lo)
    throw queryError(`Invalid parameter ${PREFIX}Max: must be greater than ${PREFIX}Min`)
  const size = sizeGiven ?? (hi - lo) / 10
  if (size <= 0) throw queryError(`Invalid parameter ${PREFIX}Size: must be positive`)
  const count = Math.ceil((hi - lo) / size - 1e-9)
  if (count > MAX_SESSION_BINS)
    throw queryError(`Invalid parameter ${PREFIX}Size: at most ${MAX_SESSION_BINS} bins`)
  const bins: SessionBin[] = []
  for (let k = 0; k < count; k++) {
    const from = lo + k * size
    const to = Math.min(lo + (k + 1) * size, hi)
    bins.push({
      minMs: Math.round(from * unit.ms),
      maxMs: Math.round(to * unit.ms),
      label: `${round(from)}${unit.suffix}-${round(to)}${unit.suffix}`,
    })
  }
  return { bins, clampLast: false }
}

function round(n: number): string {
  return String(Math.round(n * 1000) / 1000)
}

/** Parses one of the three sessions endpoints' parameters. */
export function sessionsQueryOf(
  url: URL,
  metric: SessionsQuery['metric'],
  project: { id: number; timeZone: string },
): SessionsQuery {
  const bins = metric === 'length' ? sessionBinsParam(url) : DEFAULT_SESSION_BINS
  return {
    projectId: project.id,
    metric,
    range: rangeParams(url, { timeZone: project.timeZone, intervals: ['day'] }),
    bins,
  }
}
