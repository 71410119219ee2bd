/** @module Behavioral Cohorts API shapes (query-api.md §4). */
import type { FilterOperator, PerformedOperator, WireEventFilter } from './dashboard-params.ts'

/** One cohort of `GET /api/3/cohorts` (§4.1); unknown extra keys are allowed. */
export interface CohortSummary {
  appId: number
  id: string
  name: string
  description: string | null
  archived: boolean
  published: boolean
  hidden?: boolean
  finished?: boolean
  size: number
  type: string
  /** Opaque definition; ampkit's behavioral cohorts carry their `CohortDefinition` here. */
  definition: unknown
  owners: string[]
  viewers: string[]
  /** Epoch seconds. */
  lastComputed: number
  lastMod?: number
  createdAt?: number
  [key: string]: unknown
}

/** `GET /api/3/cohorts`. */
export interface CohortListResponse {
  cohorts: CohortSummary[]
}

/** `GET /api/5/cohorts/request/{id}` → 202. */
export interface CohortRequestResponse {
  request_id: string
  cohort_id: string
}

/** Job states; the spec confirms the two with a space, the rest are [unconfirmed]. */
export type CohortJobStatus = 'JOB INPROGRESS' | 'JOB COMPLETED' | 'JOB ENQUEUED' | 'JOB FAILED'

/** `GET /api/5/cohorts/request-status/{request_id}`: 202 while running, 200 when done. */
export interface CohortStatusResponse {
  request_id: string
  cohort_id: string
  async_status: CohortJobStatus | string
}

/** `POST /api/3/cohorts/upload` body (§4.3). */
export interface CohortUploadRequest {
  name: string
  app_id: number
  id_type: 'BY_AMP_ID' | 'BY_USER_ID'
  ids: string[]
  owner: string
  published: boolean
  cg?: string
  /** Validate only. @default false */
  skip_save?: boolean
  /** `false` aborts on any invalid id. @default true */
  skip_invalid_ids?: boolean
  /** Replace the membership of this cohort. */
  existing_cohort_id?: string
}

/** `POST /api/3/cohorts/upload` answer. */
export interface CohortUploadResponse {
  cohortId: string
  metadata: { matched: number; totals: number; invalid_ids_sample: string[] }
}

/** One membership change of `POST /api/3/cohorts/membership` (§4.4). */
export interface CohortMembershipChange {
  ids: string[]
  /** For the User count group: `BY_ID` = Amplitude id, `BY_NAME` = user id. */
  id_type: 'BY_ID' | 'BY_NAME'
  operation: 'ADD' | 'REMOVE'
}

export interface CohortMembershipRequest {
  cohort_id: string
  count_group: string
  skip_invalid_ids?: boolean
  memberships: CohortMembershipChange[]
}

export interface CohortMembershipResponse {
  cohort_id: string
  memberships_result: { skipped_ids: string[]; id_type: string; operation: string }[]
}

/** The error body of the cohort endpoints (§4.3). */
export interface CohortErrorBody {
  error: { http_code: number; type: string; message: string; metadata?: Record<string, unknown> }
}

/** The tab prefix Amplitude puts on CSV string cells and headers (§4.2). */
export const COHORT_CSV_CELL_PREFIX = '\t'

/**
 * A time window of a behavioral cohort condition: `between` two UTC calendar days (inclusive,
 * `YYYY-MM-DD`), or the `last_days` rolling days before the computation (`[now − days·24 h, now]`).
 */
export type CohortTimeWindow =
  | { type: 'between'; start: string; end: string }
  | { type: 'last_days'; days: number }

/** "Performed event E (with filters) `op` `count` times within `window`" (analytics-semantics §1.5). */
export interface CohortPerformedCondition {
  type: 'performed'
  /** An event type (`ce:` prefix optional) or `_all` (any event). */
  event_type: string
  /** Event and user property filters, AND-ed (the `e` filters of query-api.md §3.1). */
  filters?: WireEventFilter[]
  op: PerformedOperator
  /** A non-negative integer; `op` may admit 0 (`< 1`), which users with no events satisfy. */
  count: number
  window: CohortTimeWindow
}

/**
 * "Had user property `key` `op` `values`": `most_recent` reads the value on the user's latest event
 * (a missing value compares as 0 numerically, Amplitude's rule); `any_time` holds when any event in
 * `window` carried a matching value. `key` is `gp:<custom>`, a built-in user property (`country`,
 * …), or a bare name that is not built in (read as custom). Operators and values follow the Dashboard
 * filters (query-api.md §3.1).
 */
export interface CohortPropertyCondition {
  type: 'property'
  key: string
  op: FilterOperator
  values: string[]
  mode: 'most_recent' | 'any_time'
  /** Required with `any_time`. */
  window?: CohortTimeWindow
}

/** "Is in cohort `cohort_id`" (a static or another behavioral cohort; cycles are refused). */
export interface CohortInCohortCondition {
  type: 'in_cohort'
  cohort_id: string
}

/** A behavioral cohort condition tree: AND/OR over conditions, NOT of one. */
export type CohortCondition =
  | { type: 'and'; conditions: CohortCondition[] }
  | { type: 'or'; conditions: CohortCondition[] }
  | { type: 'not'; condition: CohortCondition }
  | CohortPerformedCondition
  | CohortPropertyCondition
  | CohortInCohortCondition

/** An ampkit behavioral cohort definition (the `definition` of its `CohortSummary`). */
export interface CohortDefinition {
  version: 1
  condition: CohortCondition
  /**
   * A group type (e.g. `company`): the cohort's members are that type's group values, and each
   * condition counts the events that carried a value under the type. @default users
   */
  count_group?: string
}

/** `POST /api/3/cohorts/ampkit/behavioral` body (create); `PUT …/behavioral/{id}` redefines. */
export interface BehavioralCohortRequest {
  name: string
  description?: string
  owner?: string
  published?: boolean
  definition: CohortDefinition
}
