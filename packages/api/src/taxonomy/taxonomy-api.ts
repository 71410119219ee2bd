/**
 * @module The Taxonomy API (query-api.md §5.3) under `/api/2/taxonomy/`: event types, event properties
 * and user properties, each with create, list, get, update, delete and restore.
 * Bodies are form-encoded with `@ampkit/protocol`'s `encodeForm`, answers read with
 * `readTaxonomyResponse`; a 409 (exists, or not deleted) is a `ConflictError` with the API's messages.
 * Booleans are sent as `true`/`false` and lists comma-separated, as the protocol mapping does.
 */
import {
  readTaxonomyResponse,
  TAXONOMY_API_PATH,
  type TaxonomyEventPropertyRecord,
  type TaxonomyEventRecord,
  type TaxonomyPropertyType,
  type TaxonomyUserPropertyRecord,
} from '@ampkit/protocol'
import { BadRequestError, ParameterError } from '../errors.ts'
import type { QueryParams, RequestSpec, Transport } from '../http/transport.ts'

/** A form value: strings as they are, booleans `true`/`false`, lists comma-separated. */
export type TaxonomyFieldValue = string | number | boolean | readonly string[]

/** Fields of an event type (POST creates with `event_type`; PUT renames with `new_event_type`). */
export interface TaxonomyEventFields {
  category?: string
  description?: string
  display_name?: string
  owner?: string
  tags?: readonly string[]
  is_active?: boolean
  is_hidden_from_dropdowns?: boolean
  is_hidden_from_persona_results?: boolean
  is_hidden_from_pathfinder?: boolean
  is_hidden_from_timeline?: boolean
  new_event_type?: string
  [field: string]: TaxonomyFieldValue | undefined
}

/** Fields of an event or user property. */
export interface TaxonomyPropertyFields {
  description?: string
  type?: TaxonomyPropertyType
  regex?: string
  enum_values?: readonly string[]
  is_array_type?: boolean
  is_required?: boolean
  is_hidden?: boolean
  classifications?: readonly ('PII' | 'SENSITIVE' | 'REVENUE')[]
  [field: string]: TaxonomyFieldValue | undefined
}

/** Which resource, its name field, and the field that scopes it (event properties: `event_type`). */
interface ResourceSpec {
  path: 'event' | 'event-property' | 'user-property'
  nameField: string
  scopeField?: 'event_type'
}

const RESOURCES = {
  event: { path: 'event', nameField: 'event_type' },
  eventProperty: { path: 'event-property', nameField: 'event_property', scopeField: 'event_type' },
  userProperty: { path: 'user-property', nameField: 'user_property' },
} as const satisfies Record<string, ResourceSpec>

function formOf(fields: Record<string, TaxonomyFieldValue | undefined>): Record<string, string> {
  const form: Record<string, string> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    form[key] = Array.isArray(value) ? value.join(',') : String(value)
  }
  return form
}

/** CRUD on one Taxonomy resource. */
export class TaxonomyResource<R, F extends Record<string, TaxonomyFieldValue | undefined>> {
  readonly #transport: Transport
  readonly #spec: ResourceSpec
  readonly #operation: string

  constructor(transport: Transport, spec: ResourceSpec, operation: string) {
    this.#transport = transport
    this.#spec = spec
    this.#operation = operation
  }

  #name(name: string): string {
    if (typeof name !== 'string' || name === '')
      throw new ParameterError(this.#operation, 'name', 'is required')
    return encodeURIComponent(name)
  }

  #scope(scope: string | undefined, required: boolean): [string, string][] {
    const field = this.#spec.scopeField
    if (field === undefined) return []
    if (scope === undefined || scope === '') {
      if (required)
        throw new ParameterError(this.#operation, 'eventType', 'is required for event properties')
      return []
    }
    return [[field, scope]]
  }

