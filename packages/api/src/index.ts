/**
 * @module @ampkit/api: a typed, streaming client for Amplitude's query and export APIs (Export,
 * Dashboard REST, Behavioral Cohorts, User Privacy, User Profile, Taxonomy).
 */
export { AmplitudeApi, createAmplitudeApi } from './client.ts'
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
export { readZipStream, type ZipEntry, ZipFormatError } from './stream/zip-reader.ts'
