/**
 * @module What a route handler receives: the request, and the server's parts it may use.
 */
import type { ExportOptions } from '../export/export-stream.ts'
import type { ProjectRegistry } from '../projects.ts'
import type { CohortResolver } from '../query/cohort-members.ts'
import type { RateLimiter } from '../rate-limiter.ts'
import type { Store } from '../store/store.ts'
import type { UserPropertyBudget } from '../store/user-property-budget.ts'

/** Per-request facts a handler reports back for the request log line. */
export interface RequestNotes {
  /** Events in an accepted or refused ingestion request, when the body was read. */
  events?: number
  /** The fault rule applied to the request, by kind. */
  fault?: string
}

/** Everything a route handler needs. */
export interface RouteContext {
  request: Request
  url: URL
  store: Store
  projects: ProjectRegistry
  /** The server clock, ms since the epoch. */
  now: () => number
  /** Deadline for a request body to arrive, in ms. */
  bodyTimeoutMs: number
  /**
   * Per-path rate limiters, the Batch daily quota and the user-property update budget; absent when
   * off.
   */
  limiters: {
    httpV2?: RateLimiter
    batch?: RateLimiter
    batchDailyQuota?: RateLimiter
    userProperties?: UserPropertyBudget
  }
  /** The client's address, when known (the node adapter passes it), for `ip: "$remote"`. */
  remoteAddress: string | undefined
  notes: RequestNotes
  /** Options of `/api/2/export` (the app's `export` option); absent means the defaults. */
  exportOptions?: ExportOptions
  /** Cohort members for `userdata_cohort` segments; absent when the server keeps no cohorts. */
  cohorts?: CohortResolver
}
