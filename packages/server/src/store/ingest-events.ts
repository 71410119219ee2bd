/**
 * @module Turns validated wire events into stored rows (ingestion-api.md §2–§3, query-api.md §2.4):
 * de-duplication, Amplitude ids, profile and group updates, server-side times. Pure apart from the
 * in-memory state it is given; the store writes the rows and the profile changes in one transaction.
 */
import {
  GROUP_IDENTIFY_EVENT_TYPE,
  IDENTIFY_EVENT_TYPE,
  type Identification,
  NO_SESSION_ID,
  type WireEvent,
} from '@ampkit/protocol'
import {
  type AttributionBook,
  hasAdvertisingIdField,
  type ReceivedAttribution,
} from './attribution-book.ts'
import { type DedupIndex, hashKey, type KeyHash } from './dedup-index.ts'
import type { EventRow } from './event-row.ts'
import { languageName } from './language-name.ts'
import type { IdentifyFields, ProfileBook, UserProfile } from './profile-book.ts'
import type { IngestContext } from './store.ts'

/** Skew between server receipt and client upload below which `event_time` is not adjusted, in ms. */
export const CLOCK_SKEW_THRESHOLD_MS = 60_000

/** The state and hooks ingestion works with. */
export interface IngestState {
  book: ProfileBook
  dedup: DedupIndex
  /** Advertising ids and held attributions (`attribution-book.ts`). */
  attributions: AttributionBook
  /** The next `seq`; advanced for each stored row. */
  nextSeq: number
  now: () => number
  randomUUID: () => string
}

/** The rows one call produced. */
export interface PreparedEvents {
  /** The events' rows, and the rows of held attributions they matched (§4). */
  rows: EventRow[]
  duplicates: number
  /** How many of `rows` are attribution events. */
  attributionRows: number
}

/** Wire fields with a home in the row; any other key goes to `extra.other`. */
const NO_GROUPS: { readonly [groupType: string]: string | string[] } = Object.freeze({})

const MAPPED_FIELDS = new Set([
  'event_type',
  'user_id',
  'device_id',
  'time',
  'event_properties',
  'user_properties',
  'groups',
  'group_properties',
  '$skip_user_properties_sync',
  'app_version',
  'version_name',
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
  'price',
  'quantity',
  'revenue',
  'productId',
  'revenueType',
  'currency',
  'location_lat',
  'location_lng',
  'ip',
  'idfa',
  'adid',
  'event_id',
  'session_id',
  'insert_id',
  'plan',
  'partner_id',
  'library',
])

/** Identify API device fields: setting one resets the others (ingestion-api.md §4). */
export const IDENTIFY_DEVICE_FIELDS = [
  'platform',
  'os_name',
  'os_version',
  'device_brand',
  'device_manufacturer',
  'device_model',
  'carrier',
] as const

/** Identify API location fields: updated together like the device fields. */
export const IDENTIFY_LOCATION_FIELDS = ['country', 'region', 'city', 'dma'] as const

/** Identify API fields that stand alone. */
const IDENTIFY_SINGLE_FIELDS = ['app_version', 'language', 'paying', 'start_version'] as const

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function hasKeys(value: Record<string, unknown>): boolean {
  for (const _ in value) return true
  return false
}

/**
 * True when a user-property update for `profile` may be applied: it names something, and the
 * hourly budget (when the request has one) still has room for it (`user-property-budget.ts`).
 */
export function mayUpdateProperties(
  profile: UserProfile,
  update: Record<string, unknown>,
  context: IngestContext,
): boolean {
  if (!hasKeys(update)) return false
  const budget = context.userPropertyBudget
  return budget === undefined || budget.take(profile.amplitudeId, context.receivedAtMs)
}

/**
 * The de-duplication key's hash: (project, device_id, insert_id), or (project, user_id, insert_id)
 * when there is no device id; undefined without an insert_id (such events never de-duplicate).
 */
export function dedupHash(
  projectId: number,
  event: Pick<WireEvent, 'insert_id' | 'device_id' | 'user_id'>,
): KeyHash | undefined {
  const insertId = event.insert_id
  if (typeof insertId !== 'string' || insertId === '') return undefined
  const project = String(projectId)
  if (event.device_id !== undefined) return hashKey(project, 'd', event.device_id, insertId)
  if (event.user_id !== undefined) return hashKey(project, 'u', event.user_id, insertId)
  return hashKey(project, '-', insertId)
}

