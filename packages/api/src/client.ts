/**
 * @module `createAmplitudeApi()`: the query and export client. One object per project; every method
 * shares its transport, so the concurrency limit (5 in flight, §1.4) holds across all of them.
 */
import type {
  CohortMembershipRequest,
  CohortMembershipResponse,
  CohortSummary,
  CohortUploadRequest,
  CohortUploadResponse,
  DashboardResponse,
  DeletionCancelResponse,
  DeletionJob,
  EventListEntry,
  ExportedEvent,
  FunnelSeries,
  RetentionData,
  RevenueLtvData,
  SegmentationData,
  TimeSeriesData,
  UserActivityResponse,
  UserProfileResponse,
  UserSearchResponse,
} from '@ampkit/protocol'
import {
  type CohortDownloadOptions,
  type CohortJob,
  type CohortMember,
  cohortFileBytes,
  listCohorts,
  parseCohortCsv,
  requestCohortFile,
  updateCohortMembership,
  uploadCohort,
} from './cohorts/cohort-api.ts'
import * as dashboard from './dashboard/dashboard-api.ts'
import type { DayInput } from './dashboard/params.ts'
import { type ExportOptions, exportEvents, exportLines, exportNdjson } from './export/export-api.ts'
import { Transport } from './http/transport.ts'
import { type ApiOptions, type ResolvedApiOptions, resolveApiOptions } from './options.ts'
import {
  cancelDeletion,
  type DeletionOptions,
  listDeletions,
  requestDeletions,
} from './privacy/privacy-api.ts'
import { getUserProfile, type UserProfileQuery } from './privacy/profile-api.ts'
import { type TaxonomyApi, taxonomyApi } from './taxonomy/taxonomy-api.ts'

export class AmplitudeApi {
  readonly #transport: Transport
  readonly #options: ResolvedApiOptions
  /** The Taxonomy API (§5.3): `events`, `eventProperties`, `userProperties`. */
  readonly taxonomy: TaxonomyApi

