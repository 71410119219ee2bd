/**
 * @module The typed funnel query (`GET /api/2/funnels`, query-api.md §3.4) and its parsing from the
 * wire parameters. The semantics both engines (`sql.ts`, `reference.ts`) implement are
 * analytics-semantics.md §1.3; the choices the spec leaves open are written here once:
 *
 * - **Time resolution 1 s** (rule 7): event times are floored to whole seconds. A user's events are
 *   ordered by (second, append order): Amplitude may take events of one second "in either order"; we
 *   take them in the order they were stored, which for SDK traffic is the order they happened. A path
 *   uses distinct events, each strictly after the previous one in that order, so a step repeated in a
 *   funnel (`A → A`) needs two events.
 * - **Window** (rule 2): `t_k − t_1 <= cs` in whole seconds, from the entry (step-1) event; later steps
 *   may fall after `end`. Unordered mode rounds `cs` down to whole days, and never below one day
 *   (unconfirmed: a zero-day window would only ever match steps in the entry's own second).
 * - **ordered**: steps in order, other events allowed between; greedy earliest is exact.
 * - **sequential**: in order, and every event of the user strictly between two consecutive steps must
 *   share its second with one of them (the spec's "events in the same second as a step are
 *   tolerated"). Events that never make a user active (`$identify`, session markers) are invisible in
 *   this mode: they neither break a sequence nor fill a step (unconfirmed).
 * - **unordered**: step k is reached from an entry when steps 2..k can each be given a distinct event
 *   (other than the entry) within `[t_1, t_1 + window]` (seconds), in any order.
 * - **Step times** (for the transition times): step k's time is the earliest second at which the user,
 *   from the counted entry, can have completed steps 1..k. For ordered funnels that is the greedy path.
 * - **Uniques**: per (segment, group, user) the entry that reaches the furthest step, the earliest such
 *   entry on ties; segments and the group-by are judged on the entry event only (rule 1), so a user can
 *   count in several groups. `n=new` keeps users whose first-ever event lies inside `[start, end]`.
 * - **dayFunnels** (rule 9): per entry bucket, each user's best entry of that bucket;
 *   `dayMedianTransTimes`/`dayAvgTransTimes` take the transition times of that same path.
 * - **Histograms** (`stepTransTimeDistribution`, `stepPrevStepCountDistribution`): over the counted
 *   paths; their bins and counting are ours (unconfirmed), see `distribution.ts`.
 * - **Counting**: uniques only. The spec's rule 4 describes a "totals" counting, but query-api.md
 *   §3.4 defines no wire parameter that asks for it, so there is nothing to select it by.
 */
import { DEFAULT_CONVERSION_WINDOW_SECONDS, FUNNEL_MODES, type FunnelMode } from '@ampkit/protocol'
import type { EventSelector, PropertyRef, QueryRange, Segment } from '../ir.ts'
import {
  choiceParam,
  eventSelectorOf,
  groupByParam,
  integerParam,
  limitParam,
  queryError,
  rangeParams,
  segmentsParam,
} from '../params.ts'

export const DAY_SECONDS = 86_400
/** Longest conversion window (`cs`), in seconds: 366 days (analytics-semantics.md §1.3). */
export const MAX_CONVERSION_WINDOW_SECONDS = 366 * DAY_SECONDS
/**
 * Most steps a funnel may have. Unconfirmed (Amplitude's own cap is not documented here); it bounds
 * the SQL, whose size grows with the steps (and, in unordered mode, with overlapping steps).
 */
export const MAX_FUNNEL_STEPS = 20
/** Most steps of an unordered funnel (its SQL enumerates subsets of overlapping steps). */
export const MAX_UNORDERED_STEPS = 10

/** Who may enter the funnel (`n`). */
export type FunnelUsers = 'active' | 'new'

/** One funnel query. */
export interface FunnelQuery {
  /** The steps, in order (at least one). */
  steps: readonly EventSelector[]
  /** @default 'ordered' */
  mode: FunnelMode
  /** @default 'active' */
  users: FunnelUsers
  /** Conversion window as sent (`cs`), in seconds. @default 2,592,000 (30 days) */
  conversionWindowSeconds: number
  /** Range of entry times, and the interval of the `dayFunnels` buckets. */
  range: QueryRange
  /** One result per segment; `[{ conditions: [] }]` for all users. */
  segments: readonly Segment[]
  /** A user-property group-by judged on the entry event, or none. */
  groupBy: PropertyRef | undefined
  /** Groups returned per segment, the largest first. @default 100 */
  limit: number
}

/** The window the engines apply, in seconds: `cs`, or whole days of it in unordered mode. */
export function effectiveWindowSeconds(query: FunnelQuery): number {
  if (query.mode !== 'unordered') return query.conversionWindowSeconds
  return Math.max(1, Math.floor(query.conversionWindowSeconds / DAY_SECONDS)) * DAY_SECONDS
}

/** The step names of the answer (`events`). */
export function stepNames(query: FunnelQuery): string[] {
  return query.steps.map((step) => step.eventType)
}

function stepsParam(url: URL): EventSelector[] {
  const texts = url.searchParams.getAll('e').filter((text) => text !== '')
  // One step is a funnel of its entries alone; Amplitude's UI asks for two, the API doc only for "one
  // event object per step", so one is accepted and none is the error.
  if (texts.length === 0) throw queryError('Missing required parameter: e (one per funnel step)')
  if (texts.length > MAX_FUNNEL_STEPS)
    throw queryError(`Invalid parameter e: at most ${MAX_FUNNEL_STEPS} steps`)
  return texts.map((text, index) => {
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch {
      throw queryError(`Invalid parameter e (step ${index + 1}): not valid JSON`)
    }
    return eventSelectorOf(raw, `e (step ${index + 1})`)
  })
}

/** Parses the wire parameters of `/api/2/funnels`; a bad one is a 400 naming it. */
export function parseFunnelQuery(url: URL, timeZone: string): FunnelQuery {
  const steps = stepsParam(url)
  const mode = choiceParam(url, 'mode', FUNNEL_MODES, 'ordered')
  if (mode === 'unordered' && steps.length > MAX_UNORDERED_STEPS)
    throw queryError(
      `Invalid parameter e: unordered funnels take at most ${MAX_UNORDERED_STEPS} steps`,
    )
  const segments = segmentsParam(url)
  const groupBy = groupByParam(url, 'g')
  // query-api.md §3.2: `g` only with a single segment (as retention and segmentation answer).
  if (groupBy !== undefined && segments.length > 1)
    throw queryError('Invalid parameter g: a group-by takes a single segment')
  return {
    steps,
    mode,
    users: choiceParam(url, 'n', ['active', 'new'] as const, 'active'),
    conversionWindowSeconds: integerParam(
      url,
      'cs',
      DEFAULT_CONVERSION_WINDOW_SECONDS,
      1,
      MAX_CONVERSION_WINDOW_SECONDS,
    ),
    range: rangeParams(url, { timeZone }),
    segments,
    groupBy,
    limit: limitParam(url),
  }
}