/**
 * Revenue per the spec: price × quantity when price is given, else `revenue`. The official SDKs' revenue
 * event (`revenue_amount`, from the `Revenue` builder) carries the same facts as event properties
 * `$price`, `$quantity` and `$revenue`; Amplitude counts those the same way.
 */
function revenueOf(event: WireEvent): { revenue: number | null; quantity: number | null } {
  const props = isObject(event.event_properties) ? event.event_properties : undefined
  const price = num(event.price) ?? num(props?.$price)
  const quantity = num(event.quantity) ?? num(props?.$quantity)
  const revenue = num(event.revenue) ?? num(props?.$revenue)
  if (price !== null && (revenue === null || quantity !== null)) {
    return { revenue: price * (quantity ?? 1), quantity: quantity ?? 1 }
  }
  return { revenue, quantity: quantity ?? (revenue !== null ? 1 : null) }
}

function groupsOf(value: unknown): { [groupType: string]: string | string[] } {
  const out: { [groupType: string]: string | string[] } = {}
  if (!isObject(value)) return out
  for (const [type, v] of Object.entries(value)) {
    if (typeof v === 'string') out[type] = v
    else if (Array.isArray(v))
      out[type] = v.filter((x) => typeof x === 'string' || typeof x === 'number').map(String)
    else if (typeof v === 'number') out[type] = String(v)
  }
  return out
}

/** `{type: {value: properties}}` of the groups that have properties (unconfirmed shape). */
function groupPropertiesOf(
  book: ProfileBook,
  projectId: number,
  groups: { [groupType: string]: string | string[] },
): string {
  let out: Record<string, Record<string, unknown>> | undefined
  for (const [type, value] of Object.entries(groups)) {
    for (const groupValue of Array.isArray(value) ? value : [value]) {
      const group = book.group(projectId, type, groupValue)
      if (group === undefined) continue
      out ??= {}
      out[type] ??= {}
      out[type][groupValue] = group.properties
    }
  }
  return out === undefined ? '{}' : JSON.stringify(out)
}

/** Server-side facts of one row that go to `extra` next to the wire fields. */
interface RowFacts {
  clientEventTimeMs: number
  clientUploadTimeMs: number
  serverReceivedTimeMs: number
  processedTimeMs: number
  userCreationTimeMs: number | null
  /** The `data` object's JSON text. */
  dataJson: string
}