  constructor(options: ApiOptions) {
    this.#options = resolveApiOptions(options)
    this.#transport = new Transport(this.#options)
    this.taxonomy = taxonomyApi(this.#transport)
  }

  /** Requests holding one of the concurrency permits now, and requests waiting for one. */
  get pending(): { inFlight: number; queued: number } {
    return { inFlight: this.#transport.limiter.inFlight, queued: this.#transport.limiter.queued }
  }

  // --- Export API (§2) ---

  /** The events uploaded in `[start, end]` (UTC hours, inclusive), parsed, streamed as they arrive. */
  exportEvents(options: ExportOptions): AsyncGenerator<ExportedEvent> {
    return exportEvents(this.#transport, options)
  }

  /** The same events as raw NDJSON lines (Buffers without `\n`), not parsed. */
  exportLines(options: ExportOptions): AsyncGenerator<Buffer> {
    return exportLines(this.#transport, options)
  }

  /** The same events as whole-line NDJSON blocks (each ends with `\n`), for piping into a file. */
  exportNdjson(options: ExportOptions): AsyncGenerator<Buffer> {
    return exportNdjson(this.#transport, options)
  }

  // --- Dashboard REST (§3) ---

  /** `GET /api/2/events/segmentation`. */
  segmentation(query: dashboard.SegmentationQuery): Promise<DashboardResponse<SegmentationData>> {
    return dashboard.segmentation(this.#transport, query)
  }

  /** `GET /api/2/funnels`: one element per segment or group. */
  funnels(query: dashboard.FunnelQuery): Promise<DashboardResponse<FunnelSeries[]>> {
    return dashboard.funnels(this.#transport, query)
  }

  /** `GET /api/2/retention`. */
  retention(query: dashboard.RetentionQuery): Promise<DashboardResponse<RetentionData>> {
    return dashboard.retention(this.#transport, query)
  }

  /** `GET /api/2/users`: active or new users. */
  users(query: dashboard.UsersQuery): Promise<DashboardResponse<TimeSeriesData>> {
    return dashboard.users(this.#transport, query)
  }

  /** `GET /api/2/sessions/length`: the session length distribution. */
  sessionLength(query: dashboard.SessionLengthQuery): Promise<DashboardResponse<TimeSeriesData>> {
    return dashboard.sessionLength(this.#transport, query)
  }

  /** `GET /api/2/sessions/average`: average session length per day, in seconds. */
  sessionAverage(query: {
    start: DayInput
    end: DayInput
    signal?: AbortSignal
  }): Promise<DashboardResponse<TimeSeriesData>> {
    return dashboard.sessionAverage(this.#transport, query)
  }

  /** `GET /api/2/sessions/peruser`: average sessions per user per day. */
  sessionsPerUser(query: {
    start: DayInput
    end: DayInput
    signal?: AbortSignal
  }): Promise<DashboardResponse<TimeSeriesData>> {
    return dashboard.sessionsPerUser(this.#transport, query)
  }

  /** `GET /api/2/revenue/ltv`. */
  revenueLtv(query: dashboard.RevenueLtvQuery): Promise<DashboardResponse<RevenueLtvData>> {
    return dashboard.revenueLtv(this.#transport, query)
  }

  /** `GET /api/2/composition`: users per value of a property. */
  composition(query: dashboard.CompositionQuery): Promise<DashboardResponse<TimeSeriesData>> {
    return dashboard.composition(this.#transport, query)
  }

  /** `GET /api/2/events/list`: the project's visible event types with this week's totals. */
  eventsList(options?: dashboard.QueryOptions): Promise<DashboardResponse<EventListEntry[]>> {
    return dashboard.eventsList(this.#transport, options)
  }

  /** `GET /api/2/realtime`: active users per 5 minutes, today and yesterday. */
  realtime(options?: dashboard.QueryOptions): Promise<DashboardResponse<TimeSeriesData>> {
    return dashboard.realtime(this.#transport, options)
  }

  /** `GET /api/2/useractivity`: a user's profile summary and events. */
  userActivity(query: dashboard.UserActivityQuery): Promise<UserActivityResponse> {
    return dashboard.userActivity(this.#transport, query)
  }

  /** `GET /api/2/usersearch`: by Amplitude id, device id, user id or user id prefix. */
  userSearch(user: string, options?: dashboard.QueryOptions): Promise<UserSearchResponse> {
    return dashboard.userSearch(this.#transport, user, options)
  }

  /** `GET /api/3/chart/{id}/query`: a saved chart's result (segmentation shape by default). */
  chart<T = SegmentationData>(
    id: string | number,
    options?: dashboard.QueryOptions,
  ): Promise<DashboardResponse<T>> {
    return dashboard.chart<T>(this.#transport, id, options)
  }

  /** `GET /api/3/chart/{id}/csv`: a saved chart as CSV text. */
  chartCsv(id: string | number, options?: dashboard.QueryOptions): Promise<string> {
    return dashboard.chartCsv(this.#transport, id, options)
  }

  // --- Behavioral Cohorts (§4) ---

  /** `GET /api/3/cohorts` (`includeSyncInfo` adds `syncMetadata`). */
  listCohorts(options?: {
    includeSyncInfo?: boolean
    signal?: AbortSignal
  }): Promise<CohortSummary[]> {
    return listCohorts(this.#transport, options)
  }

  /**
   * Downloads a cohort's members: requests the file, polls the job with backoff until it completed
   * (429s while polling only slow it down), fetches the file (following the redirect) and parses the
   * CSV as it streams.
   */
  async *downloadCohort(
    cohortId: string,
    options: CohortDownloadOptions = {},
  ): AsyncGenerator<CohortMember> {
    const job = await this.requestCohortFile(cohortId, options)
    yield* parseCohortCsv(cohortFileBytes(this.#transport, job.requestId, options.signal))
  }

  /** The same download as raw CSV bytes (tab prefixes kept), e.g. to save the file. */
  async *downloadCohortCsv(
    cohortId: string,
    options: CohortDownloadOptions = {},
  ): AsyncGenerator<Uint8Array> {
    const job = await this.requestCohortFile(cohortId, options)
    yield* cohortFileBytes(this.#transport, job.requestId, options.signal)
  }

  /** Steps 1 and 2 of a download only: request, then poll until the job completed. */
  requestCohortFile(cohortId: string, options: CohortDownloadOptions = {}): Promise<CohortJob> {
    return requestCohortFile(this.#transport, this.#options, cohortId, options)
  }

  /** `POST /api/3/cohorts/upload`: creates (or replaces the members of) a static cohort. */
  uploadCohort(request: CohortUploadRequest, signal?: AbortSignal): Promise<CohortUploadResponse> {
    return uploadCohort(this.#transport, request, signal)
  }

  /** `POST /api/3/cohorts/membership`: adds and removes members. */
  updateCohortMembership(
    request: CohortMembershipRequest,
    signal?: AbortSignal,
  ): Promise<CohortMembershipResponse> {
    return updateCohortMembership(this.#transport, request, signal)
  }

  // --- Privacy and profiles (§5.1, §5.2) ---

  /** `POST /api/2/deletions/users`, 100 ids per request, one request per second. */
  requestDeletions(request: DeletionOptions): Promise<DeletionJob[]> {
    return requestDeletions(this.#transport, this.#options, request)
  }

  /** `GET /api/2/deletions/users`: the jobs scheduled between two days. */
  listDeletions(query: {
    startDay: Date | string
    endDay: Date | string
    signal?: AbortSignal
  }): Promise<DeletionJob[]> {
    return listDeletions(this.#transport, query)
  }

  /** `DELETE /api/2/deletions/users/{amplitudeId}/{day}`. */
  cancelDeletion(
    amplitudeId: number | string,
    day: Date | string,
    signal?: AbortSignal,
  ): Promise<DeletionCancelResponse> {
    return cancelDeletion(this.#transport, amplitudeId, day, signal)
  }

  /** The User Profile API; an unknown user is a `NotFoundError`. */
  getUserProfile(query: UserProfileQuery): Promise<UserProfileResponse> {
    return getUserProfile(this.#transport, query)
  }
}

/** Creates a client; throws a `ConfigError` naming a bad option. */
export function createAmplitudeApi(options: ApiOptions): AmplitudeApi {
  return new AmplitudeApi(options)
}
