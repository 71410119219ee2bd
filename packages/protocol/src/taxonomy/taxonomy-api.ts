/**
 * @module The pure half of syncing a tracking plan with Amplitude's Taxonomy API
 * (../shared/spec/query-api.md §5.3): the requests that push a plan (form-encoded POSTs, and the PUT
 * to send when a POST answers 409 because the event or property exists), the reading of its
 * `{"success":…}` bodies, and a plan built from pulled event types and properties. Field names follow
 * the doc; the exact encoding of list fields (`enum_values`, `classifications`) is unconfirmed, so
 * they are sent comma-separated, as the doc's examples write them.
 */
import { isStandardSchema } from './standard-schema.ts'
import {
  describeProperty,
  type EventSpec,
  type PlanEvents,
  type PropertyDescriptor,
  type PropertySpec,
  type TrackingPlan,
} from './tracking-plan.ts'

/** The Taxonomy API base path. */
export const TAXONOMY_API_PATH = '/api/2/taxonomy'

/** One request to the Taxonomy API; `form` is sent `application/x-www-form-urlencoded`. */
export interface TaxonomyRequest {
  method: 'GET' | 'POST' | 'PUT'
  path: string
  form?: Record<string, string>
}

/** The Taxonomy API's property types. */
export type TaxonomyPropertyType = 'string' | 'number' | 'boolean' | 'enum' | 'any'

/** An event as `GET /api/2/taxonomy/event` lists it. */
export interface TaxonomyEventRecord {
  event_type: string
  description?: string | null
  category?: { name?: string } | string | null
}

/** An event property as `GET /api/2/taxonomy/event-property?event_type=…` lists it. */
export interface TaxonomyEventPropertyRecord {
  event_property: string
  event_type?: string
  description?: string | null
  type?: string | null
  regex?: string | null
  enum_values?: string | readonly (string | number)[] | null
  is_array_type?: boolean | string | null
  is_required?: boolean | string | null
}

/** A Taxonomy API answer, read. */
export interface TaxonomyResponse {
  success: boolean
  data: unknown[]
  /** The messages of `errors`, for a failure. */
  errors: string[]
}

/** Form-encodes a request body. */
export function encodeForm(form: Record<string, string>): string {
  return new URLSearchParams(form).toString()
}

/** Reads a Taxonomy API body (`{"success":true[,"data":[…]]}` or `{"success":false,"errors":[…]}`). */
export function readTaxonomyResponse(body: unknown): TaxonomyResponse {
  if (typeof body !== 'object' || body === null) {
    return { success: false, data: [], errors: ['not a JSON object'] }
  }
  const record = body as { success?: unknown; data?: unknown; errors?: unknown }
  const errors = Array.isArray(record.errors)
    ? record.errors.map((e) =>
        typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e),
      )
    : []
  return {
    success: record.success === true,
    data: Array.isArray(record.data) ? record.data : [],
    errors,
  }
}

function taxonomyType(d: PropertyDescriptor): { type: TaxonomyPropertyType; array: boolean } {
  if (d.enum !== undefined) return { type: 'enum', array: false }
  switch (d.type) {
    case 'string':
      return { type: 'string', array: false }
    case 'number':
    case 'integer':
      return { type: 'number', array: false }
    case 'boolean':
      return { type: 'boolean', array: false }
    case 'string[]':
      return { type: 'string', array: true }
    case 'number[]':
      return { type: 'number', array: true }
    default:
      return { type: 'any', array: d.type === 'object[]' }
  }
}

function propertyForm(eventType: string, key: string, spec: PropertySpec): Record<string, string> {
  const described = describeProperty(spec)
  const form: Record<string, string> = { event_type: eventType, event_property: key }
  if (isStandardSchema(described)) {
    // A validator's rules do not map onto the Taxonomy API's; it is pushed as `any`.
    form.type = 'any'
    return form
  }
  const { type, array } = taxonomyType(described)
  form.type = type
  if (array) form.is_array_type = 'true'
  if (described.required === true) form.is_required = 'true'
  if (described.description !== undefined) form.description = described.description
  if (described.regex !== undefined) form.regex = described.regex
  if (described.enum !== undefined) form.enum_values = described.enum.join(',')
  if (described.classification !== undefined) form.classifications = described.classification
  return form
}