/** Appends `"key":json` to the JSON object text being built in `out` (empty for none yet). */
function member(out: string, key: string, json: string): string {
  return `${out === '' ? '{"' : `${out},"`}${key}":${json}`
}

function numberMember(out: string, key: string, value: unknown): string {
  // JSON.stringify writes a finite number as String() does (and -0 as 0, which String() also does).
  return typeof value === 'number' && Number.isFinite(value) ? member(out, key, String(value)) : out
}

function stringMember(out: string, key: string, value: unknown): string {
  return typeof value === 'string' ? member(out, key, JSON.stringify(value)) : out
}

/** The `data` object's JSON text: the ingestion path and the row's first-event flags. */
function dataJsonOf(path: string, firstEvent: boolean, propertiesUpdated: boolean): string {
  let json = `{"path":${JSON.stringify(path)}`
  if (firstEvent) json += ',"first_event":true'
  if (propertiesUpdated) json += ',"user_properties_updated":true'
  return `${json}}`
}

/**
 * The extra JSON of a row: export fields without a typed column, and unknown wire fields. Built as
 * text member by member, in `EventExtra`'s key order, with exactly JSON.stringify's output: absent
 * keys are left out, so a typical row is a handful of members (measured cheaper than stringifying an
 * object of every key).
 */
function extraOf(
  event: WireEvent,
  profile: UserProfile | undefined,
  context: IngestContext,
  facts: RowFacts,
  eventMs: number,
  uploadMs: number,
  attribution = false,
): string {
  let out = ''
  out = numberMember(out, 'event_id', event.event_id)
  // Times equal to a typed column are left out (the export falls back to that column): fewer
  // bytes per row is less WAL and commit work.
  if (facts.clientEventTimeMs !== eventMs) {
    out = numberMember(out, 'client_event_time_ms', facts.clientEventTimeMs)
  }
  out = numberMember(out, 'client_upload_time_ms', facts.clientUploadTimeMs)
  out = numberMember(out, 'server_received_time_ms', facts.serverReceivedTimeMs)
  if (facts.processedTimeMs !== uploadMs) {
    out = numberMember(out, 'processed_time_ms', facts.processedTimeMs)
  }
  out = numberMember(out, 'user_creation_time_ms', facts.userCreationTimeMs)
  out = numberMember(out, 'price', event.price)
  out = stringMember(out, 'product_id', event.productId)
  out = stringMember(out, 'revenue_type', event.revenueType)
  out = stringMember(out, 'currency', event.currency)
  out = stringMember(out, 'device_brand', event.device_brand)
  out = stringMember(out, 'device_manufacturer', event.device_manufacturer)
  out = stringMember(out, 'device_carrier', event.carrier)
  // `ip: "$remote"` means the request's source address (ingestion-api.md §2).
  out = stringMember(out, 'ip_address', event.ip === '$remote' ? context.sourceIp : event.ip)
  out = stringMember(out, 'dma', event.dma)
  out = numberMember(out, 'location_lat', event.location_lat)
  out = numberMember(out, 'location_lng', event.location_lng)
  out = stringMember(out, 'library', event.library)
  if (isObject(event.plan)) out = member(out, 'plan', JSON.stringify(event.plan))
  out = member(out, 'data', facts.dataJson)
  out = stringMember(out, 'adid', event.adid)
  out = stringMember(out, 'idfa', event.idfa)
  out = stringMember(out, 'partner_id', event.partner_id)
  const paying = profile?.identifyFields.paying
  if (typeof paying === 'boolean') out = member(out, 'paying', String(paying))
  out = stringMember(out, 'start_version', profile?.identifyFields.start_version)
  if (attribution) out = member(out, 'is_attribution_event', 'true')
  let other: Record<string, unknown> | undefined
  for (const key in event) {
    if (MAPPED_FIELDS.has(key) || event[key] === undefined) continue
    other ??= {}
    other[key] = event[key]
  }
  if (other !== undefined) out = member(out, 'other', JSON.stringify(other))
  return `${out}}`
}

/**
 * Prepares the rows of one ingest call, updating profiles, id maps, group profiles and the dedup set
 * in order, so each row carries the user properties as of that event.
 */
export function prepareEvents(
  state: IngestState,
  events: readonly WireEvent[],
  context: IngestContext,
): PreparedEvents {
  const { book, dedup } = state
  const projectId = context.projectId
  const nowMs = state.now()
  // server_received ≤ server_upload ≤ processed (query-api.md §2.4).
  const uploadMs = Math.max(nowMs, context.receivedAtMs)
  const clientUploadMs = context.clientUploadTimeMs ?? null
  const skewMs = clientUploadMs === null ? 0 : context.receivedAtMs - clientUploadMs
  const adjustMs = Math.abs(skewMs) >= CLOCK_SKEW_THRESHOLD_MS ? skewMs : 0
  const rows: EventRow[] = []
  let duplicates = 0
  let attributionRows = 0

  for (const event of events) {
    const hash = dedupHash(projectId, event)
    if (hash !== undefined) {
      if (dedup.has(hash, nowMs)) {
        duplicates++
        continue
      }
      dedup.add(hash, nowMs, nowMs)
    }

    const isIdentify = event.event_type === IDENTIFY_EVENT_TYPE
    const isGroupIdentify = event.event_type === GROUP_IDENTIFY_EVENT_TYPE
    const profile = book.resolve(projectId, event.user_id, event.device_id)
    const clientEventMs = num(event.time) ?? uploadMs
    const eventMs = num(event.time) === null ? clientEventMs : clientEventMs + adjustMs
    let firstEvent = false
    let propertiesUpdated = false

    if (profile !== undefined) {
      if (profile.firstEventTimeMs === null) {
        profile.firstEventTimeMs = eventMs
        book.touch(profile)
        firstEvent = true
      }
      if (hasAdvertisingIdField(event)) {
        state.attributions.noteUser(projectId, event, profile.amplitudeId)
        // Held attributions for these ids join the user's timeline before this event (§4).
        for (const held of state.attributions.takeMatching(projectId, event, nowMs)) {
          rows.push(applyAttribution(state, profile, held, context, uploadMs, false))
          attributionRows++
        }
      }
      const update = event.user_properties
      if (
        isObject(update) &&
        event.$skip_user_properties_sync !== true &&
        !isGroupIdentify &&
        mayUpdateProperties(profile, update, context)
      ) {
        propertiesUpdated = book.applyUserProperties(profile, update)
      }
      if (isIdentify && isObject(event.groups)) book.setUserGroups(profile, groupsOf(event.groups))
    }

    const hasEventGroups = isObject(event.groups)
    const eventGroups = hasEventGroups ? groupsOf(event.groups) : NO_GROUPS
    if (isGroupIdentify && isObject(event.group_properties)) {
      for (const [type, value] of Object.entries(eventGroups)) {
        for (const groupValue of Array.isArray(value) ? value : [value]) {
          book.applyGroupProperties(projectId, type, groupValue, event.group_properties)
        }
      }
    }
    // Event-level groups apply to this event only, on top of the user's groups (§3 Groups).
    const userGroups = profile === undefined || isGroupIdentify ? NO_GROUPS : profile.groups
    let groupsJson = '{}'
    let groupPropertiesJson = '{}'
    if (hasEventGroups || Object.keys(userGroups).length > 0) {
      const groups = hasEventGroups ? { ...userGroups, ...eventGroups } : userGroups
      groupsJson = JSON.stringify(groups)
      groupPropertiesJson = groupPropertiesOf(book, projectId, groups)
    }
    const { revenue, quantity } = revenueOf(event)
    const facts: RowFacts = {
      clientEventTimeMs: clientEventMs,
      clientUploadTimeMs: clientUploadMs ?? context.receivedAtMs,
      serverReceivedTimeMs: context.receivedAtMs,
      processedTimeMs: uploadMs,
      userCreationTimeMs: profile?.firstEventTimeMs ?? null,
      dataJson: dataJsonOf(context.path, firstEvent, propertiesUpdated),
    }

    rows.push({
      seq: state.nextSeq++,
      projectId,
      serverUploadTimeMs: uploadMs,
      eventTimeMs: eventMs,
      amplitudeId: profile?.amplitudeId ?? null,
      eventType: event.event_type,
      userId: event.user_id ?? null,
      deviceId: event.device_id ?? null,
      sessionId: num(event.session_id) ?? NO_SESSION_ID,
      insertId: str(event.insert_id),
      uuid: state.randomUUID(),
      revenue,
      quantity,
      platform: str(event.platform),
      osName: str(event.os_name),
      osVersion: str(event.os_version),
      deviceModel: str(event.device_model),
      country: str(event.country),
      region: str(event.region),
      city: str(event.city),
      language: typeof event.language === 'string' ? languageName(event.language) : null,
      versionName: str(event.app_version) ?? str(event.version_name),
      eventProperties: isObject(event.event_properties)
        ? JSON.stringify(event.event_properties)
        : '{}',
      userProperties: profile === undefined ? '{}' : book.propertiesJson(profile),
      groups: groupsJson,
      groupProperties: groupPropertiesJson,
      extra: extraOf(event, profile, context, facts, eventMs, uploadMs),
    })
  }
  return { rows, duplicates, attributionRows }
}

/**
 * Applies Identify API objects: user property operations, user-level groups, and the device and
 * location fields, each set updated together (setting one resets the others to null).
 */
export function applyIdentifications(
  state: IngestState,
  identifications: readonly Identification[],
  context: IngestContext,
): void {
  const { book } = state
  for (const identification of identifications) {
    const userId = str(identification.user_id) ?? undefined
    const deviceId = str(identification.device_id) ?? undefined
    const profile = book.resolve(context.projectId, userId, deviceId)
    if (profile === undefined) continue
    const update = identification.user_properties
    if (isObject(update) && mayUpdateProperties(profile, update, context)) {
      book.applyUserProperties(profile, update)
    }
    if (isObject(identification.groups))
      book.setUserGroups(profile, groupsOf(identification.groups))
    const fields: IdentifyFields = { ...profile.identifyFields }
    let changed = false
    for (const group of [IDENTIFY_DEVICE_FIELDS, IDENTIFY_LOCATION_FIELDS]) {
      if (!group.some((field) => identification[field] !== undefined)) continue
      for (const field of group) fields[field] = str(identification[field])
      changed = true
    }
    for (const field of IDENTIFY_SINGLE_FIELDS) {
      const value = identification[field]
      if (typeof value === 'string' || typeof value === 'boolean') {
        // The profile's language is mapped like an event's (ingestion-api.md §2 `language`).
        fields[field] =
          field === 'language' && typeof value === 'string' ? languageName(value) : value
        changed = true
      }
    }
    if (changed) {
      profile.identifyFields = fields
      // Profile fields shown from whichever is newer: this identify or the user's last event.
      profile.identifySeq = state.nextSeq
      book.touch(profile)
    }
  }
}

/**
 * An Attribution API event as received (ingestion-api.md §4): applied at once to the user last seen
 * with one of its advertising ids, else held for 72 hours (`attribution-book.ts`). Returns the
 * rows to store (none while it is held).
 */
export function receiveAttribution(
  state: IngestState,
  attribution: ReceivedAttribution,
  context: IngestContext,
): EventRow[] {
  const amplitudeId = state.attributions.userOf(attribution.projectId, attribution.event)
  const profile = amplitudeId === undefined ? undefined : state.book.canonical(amplitudeId)
  if (profile === undefined || profile.projectId !== attribution.projectId) {
    state.attributions.hold(attribution, state.now())
    return []
  }
  const uploadMs = Math.max(state.now(), context.receivedAtMs)
  return [applyAttribution(state, profile, attribution, context, uploadMs, true)]
}

/**
 * Applies an attribution to a user: its user properties (within the hourly budget of `context`, the
 * request that matched it) and its row on the user's timeline, marked `is_attribution_event`. The
 * row keeps the attribution's own receipt facts; its device id is the user's latest (unconfirmed).
 */
function applyAttribution(
  state: IngestState,
  profile: UserProfile,
  attribution: ReceivedAttribution,
  context: IngestContext,
  uploadMs: number,
  whenReceived: boolean,
): EventRow {
  const { book } = state
  const event = attribution.event
  const update = event.user_properties
  let propertiesUpdated = false
  if (isObject(update) && mayUpdateProperties(profile, update, context)) {
    propertiesUpdated = book.applyUserProperties(profile, update)
  }
  state.attributions.applied(attribution, profile.amplitudeId, whenReceived)
  const eventMs = num(event.time) ?? attribution.receivedMs
  const received: IngestContext = {
    projectId: attribution.projectId,
    receivedAtMs: attribution.receivedMs,
    path: '/attribution',
    sourceIp: attribution.sourceIp ?? undefined,
  }
  const facts: RowFacts = {
    clientEventTimeMs: eventMs,
    clientUploadTimeMs: attribution.receivedMs,
    serverReceivedTimeMs: attribution.receivedMs,
    processedTimeMs: uploadMs,
    userCreationTimeMs: profile.firstEventTimeMs,
    dataJson: dataJsonOf('/attribution', false, propertiesUpdated),
  }
  const userGroups = profile.groups
  const hasGroups = Object.keys(userGroups).length > 0
  const language = str(event.language)
  return {
    seq: state.nextSeq++,
    projectId: attribution.projectId,
    serverUploadTimeMs: uploadMs,
    eventTimeMs: eventMs,
    amplitudeId: profile.amplitudeId,
    eventType: event.event_type,
    userId: profile.userId,
    deviceId: profile.deviceIds.at(-1) ?? null,
    sessionId: NO_SESSION_ID,
    insertId: null,
    uuid: attribution.uuid,
    revenue: null,
    quantity: null,
    platform: str(event.platform),
    osName: str(event.os_name),
    osVersion: str(event.os_version),
    deviceModel: str(event.device_model),
    country: str(event.country),
    region: str(event.region),
    city: str(event.city),
    language: language === null ? null : languageName(language),
    versionName: str(event.app_version) ?? str(event.version_name),
    eventProperties: isObject(event.event_properties)
      ? JSON.stringify(event.event_properties)
      : '{}',
    userProperties: book.propertiesJson(profile),
    groups: hasGroups ? JSON.stringify(userGroups) : '{}',
    groupProperties: hasGroups ? groupPropertiesOf(book, attribution.projectId, userGroups) : '{}',
    extra: extraOf(event, profile, received, facts, eventMs, uploadMs, true),
  }
}
