/**
 * @module The typed query representation shared by every Dashboard REST endpoint of the local server.
 * `params.ts` parses Amplitude's wire parameters into it; each engine compiles it to DuckDB SQL, and
 * the pure reference evaluators of `reference/` compute the same answers over in-memory events (the
 * test oracle). Everything here is plain data, so a query can be logged, compared and generated.
 */
import type { FilterOperator, PerformedOperator } from '@ampkit/protocol'

/**
 * Event columns a built-in user property reads (Amplitude's names on the left of
 * `BUILTIN_PROPERTY_COLUMNS`). Each is a typed column of `events`, or a key of its `extra` JSON.
 */
export type BuiltinColumn =
  | 'platform'
  | 'os_name'
  | 'os_version'
  | 'device_model'
  | 'country'
  | 'region'
  | 'city'
  | 'language'
  | 'version_name'

/** Where a property's value comes from, for one event. */
export type PropertyRef =
  /** A key of the event's `event_properties`. */
  | { scope: 'event'; key: string }
  /** A custom user property (`gp:<key>`), as of the event (`user_properties` stored with it). */
  | { scope: 'user'; key: string }
  /** A built-in user property kept in a typed column of the event. */
  | { scope: 'column'; column: BuiltinColumn }
  /** A built-in user property kept in the event's `extra` JSON (`dma`, `library`, …). */
  | { scope: 'extra'; key: string }

/**
 * One property filter. Semantics (query-api.md §3.1, conventional where unconfirmed): a property's
 * values are its element string forms for an array, its string form otherwise, none when missing or
 * null. `is` = some value equals some listed value (`(none)` also matches no value); `contains` = some
 * value contains some listed value, case-insensitively; the numeric operators compare each value that
 * parses as a number with the first listed value; `set is` = the value set equals the listed set.
 * Each `… not` operator is the negation of its positive.
 */
export interface PropertyFilter {
  property: PropertyRef
  op: FilterOperator
  values: readonly string[]
}

/** Which events an event object selects. */
export interface EventSelector {
  /**
   * A concrete event type (the `ce:` prefix already removed), or a special: `_all` any event,
   * `_active` any active event, `_new` a user's first-ever event, `revenue_amount` any event with
   * revenue.
   */
  eventType: string
  /** AND-ed. */
  filters: readonly PropertyFilter[]
  /** The event object's `group_by` (segmentation's property metrics read their property here). */
  groupBy: readonly PropertyRef[]
}

/** How a "who performed" condition counts (query-api.md §3.2). */
export type PerformedWindow =
  /** All of the user's events. */
  | { kind: 'allTime' }
  /** The events inside the query's whole range. */
  | { kind: 'currentInterval' }
  /** The events inside the same interval bucket as the event being segmented. */
  | { kind: 'forEachInterval' }

/** One condition of a segment; a segment's conditions are AND-ed. */
export type SegmentCondition =
  /** A property of the event's user (or of the event), as of the event. */
  | { kind: 'property'; filter: PropertyFilter }
  /** Membership of the event's user in any of these cohorts (resolved to user keys first). */
  | { kind: 'cohort'; cohortIds: readonly string[]; negate: boolean }
  /** The user performed `event` a number of times that satisfies `op count`. */
  | {
      kind: 'performed'
      event: EventSelector
      op: PerformedOperator
      count: number
      window: PerformedWindow
    }

/** A segment: AND of its conditions; no conditions = all users. */
export interface Segment {
  conditions: readonly SegmentCondition[]
}

/** Interval buckets (`i`). Weeks start on Monday (unconfirmed: Amplitude has a project setting). */
export type Interval = 'day' | 'week' | 'month' | 'hour' | 'minute5'

/**
 * The days a query covers, inclusive, as local dates of `timeZone`; buckets are cut in that zone.
 * `startMs`/`endMs` bound event time: `[local midnight of startDay, local midnight after endDay)`.
 */
export interface QueryRange {
  startDay: string
  endDay: string
  timeZone: string
  interval: Interval
  startMs: number
  endMs: number
}

/** Cohort members by cohort id, resolved before a query runs (SQL and reference alike). */
export type CohortMembers = ReadonlyMap<string, ReadonlySet<number>>
