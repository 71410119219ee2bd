/**
 * @module `/identify` (POST or GET), `/groupidentify` and `/attribution` (ingestion-api.md §4).
 * Success is 200 with the text `success` (the historic body; the doc gives only the code). Errors
 * are JSON with `code` like every other error body, so a client that parses JSON reads the status
 * and one that reads text still sees the message; `missing_event` names a missing or malformed
 * `identification`/`event`, the message the doc gives.
 */
import {
  type EventIndexMaps,
  type GroupIdentification,
  type Identification,
  invalidApiKeyBody,
  invalidEventsBody,
  MAX_GROUP_IDENTIFICATIONS_PER_REQUEST,
  MAX_GROUP_IDENTIFY_REQUEST_BYTES,
  MAX_IDENTIFY_REQUEST_BYTES,
  missingFieldBody,
  normalizeEvent,
  payloadTooLargeBody,
  truncateStrings,
  validateEvent,
  validateEvents,
  type WireEvent,
} from '@ampkit/protocol'
import { ApiError } from '../errors.ts'
import { tooDeepFields, withTooDeep } from '../nesting.ts'
import type { Project } from '../projects.ts'
import { textResponse } from '../responses.ts'
import type { IngestContext, IngestPath } from '../store/store.ts'
import type { RouteContext } from './context.ts'
import { readFormFields } from './form-fields.ts'

/** The message Amplitude gives when `identification` (or `event`) is missing or malformed. */
export const MISSING_EVENT = 'missing_event'

