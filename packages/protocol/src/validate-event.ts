/**
 * @module Event validation and normalisation, one rule set for the client (which refuses what the
 * server would reject, before sending) and the local server (which answers with Amplitude's index maps).
 * Rules: ../shared/spec/ingestion-api.md §2 "Validation and processing rules".
 */
import { isInvalidIdValue } from './invalid-ids.ts'
import {
  DEFAULT_MIN_ID_LENGTH,
  MAX_GROUP_TYPES_PER_EVENT,
  MAX_GROUP_VALUES_PER_TYPE,
  MAX_PROPERTY_DEPTH,
  MAX_STRING_LENGTH,
} from './limits.ts'
import type { EventIndexMaps } from './response-bodies.ts'
import type { IndexMap, WireEvent } from './wire.ts'

/** Which index map a finding lands in. */
export type FindingKind = 'invalid_field' | 'missing_field' | 'invalid_id_length'

/** One reason an event is refused. */
export interface EventFinding {
  kind: FindingKind
  field: string
}

const STRING_FIELDS = [
  'user_id',
  'device_id',
  'event_type',
  'app_version',
  'platform',
  'os_name',
  'os_version',
  'device_brand',
  'device_manufacturer',
  'device_model',
  'carrier',
  'country',
  'region',
  'city',
  'dma',
  'language',
  'productId',
  'revenueType',
  'currency',
  'ip',
  'idfa',
  'idfv',
  'adid',
  'android_id',
  'android_app_set_id',
  'insert_id',
  'partner_id',
  'library',
  'user_agent',
  'version_name',
] as const

const NUMBER_FIELDS = ['price', 'revenue', 'location_lat', 'location_lng'] as const

/** `time` is ms since the epoch; an ISO string or a float is a 400. */
const INTEGER_FIELDS = ['time', 'quantity', 'event_id', 'session_id'] as const

const OBJECT_FIELDS = [
  'event_properties',
  'user_properties',
  'group_properties',
  'groups',
  'plan',
  'ingestion_metadata',
] as const

const PROPERTY_FIELDS = ['event_properties', 'user_properties', 'group_properties'] as const

/**
 * Every top-level event field that holds one string or number (ids, device and location context,
 * revenue, times), e.g. for mapping a CSV column of the same name onto the event.
 */
export const EVENT_SCALAR_FIELDS: readonly string[] = [
  ...STRING_FIELDS,
  ...NUMBER_FIELDS,
  ...INTEGER_FIELDS,
]

/** Options that change validation, from the request's `options`. */
export interface ValidationOptions {
  /** Minimum id length; shorter ids are removed from the event. @default 5 */
  minIdLength?: number
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null
}

/** Depth of nested objects and arrays below `value` (a scalar is 0). Stops counting past `limit`. */
function nestingDepth(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 0
  if (limit < 0) return 1
  let deepest = 0
  const children = Array.isArray(value) ? value : Object.values(value)
  for (const child of children) {
    const depth = nestingDepth(child, limit - 1)
    if (depth > deepest) deepest = depth
    if (deepest > limit) break
  }
  return deepest + 1
}

function idFindings(
  event: Record<string, unknown>,
  minIdLength: number,
  findings: EventFinding[],
): void {
  let usable = 0
  const tooShort: string[] = []
  for (const field of ['user_id', 'device_id'] as const) {
    const id = event[field]
    if (typeof id !== 'string') continue
    // An id on Amplitude's refused list is a 400 even when it is also shorter than the minimum:
    // `"null"` must not slip through as "too short, removed".
    if (isInvalidIdValue(id)) findings.push({ kind: 'invalid_field', field })
    else if (id.length < minIdLength) tooShort.push(field)
    else usable++
  }
  if (usable > 0 || findings.some((f) => f.field === 'user_id' || f.field === 'device_id')) return
  // Short ids are removed, not refused; the event fails only when no id is left.
  if (tooShort.length > 0) {
    for (const field of tooShort) findings.push({ kind: 'invalid_id_length', field })
    return
  }
  // Neither id was sent. device_id is named because Amplitude derives it from user_id when only
  // that is present, so it is the one that cannot be had (the exact key is unconfirmed).
  findings.push({ kind: 'missing_field', field: 'device_id' })
}

/**
 * The reasons Amplitude would refuse this event; empty when it is accepted.
 * `$groupidentify` events need no user or device id (accepted without one, as the spec advises).
 */
