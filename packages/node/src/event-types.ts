/**
 * @module The event, option and result shapes of `@amplitude/analytics-node`, by the same names, so
 * code typed against it compiles unchanged. Amplitude's TS enums are `as const` objects here
 * (erasableSyntaxOnly); their values are the same strings.
 */

/** A tracking plan, Amplitude-internal. */
export interface Plan {
  branch?: string
  source?: string
  version?: string
  versionId?: string
}

/** Ingestion metadata as an option (camelCase). */
export interface IngestionMetadata {
  sourceName?: string
  sourceVersion?: string
}

/** Ingestion metadata as an event field (snake_case). */
export interface IngestionMetadataEventProperty {
  source_name?: string
  source_version?: string
}

/** Fields that can be set on any event, e.g. as the last argument of `track()`. */
export interface EventOptions {
  user_id?: string
  device_id?: string
  /** Milliseconds since the epoch. */
  time?: number
  location_lat?: number
  location_lng?: number
  app_version?: string
  version_name?: string
  library?: string
  platform?: string
  os_name?: string
  os_version?: string
  device_brand?: string
  device_manufacturer?: string
  device_model?: string
  carrier?: string
  country?: string
  region?: string
  city?: string
  dma?: string
  idfa?: string
  idfv?: string
  adid?: string
  android_id?: string
  language?: string
  ip?: string
  price?: number
  quantity?: number
  revenue?: number
  receipt?: string
  receiptSig?: string
  productId?: string
  revenueType?: string
  currency?: string
  event_id?: number
  /** Session start in ms; `-1` keeps this event out of any session. */
  session_id?: number
  insert_id?: string
  plan?: Plan
  ingestion_metadata?: IngestionMetadataEventProperty
  partner_id?: string
  user_agent?: string
  android_app_set_id?: string
  // biome-ignore lint/suspicious/noExplicitAny: the official type uses `any` here; kept for drop-in typing
  extra?: { [key: string]: any }
  // biome-ignore lint/suspicious/noExplicitAny: as above
  groups?: { [key: string]: any } | undefined
}

/** An event as `track(event)` takes it. */
export interface BaseEvent extends EventOptions {
  event_type: string
  // biome-ignore lint/suspicious/noExplicitAny: as above
  event_properties?: { [key: string]: any } | undefined
  // biome-ignore lint/suspicious/noExplicitAny: as above
  user_properties?: { [key: string]: any } | undefined
  // biome-ignore lint/suspicious/noExplicitAny: as above
  group_properties?: { [key: string]: any } | undefined
}

/** The user-property operations, as Amplitude's `IdentifyOperation` enum. */
export const IdentifyOperation = {
  SET: '$set',
  SET_ONCE: '$setOnce',
  ADD: '$add',
  APPEND: '$append',
  PREPEND: '$prepend',
  REMOVE: '$remove',
  PREINSERT: '$preInsert',
  POSTINSERT: '$postInsert',
  UNSET: '$unset',
  CLEAR_ALL: '$clearAll',
} as const
/** One user-property operation. */
export type IdentifyOperation = (typeof IdentifyOperation)[keyof typeof IdentifyOperation]

/** Event types with a special meaning, as Amplitude's `SpecialEventType` enum. */
export const SpecialEventType = {
  IDENTIFY: '$identify',
  GROUP_IDENTIFY: '$groupidentify',
  REVENUE: 'revenue_amount',
} as const
/** One special event type. */
export type SpecialEventType = (typeof SpecialEventType)[keyof typeof SpecialEventType]

/** Revenue event property names, as Amplitude's `RevenueProperty` enum. */
export const RevenueProperty = {
  REVENUE_PRODUCT_ID: '$productId',
  REVENUE_QUANTITY: '$quantity',
  REVENUE_PRICE: '$price',
  REVENUE_TYPE: '$revenueType',
  REVENUE_CURRENCY: '$currency',
  REVENUE: '$revenue',
  RECEIPT: '$receipt',
  RECEIPT_SIG: '$receiptSig',
} as const
/** One revenue property name. */
export type RevenueProperty = (typeof RevenueProperty)[keyof typeof RevenueProperty]

/** A property value the builders accept (Amplitude's `ValidPropertyType`). */
export type ValidPropertyType =
  | number
  | string
  | boolean
  | Array<string | number>
  | { [key: string]: ValidPropertyType }
  | Array<{ [key: string]: ValidPropertyType }>

