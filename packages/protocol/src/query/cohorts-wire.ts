/** @module Behavioral Cohorts API shapes (query-api.md §4). */

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