export function validateEvent(event: unknown, options: ValidationOptions = {}): EventFinding[] {
  const minIdLength = options.minIdLength ?? DEFAULT_MIN_ID_LENGTH
  if (!isPlainObject(event)) return [{ kind: 'invalid_field', field: 'event' }]
  const findings: EventFinding[] = []

  const eventType = event.event_type
  if (typeof eventType !== 'string' || eventType.trim() === '') {
    findings.push({
      kind:
        isPresent(eventType) && typeof eventType !== 'string' ? 'invalid_field' : 'missing_field',
      field: 'event_type',
    })
  }
  for (const field of STRING_FIELDS) {
    if (field === 'event_type') continue
    const value = event[field]
    if (isPresent(value) && typeof value !== 'string')
      findings.push({ kind: 'invalid_field', field })
  }
  for (const field of NUMBER_FIELDS) {
    const value = event[field]
    if (isPresent(value) && (typeof value !== 'number' || !Number.isFinite(value)))
      findings.push({ kind: 'invalid_field', field })
  }
  for (const field of INTEGER_FIELDS) {
    const value = event[field]
    if (!isPresent(value)) continue
    const ok = typeof value === 'number' && Number.isSafeInteger(value)
    const negativeTime = field === 'time' && typeof value === 'number' && value < 0
    if (!ok || negativeTime) findings.push({ kind: 'invalid_field', field })
  }
  for (const field of OBJECT_FIELDS) {
    const value = event[field]
    if (isPresent(value) && !isPlainObject(value)) findings.push({ kind: 'invalid_field', field })
  }
  for (const field of PROPERTY_FIELDS) {
    const value = event[field]
    if (isPlainObject(value) && nestingDepth(value, MAX_PROPERTY_DEPTH) > MAX_PROPERTY_DEPTH)
      findings.push({ kind: 'invalid_field', field })
  }
  const skip = event.$skip_user_properties_sync
  if (isPresent(skip) && typeof skip !== 'boolean')
    findings.push({ kind: 'invalid_field', field: '$skip_user_properties_sync' })
  if (isPlainObject(event.groups)) {
    for (const value of Object.values(event.groups)) {
      const ok =
        typeof value === 'string' ||
        (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      if (!ok) {
        findings.push({ kind: 'invalid_field', field: 'groups' })
        break
      }
    }
  }
  if (eventType !== '$groupidentify') idFindings(event, minIdLength, findings)
  return findings
}

const MAP_KEYS: Record<FindingKind, keyof EventIndexMaps> = {
  invalid_field: 'events_with_invalid_fields',
  missing_field: 'events_with_missing_fields',
  invalid_id_length: 'events_with_invalid_id_lengths',
}

/**
 * Validates every event and gathers Amplitude's index maps, or `undefined` when all are accepted.
 * Indices are 0-based positions in `events` and appear in ascending order.
 */
export function validateEvents(
  events: readonly unknown[],
  options: ValidationOptions = {},
): EventIndexMaps | undefined {
  let maps: EventIndexMaps | undefined
  for (let index = 0; index < events.length; index++) {
    const findings = validateEvent(events[index], options)
    for (const { kind, field } of findings) {
      maps ??= {}
      const key = MAP_KEYS[kind]
      const map: IndexMap = maps[key] ?? {}
      maps[key] = map
      const list = map[field] ?? []
      map[field] = list
      if (list[list.length - 1] !== index) list.push(index)
    }
  }
  return maps
}

/** Truncates a string to Amplitude's 1,024-character limit. */
export function truncateString(value: string): string {
  return value.length > MAX_STRING_LENGTH ? value.slice(0, MAX_STRING_LENGTH) : value
}

/** Copies a property value with every string in it truncated. Keys are kept as they are. */
export function truncateStrings<T>(value: T): T {
  if (typeof value === 'string') return truncateString(value) as T
  if (Array.isArray(value)) return value.map((item) => truncateStrings(item)) as T
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = truncateStrings(item)
    return out as T
  }
  return value
}

/**
 * What Amplitude makes of a valid event before storing it: ids shorter than the minimum removed,
 * every string truncated to 1,024 characters, at most 5 group types of at most 10 values each.
 */
export function normalizeEvent(event: WireEvent, options: ValidationOptions = {}): WireEvent {
  const minIdLength = options.minIdLength ?? DEFAULT_MIN_ID_LENGTH
  const out = truncateStrings(event)
  for (const field of ['user_id', 'device_id'] as const) {
    const id = out[field]
    if (id === null || (typeof id === 'string' && id.length < minIdLength)) delete out[field]
  }
  if (isPlainObject(out.groups)) {
    const groups: { [type: string]: string | string[] } = {}
    for (const [type, value] of Object.entries(out.groups).slice(0, MAX_GROUP_TYPES_PER_EVENT)) {
      groups[type] = Array.isArray(value) ? value.slice(0, MAX_GROUP_VALUES_PER_TYPE) : value
    }
    out.groups = groups
  }
  return out
}