function missingEvent(): ApiError {
  return new ApiError(400, { code: 400, error: MISSING_EVENT })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Throws the 400 with Amplitude's index maps when either map names a field. */
function assertNoFindings(missing: Record<string, number[]>, invalid: Record<string, number[]>) {
  const maps: EventIndexMaps = {}
  if (Object.keys(invalid).length > 0) maps.events_with_invalid_fields = invalid
  if (Object.keys(missing).length > 0) maps.events_with_missing_fields = missing
  if (maps.events_with_invalid_fields || maps.events_with_missing_fields)
    throw new ApiError(400, { ...invalidEventsBody(maps) })
}

/** Reads `api_key` and resolves the project, with the upload endpoints' bodies for failures. */
function projectOf(context: RouteContext, fields: Map<string, string>): Project {
  const apiKey = fields.get('api_key')
  if (apiKey === undefined || apiKey === '')
    throw new ApiError(400, { ...missingFieldBody('api_key') })
  const project = context.projects.byApiKey(apiKey)
  if (project === undefined) throw new ApiError(400, { ...invalidApiKeyBody(apiKey) })
  return project
}

/** Parses a JSON field holding one object or a non-empty array of objects. */
function objectList(raw: string | undefined): Record<string, unknown>[] {
  if (raw === undefined || raw.trim() === '') throw missingEvent()
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (error) {
    throw new ApiError(400, { code: 400, error: MISSING_EVENT }, { cause: error })
  }
  const list = Array.isArray(parsed) ? parsed : [parsed]
  if (list.length === 0 || !list.every(isRecord)) throw missingEvent()
  return list
}

function ingestContext(context: RouteContext, project: Project, path: IngestPath): IngestContext {
  return {
    projectId: project.id,
    receivedAtMs: context.now(),
    path,
    sourceIp: context.remoteAddress,
    userPropertyBudget: context.limiters.userProperties,
  }
}

/** `POST|GET /identify`: user properties, user-level groups and device/location fields. */
export async function handleIdentify(context: RouteContext): Promise<Response> {
  const fields = await readFormFields(context, MAX_IDENTIFY_REQUEST_BYTES)
  const project = projectOf(context, fields)
  const list = objectList(fields.get('identification'))
  context.notes.events = list.length
  // Each identification is checked with the event rules (ids, field types, property depth) as the
  // `$identify` event it is equivalent to; findings come back as the usual index maps.
  const asEvents = list.map((item) => ({ ...item, event_type: '$identify' }))
  const findings = withTooDeep(validateEvents(asEvents), tooDeepFields(asEvents))
  if (findings !== undefined) throw new ApiError(400, { ...invalidEventsBody(findings) })
  const identifications = asEvents.map((event) => {
    const { event_type: _type, ...rest } = normalizeEvent(event as WireEvent)
    return rest as Identification
  })
  await context.store.identify(identifications, ingestContext(context, project, '/identify'))
  return textResponse(200, 'success')
}

/** `POST /groupidentify`: group properties of (group type, group value) pairs. */
export async function handleGroupIdentify(context: RouteContext): Promise<Response> {
  const fields = await readFormFields(context, MAX_GROUP_IDENTIFY_REQUEST_BYTES)
  const project = projectOf(context, fields)
  const list = objectList(fields.get('identification'))
  context.notes.events = list.length
  if (list.length > MAX_GROUP_IDENTIFICATIONS_PER_REQUEST)
    throw new ApiError(413, { ...payloadTooLargeBody() })
  const missing: Record<string, number[]> = Object.create(null)
  const invalid: Record<string, number[]> = Object.create(null)
  const note = (map: Record<string, number[]>, field: string, index: number) => {
    map[field] ??= []
    map[field].push(index)
  }
  for (const [field, indices] of Object.entries(tooDeepFields(list) ?? {})) invalid[field] = indices
  list.forEach((item, index) => {
    for (const field of ['group_type', 'group_value'] as const) {
      const value = item[field]
      if (value === undefined || value === null || value === '') note(missing, field, index)
      else if (typeof value !== 'string') note(invalid, field, index)
    }
    const properties = item.group_properties
    if (properties === undefined || properties === null) note(missing, 'group_properties', index)
    else if (!isRecord(properties)) note(invalid, 'group_properties', index)
  })
  assertNoFindings(missing, invalid)
  const identifications = list.map(
    (item) =>
      truncateStrings({
        group_type: item.group_type,
        group_value: item.group_value,
        group_properties: item.group_properties,
      }) as GroupIdentification,
  )
  await context.store.groupIdentify(
    identifications,
    ingestContext(context, project, '/groupidentify'),
  )
  return textResponse(200, 'success')
}

/** Ids an attribution event must carry, by platform (ingestion-api.md §4). */
const ATTRIBUTION_IDS: Record<string, readonly string[]> = {
  ios: ['idfa', 'idfv'],
  android: ['adid', 'android_app_set_id'],
}

/** `POST /attribution`: an install-attribution event keyed by advertising ids. */
export async function handleAttribution(context: RouteContext): Promise<Response> {
  const fields = await readFormFields(context, MAX_IDENTIFY_REQUEST_BYTES)
  const project = projectOf(context, fields)
  const list = objectList(fields.get('event'))
  if (list.length !== 1) throw missingEvent()
  const event = list[0]!
  context.notes.events = 1
  const missing: Record<string, number[]> = Object.create(null)
  const invalid: Record<string, number[]> = Object.create(null)
  const platform = event.platform
  const platformKey = typeof platform === 'string' ? platform.toLowerCase() : undefined
  const ids =
    platformKey !== undefined && Object.hasOwn(ATTRIBUTION_IDS, platformKey)
      ? ATTRIBUTION_IDS[platformKey]
      : undefined
  if (platform === undefined || platform === null) missing.platform = [0]
  else if (ids === undefined) invalid.platform = [0]
  else if (!ids.some((field) => typeof event[field] === 'string' && event[field] !== ''))
    missing[ids[0]!] = [0]
  // The event rules check types, event_type and property depth; attribution events are keyed by
  // advertising ids instead of user/device ids, so the id findings do not apply.
  for (const field of Object.keys(tooDeepFields([event]) ?? {})) invalid[field] = [0]
  for (const finding of validateEvent(event, { minIdLength: 1 })) {
    const idRule = finding.field === 'user_id' || finding.field === 'device_id'
    if (idRule && finding.kind !== 'invalid_field') continue
    const map = finding.kind === 'missing_field' ? missing : invalid
    map[finding.field] = [0]
  }
  assertNoFindings(missing, invalid)
  const normalized = normalizeEvent(event as WireEvent, { minIdLength: 1 })
  await context.store.attribution(normalized, ingestContext(context, project, '/attribution'))
  return textResponse(200, 'success')
}
