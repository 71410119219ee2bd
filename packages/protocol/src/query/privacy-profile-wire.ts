/** @module User Privacy API (query-api.md §5.2) and User Profile API (§5.1) shapes. */

/** `POST /api/2/deletions/users` body. */
export interface DeletionRequest {
  amplitude_ids?: (number | string)[]
  user_ids?: string[]
  requester?: string
  /** `false` → 400 on any unknown id; `true` → 200 with `invalid_ids`. @default false */
  ignore_invalid_id?: boolean
  delete_from_org?: boolean
  include_mapped_user_ids?: boolean
}

export type DeletionStatus = 'staging' | 'submitted' | 'done'

/** One deletion job (a day's batch). */
export interface DeletionJob {
  /** `YYYY-MM-DD`. */
  day: string
  status: DeletionStatus
  amplitude_ids: { amplitude_id: number; requester: string | null; requested_on_day: string }[]
  app?: number
  invalid_ids?: string[]
  active_scrub_done_date?: string | null
}

/** `DELETE /api/2/deletions/users/{amplitude_id}/{day}` answer. */
export interface DeletionCancelResponse {
  amplitude_id: number
  requested_on_day: string
  requester: string | null
}

/** `GET /v1/userprofile` answer (§5.1). */
export interface UserProfileResponse {
  userData: {
    user_id: string | null
    device_id: string | null
    recommendations: unknown[] | null
    amp_props: Record<string, unknown> | null
    cohort_ids: string[] | null
    [key: string]: unknown
  }
}
