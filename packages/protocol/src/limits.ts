/**
 * @module Amplitude's ingestion limits as named constants (../shared/spec/ingestion-api.md §2, §6).
 * Every size carries its unit; every number cites the rule it comes from.
 */

/** Events per HTTP V2 or Batch request; more is answered 413. */
export const MAX_EVENTS_PER_REQUEST = 2000

/** HTTP V2 request body limit in bytes (1 MB), counted on the decompressed JSON; more is 413. */
export const MAX_HTTP_V2_REQUEST_BYTES = 1_000_000

/** Batch API request body limit in bytes (20 MB of serialized JSON); more is 413. */
export const MAX_BATCH_REQUEST_BYTES = 20_000_000

/** Group Identify request limit in bytes (1 MB). */
export const MAX_GROUP_IDENTIFY_REQUEST_BYTES = 1_000_000

/**
 * Identify and Attribution bodies. The spec gives no number; 1 MB matches Group Identify and keeps the
 * server's memory bounded (unconfirmed).
 */
export const MAX_IDENTIFY_REQUEST_BYTES = 1_000_000

/** Identifications per Group Identify request. */
export const MAX_GROUP_IDENTIFICATIONS_PER_REQUEST = 1024

/** Every string value is truncated to this many characters (not rejected). */
export const MAX_STRING_LENGTH = 1024

/** Property objects nest at most this deep. */
export const MAX_PROPERTY_DEPTH = 40

/** Default minimum length of `user_id` and `device_id`; `options.min_id_length` overrides it. */
export const DEFAULT_MIN_ID_LENGTH = 5

/** Group types and values per event; the excess is dropped. */
export const MAX_GROUP_TYPES_PER_EVENT = 5
export const MAX_GROUP_VALUES_PER_TYPE = 10

/** insert_id de-duplication window, in ms (7 days). */
export const DEDUP_WINDOW_MS = 7 * 24 * 60 * 60 * 1000

/** Per user or device events-per-second limits, averaged over a recent window. */
export const HTTP_V2_EPS_LIMIT = 30
export const BATCH_EPS_LIMIT = 1000

/** Window over which the per-user/device rate is averaged, in ms (Batch: EPDS/EPUS over 30 s). */
export const EPS_WINDOW_MS = 30_000

/** Rolling daily quota for a spam-flagged user or device on the Batch API. */
export const BATCH_DAILY_QUOTA_EVENTS = 500_000

/** Advised wait after a 429 for a throttled user or device, in ms (HTTP V2: 30 s). */
export const THROTTLED_RETRY_AFTER_MS = 30_000

/** Value of `session_id` for an event outside any session. */
export const NO_SESSION_ID = -1

/** Production ingestion endpoints by zone. */
export const SERVER_URLS = {
  US: { httpV2: 'https://api2.amplitude.com/2/httpapi', batch: 'https://api2.amplitude.com/batch' },
  EU: {
    httpV2: 'https://api.eu.amplitude.com/2/httpapi',
    batch: 'https://api.eu.amplitude.com/batch',
  },
} as const

/** A server zone, as the official SDKs spell it. */
export type ServerZone = keyof typeof SERVER_URLS
