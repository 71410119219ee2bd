/**
 * @module The request side of Amplitude's Dashboard REST API (query-api.md §3): the JSON objects passed
 * URL-encoded in `e`, `s`, `se`, `re`, and the enumerated parameter values. The query client builds
 * these; the local server parses them. Names are Amplitude's wire names.
 */

/** Property filter operators (§3.1). `(none)` in `subprop_value` matches a missing/null value. */
export const FILTER_OPERATORS = [
  'is',
  'is not',
  'contains',
  'does not contain',
  'less',
  'less or equal',
  'greater',
  'greater or equal',
  'set is',
  'set is not',
] as const
export type FilterOperator = (typeof FILTER_OPERATORS)[number]

/** The label Amplitude gives a missing group-by value, and the filter value that matches one. */
export const NONE_VALUE = '(none)'

/**
 * Built-in user properties, addressed without the `gp:` prefix (§3.1). Custom user properties are
 * `gp:<name>`; event properties are bare names with `subprop_type: 'event'`.
 */
export const BUILTIN_USER_PROPERTIES = [
  'version',
  'country',
  'city',
  'region',
  'DMA',
  'language',
  'platform',
  'os',
  'device',
  'device_type',
  'start_version',
  'paying',
  'library',
] as const
export type BuiltinUserProperty = (typeof BUILTIN_USER_PROPERTIES)[number]

/** One property filter of an event object (§3.1). Filters of one event are AND-ed. */
export interface WireEventFilter {
  subprop_type: 'event' | 'user'
  /** Event property name, `gp:<custom user property>`, or a built-in user property. */
  subprop_key: string
  subprop_op: FilterOperator
  /** OR-ed for `is`/`contains`; the first value for numeric comparisons. */
  subprop_value: string[]
  /** Sent by newer clients (`"User"`); ignored. */
  group_type?: string
}

/** One group-by clause of an event object (§3.1); at most two per event. */
export interface WireGroupBy {
  type: 'event' | 'user'
  value: string
}

/**
 * Special event types (§3.1): `_active` any active event, `_all` any event, `_new` a user's first
 * event (retention start), `revenue_amount` any event carrying revenue.
 */
export const SPECIAL_EVENT_TYPES = [
  '_active',
  '_all',
  '_new',
  'revenue_amount',
  'verified_revenue',
  'unverified_revenue',
] as const

/** The event object of `e`, `e2`, `se`, `re` (§3.1). Custom event types may carry a `ce:` prefix. */
export interface WireEventObject {
  event_type: string
  filters?: WireEventFilter[]
  group_by?: WireGroupBy[]
}

/** A property condition of a segment (§3.2). `prop: 'userdata_cohort'` tests cohort membership. */
export interface WirePropertyCondition {
  prop: string
  op: FilterOperator
  values: string[]
}

/** Count comparisons of a "who performed" condition. */
export const PERFORMED_OPERATORS = ['>=', '<=', '=', '>', '<', '!='] as const
export type PerformedOperator = (typeof PERFORMED_OPERATORS)[number]

/** A "who performed" condition of a segment (§3.2). */
export interface WirePerformedCondition {
  type: 'event'
  event_type: string
  filters?: WireEventFilter[]
  op: PerformedOperator
  /** The event count compared with `op`. */
  value: number
  time_type: 'forEachInterval' | 'currentInterval' | 'allTime'
  /** Days, with `forEachInterval`. */
  time_value?: number
}

export type WireSegmentCondition = WirePropertyCondition | WirePerformedCondition

/** One segment: its conditions are AND-ed. The empty segment is "all users". */
export type WireSegment = WireSegmentCondition[]

/** Segmentation metrics (`m`, §3.3). */
export const SEGMENTATION_METRICS = [
  'uniques',
  'totals',
  'pct_dau',
  'average',
  'histogram',
  'sums',
  'value_avg',
  'formula',
] as const
export type SegmentationMetric = (typeof SEGMENTATION_METRICS)[number]

/**
 * Interval codes (`i`): 1 day, 7 week, 30 month, -3600000 hour (≤ 7 days), -300000 five minutes
 * (≤ 2 days).
 */
export const INTERVALS = [1, 7, 30, -3600000, -300000] as const
export type IntervalCode = (typeof INTERVALS)[number]

/** Funnel modes (§3.4). */
export const FUNNEL_MODES = ['ordered', 'unordered', 'sequential'] as const
export type FunnelMode = (typeof FUNNEL_MODES)[number]

/** Default funnel conversion window (`cs`), in seconds: 30 days. */
export const DEFAULT_CONVERSION_WINDOW_SECONDS = 2_592_000

/** Retention modes (`rm`, §3.5): N-day is the default, sent as no `rm` at all. */
export const RETENTION_MODES = ['n-day', 'rolling', 'bracket'] as const
export type RetentionMode = (typeof RETENTION_MODES)[number]

/** Default and maximum number of group-by values returned (`limit`). */
export const DEFAULT_GROUP_LIMIT = 100
export const MAX_GROUP_LIMIT = 1000

/** Longest ranges per interval, in days (§3.3). */
export const MAX_RANGE_DAYS = { daily: 365, hourly: 7, realtime: 2 } as const