/**
 * The requests that create a plan's events and event properties, events first. For each one that
 * answers 409 (it exists), send `updateRequestFor(request)`.
 */
export function planToTaxonomyRequests<E extends PlanEvents>(
  plan: TrackingPlan<E>,
): TaxonomyRequest[] {
  const requests: TaxonomyRequest[] = []
  const properties: TaxonomyRequest[] = []
  for (const eventType of plan.eventTypes) {
    const spec = plan.events[eventType] as EventSpec
    const form: Record<string, string> = { event_type: eventType }
    if (!isStandardSchema(spec)) {
      if (spec.category !== undefined) form.category = spec.category
      if (spec.description !== undefined) form.description = spec.description
      for (const [key, property] of Object.entries(spec.properties ?? {})) {
        properties.push({
          method: 'POST',
          path: `${TAXONOMY_API_PATH}/event-property`,
          form: propertyForm(eventType, key, property),
        })
      }
    }
    requests.push({ method: 'POST', path: `${TAXONOMY_API_PATH}/event`, form })
  }
  return [...requests, ...properties]
}

/** The PUT that updates what a POST tried to create (after a 409). */
export function updateRequestFor(request: TaxonomyRequest): TaxonomyRequest {
  const form = { ...request.form }
  if (request.path.endsWith('/event-property')) {
    const name = form.event_property ?? ''
    delete form.event_property
    return { method: 'PUT', path: `${request.path}/${encodeURIComponent(name)}`, form }
  }
  const name = form.event_type ?? ''
  delete form.event_type
  return { method: 'PUT', path: `${request.path}/${encodeURIComponent(name)}`, form }
}

/** The request that lists an event's properties. */
export function eventPropertiesRequest(eventType: string): TaxonomyRequest {
  return {
    method: 'GET',
    path: `${TAXONOMY_API_PATH}/event-property?event_type=${encodeURIComponent(eventType)}`,
  }
}

function truthy(value: boolean | string | null | undefined): boolean {
  return value === true || value === 'true'
}

function descriptorFrom(record: TaxonomyEventPropertyRecord): PropertyDescriptor {
  const array = truthy(record.is_array_type)
  const enumValues =
    typeof record.enum_values === 'string'
      ? record.enum_values.split(',').map((v) => v.trim())
      : (record.enum_values ?? undefined)
  let descriptor: PropertyDescriptor
  switch (record.type) {
    case 'string':
      descriptor = { type: array ? 'string[]' : 'string' }
      break
    case 'number':
      descriptor = { type: array ? 'number[]' : 'number' }
      break
    case 'boolean':
      descriptor = { type: 'boolean' }
      break
    case 'enum':
      descriptor = { type: 'string' }
      break
    default:
      descriptor = { type: 'any' }
  }
  if (enumValues !== undefined && enumValues.length > 0) descriptor.enum = enumValues
  if (truthy(record.is_required)) descriptor.required = true
  if (record.description) descriptor.description = record.description
  if (record.regex) descriptor.regex = record.regex
  return descriptor
}

/**
 * The plan events that pulled Taxonomy records describe; pass the result to `defineTrackingPlan`.
 * Properties whose `event_type` is missing are matched by the key of `propertiesByEvent`.
 */
export function planEventsFromTaxonomy(
  events: readonly TaxonomyEventRecord[],
  propertiesByEvent: Readonly<Record<string, readonly TaxonomyEventPropertyRecord[]>>,
): Record<string, EventSpec> {
  const out: Record<string, EventSpec> = {}
  for (const event of events) {
    const spec: EventSpec = {}
    if (event.description) spec.description = event.description
    const category = typeof event.category === 'string' ? event.category : event.category?.name
    if (category) spec.category = category
    const properties: Record<string, PropertyDescriptor> = {}
    for (const record of propertiesByEvent[event.event_type] ?? []) {
      properties[record.event_property] = descriptorFrom(record)
    }
    spec.properties = properties
    out[event.event_type] = spec
  }
  return out
}
