/**
 * @module The JSON shapes Amplitude's ingestion APIs exchange (../shared/spec/ingestion-api.md).
 * Wire names (`user_id`, `insert_id`) live here; nothing else defines them.
 */

/** A property value Amplitude accepts: scalars, arrays and nested objects. */
export type PropertyValue =
  | string
  | number
  | boolean
  | null
  | readonly PropertyValue[]
  | { readonly [key: string]: PropertyValue }

/** A bag of event, user or group properties. */
export type Properties = { [key: string]: PropertyValue }

/** The user-property operations, in the order the server applies them within one identify. */
export const IDENTIFY_OPERATIONS = [
  '$clearAll',
  '$unset',
  '$set',
  '$setOnce',
  '$add',
  '$append',
  '$prepend',
  '$preInsert',
  '$postInsert',
  '$remove',
] as const

/** One user-property operation key. */
export type IdentifyOperation = (typeof IDENTIFY_OPERATIONS)[number]

/** `user_properties` of an `$identify` event: operation → property → value. */
export type IdentifyPayload = { [op in IdentifyOperation]?: Properties }

/** The event-type of an identify event. */
export const IDENTIFY_EVENT_TYPE = '$identify'
/** The event-type of a group identify event. */
export const GROUP_IDENTIFY_EVENT_TYPE = '$groupidentify'
/** The event-type the SDKs give a revenue event. */
export const REVENUE_EVENT_TYPE = 'revenue_amount'

/** An event as sent in `events` of HTTP V2 and Batch requests. */
export interface WireEvent {
  event_type: string
  user_id?: string | undefined
  device_id?: string | undefined
  /** Milliseconds since the epoch. */
  time?: number | undefined
  event_properties?: Properties | undefined
  user_properties?: Properties | IdentifyPayload | undefined
  groups?: { [groupType: string]: string | string[] } | undefined
  group_properties?: Properties | IdentifyPayload | undefined
  $skip_user_properties_sync?: boolean | undefined
  app_version?: string | undefined
  platform?: string | undefined
  os_name?: string | undefined
  os_version?: string | undefined
  device_brand?: string | undefined
  device_manufacturer?: string | undefined
  device_model?: string | undefined
  carrier?: string | undefined
  country?: string | undefined
  region?: string | undefined
  city?: string | undefined
  dma?: string | undefined
  language?: string | undefined
  price?: number | undefined
  quantity?: number | undefined
  revenue?: number | undefined
  productId?: string | undefined
  revenueType?: string | undefined
  currency?: string | undefined
  location_lat?: number | undefined
  location_lng?: number | undefined
  ip?: string | undefined
  idfa?: string | undefined
  idfv?: string | undefined
  adid?: string | undefined
  android_id?: string | undefined
  android_app_set_id?: string | undefined
  event_id?: number | undefined
  /** Session start in ms; -1 means no session. */
  session_id?: number | undefined
  insert_id?: string | undefined
  plan?: { branch?: string; source?: string; version?: string; versionId?: string } | undefined
  ingestion_metadata?: { source_name?: string; source_version?: string } | undefined
  partner_id?: string | undefined
  library?: string | undefined
  user_agent?: string | undefined
  version_name?: string | undefined
  [extra: string]: unknown
}

/** The body of a HTTP V2 or Batch request. */
export interface UploadRequestBody {
  api_key: string
  events: WireEvent[]
  options?: { min_id_length?: number }
  client_upload_time?: string
}

/** Index lists by field name, 0-based positions in `events`. */
export type IndexMap = { [field: string]: number[] }

/** 200 body of HTTP V2 and Batch. */
export interface SuccessBody {
  code: 200
  events_ingested: number
  payload_size_bytes: number
  server_upload_time: number
}

/** 400 body: every key but `code` and `error` is optional. */
export interface InvalidRequestBody {
  code: 400
  error: string
  missing_field?: string
  events_with_invalid_fields?: IndexMap
  events_with_missing_fields?: IndexMap
  events_with_invalid_id_lengths?: IndexMap
  eps_threshold?: number
  silenced_devices?: string[]
  silenced_events?: number[]
  throttled_devices?: { [deviceId: string]: number }
  throttled_events?: number[]
  exceeded_daily_quota_devices?: { [deviceId: string]: number }
}

/** 413 body. */
export interface PayloadTooLargeBody {
  code: 413
  error: string
}

/** 429 body (Batch adds the daily-quota maps). */
export interface TooManyRequestsBody {
  code: 429
  error: string
  eps_threshold: number
  throttled_devices?: { [deviceId: string]: number }
  throttled_users?: { [userId: string]: number }
  throttled_events?: number[]
  exceeded_daily_quota_users?: { [userId: string]: number }
  exceeded_daily_quota_devices?: { [deviceId: string]: number }
}

/** Any JSON body HTTP V2 or Batch answers with; `code` is always the HTTP status. */
export type ResponseBody =
  | SuccessBody
  | InvalidRequestBody
  | PayloadTooLargeBody
  | TooManyRequestsBody
  | { code: number; error: string }

/** One object of the Identify API's `identification`. */
export interface Identification {
  user_id?: string
  device_id?: string
  user_properties?: Properties | IdentifyPayload
  groups?: { [groupType: string]: string | string[] }
  [extra: string]: unknown
}

/** One object of the Group Identify API's `identification`. */
export interface GroupIdentification {
  group_type: string
  group_value: string
  group_properties: Properties | IdentifyPayload
}