/** `user_properties` of an identify: operation → property → value. */
export interface IdentifyUserProperties {
  $add?: { [key: string]: number }
  $unset?: { [key: string]: ValidPropertyType }
  // biome-ignore lint/suspicious/noExplicitAny: as the official type
  $clearAll?: any
  $set?: { [key: string]: ValidPropertyType }
  $setOnce?: { [key: string]: ValidPropertyType }
  $append?: { [key: string]: ValidPropertyType }
  $prepend?: { [key: string]: ValidPropertyType }
  $postInsert?: { [key: string]: ValidPropertyType }
  $preInsert?: { [key: string]: ValidPropertyType }
  $remove?: { [key: string]: ValidPropertyType }
}

/** Revenue event properties. */
export interface RevenueEventProperties {
  $productId?: string
  $quantity?: number
  $price?: number
  $revenueType?: string | undefined
  $currency?: string | undefined
  $revenue?: number | undefined
  $receipt?: string | undefined
  $receiptSig?: string | undefined
}

/** An ordinary tracked event. */
export interface TrackEvent extends BaseEvent {
  event_type: string
}

/** An `$identify` event. */
export interface IdentifyEvent extends BaseEvent {
  event_type: '$identify'
  // biome-ignore lint/suspicious/noExplicitAny: as the official type
  user_properties: IdentifyUserProperties | { [key: string]: any }
}

/** A `$groupidentify` event. */
export interface GroupIdentifyEvent extends BaseEvent {
  event_type: '$groupidentify'
  // biome-ignore lint/suspicious/noExplicitAny: as the official type
  group_properties: IdentifyUserProperties | { [key: string]: any }
}

/** A `revenue_amount` event. */
export interface RevenueEvent extends BaseEvent {
  event_type: 'revenue_amount'
  // biome-ignore lint/suspicious/noExplicitAny: as the official type
  event_properties: RevenueEventProperties | { [key: string]: any }
}

/** Any event the client sends. */
export type Event = TrackEvent | IdentifyEvent | GroupIdentifyEvent | RevenueEvent

/**
 * The outcome of one tracking call: `code` 200 when Amplitude accepted the event, the HTTP status of a
 * refusal, 500 when the retry budget ran out, 0 when the client refused or skipped it. ampkit adds
 * `reason` (why it was not delivered) and `insertId`.
 */
export interface Result {
  event: Event
  code: number
  message: string
  /** Why the event was not delivered; absent when it was. */
  reason?: DropReason
  /** The event's `insert_id`. */
  insertId?: string
}

/** What every call returns: a promise, as in `@amplitude/analytics-node`. */
export interface AmplitudeReturn<T> {
  promise: Promise<T>
}

/** Why an event was not delivered. Each reason is counted in `stats().dropped`. */
export type DropReason =
  /** The server refused the API key (400 `Invalid API key`). */
  | 'invalid_api_key'
  /** The server said the request lacks a field (400 `missing_field`). */
  | 'missing_field'
  /** The server listed the event as invalid (400 index lists). */
  | 'invalid_event'
  /** The server silenced the event's device (400 `silenced_events`). */
  | 'silenced'
  /** The event's user or device exceeded its daily quota (429). */
  | 'daily_quota'
  /** The event alone is larger than a request may be (413, or refused before sending). */
  | 'payload_too_large'
  /** The server refused the request for good (403, 404, 501, …). */
  | 'rejected'
  /** Retries ran out (count or time budget). */
  | 'retries_exhausted'
  /** The bounded queue was full (`overflowPolicy`). */
  | 'queue_overflow'
  /** The client refused the event because Amplitude would (`validateEvent`). */
  | 'invalid'
  /** `event_type` was empty or blank. */
  | 'empty_event_type'
  /** A before/enrichment plugin returned null. */
  | 'filtered'
  /** `optOut` is set. */
  | 'opt_out'
  /** The client is disabled (`AMPLITUDE_DISABLED`, or a test environment). */
  | 'disabled'
  /** The client was shut down before the event could be delivered. */
  | 'shutdown'
  /** The taxonomy guard refused the event (`taxonomy` mode `strict`). */
  | 'taxonomy'