  async #call(
    method: RequestSpec['method'],
    path: string,
    extra: { form?: Record<string, string>; query?: QueryParams; signal?: AbortSignal } = {},
  ): Promise<unknown[]> {
    const spec: RequestSpec = {
      method,
      path: `${TAXONOMY_API_PATH}/${this.#spec.path}${path}`,
      ...(extra.form !== undefined && { body: { form: extra.form } }),
      ...(extra.query !== undefined && { query: extra.query }),
      ...(extra.signal !== undefined && { signal: extra.signal }),
    }
    const { body, status } = await this.#transport.json<unknown>(spec)
    const read = readTaxonomyResponse(body)
    if (!read.success)
      throw new BadRequestError(
        `${method} ${spec.path} failed: ${status} ${read.errors.join('; ') || 'success is not true'}`,
        { method, status, body: JSON.stringify(body).slice(0, 512) },
      )
    const data = (body as { data?: unknown }).data
    // A single record may come as an object rather than a one-element list.
    if (data !== undefined && !Array.isArray(data) && typeof data === 'object' && data !== null)
      return [data]
    return read.data
  }

  /** Lists the resource (`showDeleted` adds soft-deleted ones; `eventType` scopes event properties). */
  async list(
    options: { eventType?: string; showDeleted?: boolean; signal?: AbortSignal } = {},
  ): Promise<R[]> {
    const query: [string, string][] = [...this.#scope(options.eventType, false)]
    if (options.showDeleted) query.push(['showDeleted', 'true'])
    return (await this.#call('GET', '', {
      query,
      ...(options.signal !== undefined && { signal: options.signal }),
    })) as R[]
  }

  /** One record by name; a `NotFoundError` when unknown. */
  async get(name: string, options: { eventType?: string; signal?: AbortSignal } = {}): Promise<R> {
    const data = await this.#call('GET', `/${this.#name(name)}`, {
      query: this.#scope(options.eventType, false),
      ...(options.signal !== undefined && { signal: options.signal }),
    })
    return data[0] as R
  }

  /** Creates it; a `ConflictError` (409) when it exists. */
  async create(
    name: string,
    fields: F & { eventType?: string } = {} as F,
    signal?: AbortSignal,
  ): Promise<void> {
    const { eventType, ...rest } = fields
    const form = {
      [this.#spec.nameField]: name,
      ...Object.fromEntries(this.#scope(eventType, true)),
      ...formOf(rest),
    }
    if (typeof name !== 'string' || name === '')
      throw new ParameterError(this.#operation, 'name', 'is required')
    await this.#call('POST', '', { form, ...(signal !== undefined && { signal }) })
  }

  /** Updates the given fields. */
  async update(
    name: string,
    fields: F & { eventType?: string },
    signal?: AbortSignal,
  ): Promise<void> {
    const { eventType, ...rest } = fields
    const form = { ...Object.fromEntries(this.#scope(eventType, true)), ...formOf(rest) }
    await this.#call('PUT', `/${this.#name(name)}`, {
      form,
      ...(signal !== undefined && { signal }),
    })
  }

  /** Deletes it (soft: `restore` brings it back). */
  async delete(
    name: string,
    options: { eventType?: string; signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#call('DELETE', `/${this.#name(name)}`, {
      query: this.#scope(options.eventType, true),
      ...(options.signal !== undefined && { signal: options.signal }),
    })
  }

  /** Restores a deleted one; a `ConflictError` when it is not deleted. */
  async restore(
    name: string,
    options: { eventType?: string; signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#call('POST', `/${this.#name(name)}/restore`, {
      form: Object.fromEntries(this.#scope(options.eventType, true)),
      ...(options.signal !== undefined && { signal: options.signal }),
    })
  }
}

/** The Taxonomy API's resources. */
export interface TaxonomyApi {
  events: TaxonomyResource<TaxonomyEventRecord, TaxonomyEventFields>
  eventProperties: TaxonomyResource<TaxonomyEventPropertyRecord, TaxonomyPropertyFields>
  userProperties: TaxonomyResource<TaxonomyUserPropertyRecord, TaxonomyPropertyFields>
}

export function taxonomyApi(transport: Transport): TaxonomyApi {
  return {
    events: new TaxonomyResource(transport, RESOURCES.event, 'taxonomy.events'),
    eventProperties: new TaxonomyResource(
      transport,
      RESOURCES.eventProperty,
      'taxonomy.eventProperties',
    ),
    userProperties: new TaxonomyResource(
      transport,
      RESOURCES.userProperty,
      'taxonomy.userProperties',
    ),
  }
}
