/**
 * @module @ampkit/api: a typed, streaming client for Amplitude's query and export APIs (Export,
 * Dashboard REST, Behavioral Cohorts, User Privacy, User Profile, Taxonomy).
 */
export { AmplitudeApi, createAmplitudeApi } from './client.ts'
export {
  type CohortDownloadOptions,
  type CohortJob,
  type CohortMember,
  parseCohortCsv,
} from './cohorts/cohort-api.ts'
export { CsvParser, csvRows } from './cohorts/csv.ts'
export type {
  CompositionQuery,
  FunnelQuery,
  QueryOptions,
  RetentionQuery,
  RevenueLtvQuery,
  SegmentationQuery,
  SessionLengthQuery,
  UserActivityQuery,
  UsersQuery,
} from './dashboard/dashboard-api.ts'
export type { DayInput, EventInput } from './dashboard/params.ts'
export { pointValue, seriesLabelParts, seriesValues } from './dashboard/series.ts'
export {
  AbortedError,
  AmplitudeApiError,
  AuthError,
  BadRequestError,
  ConfigError,
  ConflictError,
  NetworkError,
  NotFoundError,
  ParameterError,
  ProtocolError,
  RateLimitError,
  type RequestContext,
  ServerError,
  TimeoutError,
} from './errors.ts'
export {
  type ExportFile,
  type ExportOptions,
  type ExportProgress,
  exportRanges,
  MAX_EXPORT_RANGE_HOURS,
} from './export/export-api.ts'
export {
  type ClassifyContext,
  classify,
  type FailReason,
  type Outcome,
  parseRetryAfterMs,
  type Verdict,
} from './http/classify.ts'
export {
  API_BASE_URLS,
  type ApiHooks,
  type ApiOptions,
  type ApiZone,
  type FetchLike,
  PROFILE_API_BASE_URL,
  type ResolvedApiOptions,
  type RetryOptions,
  resolveApiOptions,
} from './options.ts'
export {
  type DeletionOptions,
  MAX_DELETION_IDS_PER_REQUEST,
} from './privacy/privacy-api.ts'
export type { UserProfileQuery } from './privacy/profile-api.ts'
export { readZipStream, type ZipEntry, ZipFormatError } from './stream/zip-reader.ts'
export type {
  TaxonomyApi,
  TaxonomyEventFields,
  TaxonomyFieldValue,
  TaxonomyPropertyFields,
  TaxonomyResource,
} from './taxonomy/taxonomy-api.ts'
