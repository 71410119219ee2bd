/**
 * @module User Search and User Activity answers (query-api.md §3.7, §3.8), and the Taxonomy API's user
 * property record (§5.3). Unknown extra keys are allowed: real answers carry more than the doc lists.
 */

/** One match of `GET /api/2/usersearch`. */
export interface UserSearchMatch {
  user_id: string | null
  amplitude_id: number
  last_device_id?: string | null
  country?: string | null
  last_seen?: string | null
  [key: string]: unknown
}

/** `GET /api/2/usersearch`: no match is 200 `{"type":"nomatch","matches":[]}`. */
export interface UserSearchResponse {
  /** `match_user_or_device_id`, `nomatch`, others [unconfirmed]. */
  type: string
  matches: UserSearchMatch[]
}

/** `userData` of `GET /api/2/useractivity`. */
export interface UserActivityUserData {
  user_id: string | null
  canonical_amplitude_id: number
  merged_amplitude_ids: number[]
  num_events: number
  num_sessions: number
  /** Milliseconds. */
  usage_time: number
  first_used: string | null
  last_used: string | null
  device_ids?: string[]
  properties?: Record<string, unknown>
  [key: string]: unknown
}

/** `GET /api/2/useractivity`: the user and their events, newest first by default. */
export interface UserActivityResponse {
  userData: UserActivityUserData
  /** Event objects resembling export records [unconfirmed]. */
  events: Record<string, unknown>[]
  metadata?: Record<string, unknown>
}

/** A user property as `GET /api/2/taxonomy/user-property` lists it (custom ones with `gp:`). */
export interface TaxonomyUserPropertyRecord {
  user_property: string
  description?: string | null
  type?: string | null
  regex?: string | null
  enum_values?: string | readonly (string | number)[] | null
  is_array_type?: boolean | string | null
  [key: string]: unknown
}
