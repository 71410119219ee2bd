/**
 * @module The Taxonomy API (query-api.md §5.3) under `/api/2/taxonomy/`, behind HTTP Basic auth:
 * `category`, `event`, `event-property`, `user-property`, `group-property`, each with POST create, GET
 * list (`showDeleted=true` adds soft-deleted ones), GET/PUT/DELETE `/{name}` and POST
 * `/{name}/restore` (categories: PUT/DELETE by id, deleted for good, no restore). Bodies are
 * form-encoded (JSON is read too). Answers are `{"success":true[,"data"]}`; every error, auth
 * included, is `{"success":false,"errors":[{"message"}]}`: 409 when creating what exists, 404 for an
 * unknown name, 400 for a bad field.
 */
import { ApiError } from '../errors.ts'
import { jsonResponse } from '../responses.ts'
import type { TaxonomyKind, TaxonomyRecord, TaxonomyStore } from '../taxonomy/taxonomy-store.ts'
import { authenticate } from './basic-auth.ts'
import type { RouteContext } from './context.ts'
import { readFormFields } from './form-fields.ts'

const PREFIX = '/api/2/taxonomy'
const MAX_BODY_BYTES = 256 * 1024
const MAX_NAME_LENGTH = 1024
const MAX_FIELD_LENGTH = 10_000

const PROPERTY_TYPES = ['string', 'number', 'boolean', 'enum', 'any']
const CLASSIFICATIONS = ['PII', 'SENSITIVE', 'REVENUE']

function taxonomyError(status: number, message: string): ApiError {
  return new ApiError(status, { success: false, errors: [{ message }] })
}

type FieldKind = 'text' | 'bool' | 'type' | 'regex' | 'classifications' | 'tags'

/** The fields each resource keeps, beyond its name and scope. */
const FIELDS: Record<TaxonomyKind, Record<string, FieldKind>> = {
  category: {},
  event: {
    category: 'text',
    description: 'text',
    display_name: 'text',
    owner: 'text',
    tags: 'tags',
    is_active: 'bool',
    is_hidden_from_dropdowns: 'bool',
    is_hidden_from_persona_results: 'bool',
    is_hidden_from_pathfinder: 'bool',
    is_hidden_from_timeline: 'bool',
  },
  'event-property': {
    description: 'text',
    type: 'type',
    regex: 'regex',
    enum_values: 'text',
    is_array_type: 'bool',
    is_required: 'bool',
    is_hidden: 'bool',
    classifications: 'classifications',
  },
  'user-property': {
    description: 'text',
    type: 'type',
    regex: 'regex',
    enum_values: 'text',
    is_array_type: 'bool',
    is_hidden: 'bool',
    classifications: 'classifications',
  },
  'group-property': {
    description: 'text',
    type: 'type',
    regex: 'regex',
    enum_values: 'text',
    is_array_type: 'bool',
    is_hidden: 'bool',
    classifications: 'classifications',
  },
}

/** The form field naming a record on create, and the one that renames it on update. */
const NAME_FIELDS: Record<TaxonomyKind, { name: string; rename: string }> = {
  category: { name: 'category_name', rename: 'category_name' },
  event: { name: 'event_type', rename: 'new_event_type' },
  'event-property': { name: 'event_property', rename: 'new_event_property_value' },
  'user-property': { name: 'user_property', rename: 'new_user_property_value' },
  'group-property': { name: 'group_property', rename: 'new_group_property_value' },
}

const KINDS = Object.keys(FIELDS) as TaxonomyKind[]

function readField(kind: FieldKind, key: string, raw: string): unknown {
  if (raw.length > MAX_FIELD_LENGTH) throw taxonomyError(400, `${key} is too long`)
  switch (kind) {
    case 'bool': {
      const lower = raw.trim().toLowerCase()
      if (lower !== 'true' && lower !== 'false')
        throw taxonomyError(400, `${key} must be true or false, got ${JSON.stringify(raw)}`)
      return lower === 'true'
    }
    case 'type':
      if (!PROPERTY_TYPES.includes(raw))
        throw taxonomyError(400, `type must be one of ${PROPERTY_TYPES.join(', ')}`)
      return raw
    case 'regex':
      try {
        new RegExp(raw)
      } catch {
        throw taxonomyError(400, `regex is not a valid regular expression`)
      }
      return raw
    case 'classifications': {
      const list = raw
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter((c) => c !== '')
      for (const c of list) {
        if (!CLASSIFICATIONS.includes(c))
          throw taxonomyError(400, `classifications must be among ${CLASSIFICATIONS.join(', ')}`)
      }
      return list
    }
    case 'tags':
      return raw
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '')
    default:
      return raw
  }
}

function readFields(kind: TaxonomyKind, form: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, fieldKind] of Object.entries(FIELDS[kind])) {
    const raw = form.get(key)
    if (raw !== undefined) out[key] = readField(fieldKind, key, raw)
  }
  return out
}

function checkName(value: string | undefined, field: string): string {
  if (value === undefined || value.trim() === '') throw taxonomyError(400, `${field} is required`)
  if (value.length > MAX_NAME_LENGTH) throw taxonomyError(400, `${field} is too long`)
  return value
}

/** User properties are stored without Amplitude's `gp:` prefix and listed with it. */
function storedName(kind: TaxonomyKind, name: string): string {
  return kind === 'user-property' && name.startsWith('gp:') ? name.slice(3) : name
}

function scopeOf(kind: TaxonomyKind, form: Map<string, string>, required: boolean): string {
  if (kind === 'event-property') return form.get('event_type') ?? ''
  if (kind === 'group-property') {
    const groupType = form.get('group_type')
    if (required) return checkName(groupType, 'group_type')
    return groupType ?? ''
  }
  return ''
}

/** A record as the API lists it. */
function view(record: TaxonomyRecord, showDeleted: boolean): Record<string, unknown> {
  const { data } = record
  let out: Record<string, unknown>
  switch (record.kind) {
    case 'category':
      out = { id: record.id, name: record.name }
      break
    case 'event': {
      const { category, ...rest } = data
      out = {
        event_type: record.name,
        ...rest,
        category: typeof category === 'string' && category !== '' ? { name: category } : null,
        description: data.description ?? null,
      }
      break
    }
    case 'event-property':
      out = {
        event_property: record.name,
        ...(record.scope !== '' && { event_type: record.scope }),
        ...data,
        description: data.description ?? null,
      }
      break
    case 'user-property':
      // Custom user properties are listed with the `gp:` prefix (§5.3).
      out = { user_property: `gp:${record.name}`, ...data, description: data.description ?? null }
      break
    case 'group-property':
      out = {
        group_type: record.scope,
        group_property: record.name,
        ...data,
        description: data.description ?? null,
      }
      break
  }
  if (showDeleted) out.deleted = record.deleted
  return out
}

function displayName(kind: TaxonomyKind, scope: string, name: string): string {
  if (kind === 'event-property' && scope !== '') return `event property ${scope}.${name}`
  if (kind === 'group-property') return `group property ${scope}.${name}`
  return `${kind.replace('-', ' ')} ${name}`
}

async function readForm(context: RouteContext): Promise<Map<string, string>> {
  return readFormFields(context, MAX_BODY_BYTES)
}

async function create(
  context: RouteContext,
  store: TaxonomyStore,
  projectId: number,
  kind: TaxonomyKind,
): Promise<Response> {
  const form = await readForm(context)
  const nameField = NAME_FIELDS[kind].name
  const name = storedName(kind, checkName(form.get(nameField), nameField))
  const scope = scopeOf(kind, form, true)
  const data = readFields(kind, form)
  return store.exclusive(async () => {
    const existing = await store.find(projectId, kind, scope, name)
    if (existing !== undefined && !existing.deleted)
      throw taxonomyError(
        409,
        `Attempted to add ${displayName(kind, scope, name)}, which already exists.`,
      )
    // Creating what was soft-deleted brings it back with the new fields.
    await store.put(projectId, { kind, scope, name, data, deleted: false }, existing)
    return jsonResponse(200, { success: true })
  })
}

async function findNamed(
  store: TaxonomyStore,
  projectId: number,
  kind: TaxonomyKind,
  scope: string,
  name: string,
): Promise<TaxonomyRecord> {
  const record =
    kind === 'category' && /^\d+$/.test(name)
      ? ((await store.findById(projectId, kind, Number(name))) ??
        (await store.find(projectId, kind, scope, name)))
      : await store.find(projectId, kind, scope, name)
  if (record === undefined)
    throw taxonomyError(404, `No ${displayName(kind, scope, name)} in the taxonomy`)
  return record
}

async function update(
  context: RouteContext,
  store: TaxonomyStore,
  projectId: number,
  kind: TaxonomyKind,
  name: string,
): Promise<Response> {
  const form = await readForm(context)
  const scope = scopeOf(kind, form, true)
  const fields = readFields(kind, form)
  const renameRaw = form.get(NAME_FIELDS[kind].rename)
  const rename =
    renameRaw === undefined || renameRaw === ''
      ? undefined
      : storedName(kind, checkName(renameRaw, NAME_FIELDS[kind].rename))
  return store.exclusive(async () => {
    const record = await findNamed(store, projectId, kind, scope, name)
    if (record.deleted)
      throw taxonomyError(404, `${displayName(kind, scope, name)} is deleted; restore it first`)
    const target = rename ?? record.name
    if (target !== record.name && (await store.find(projectId, kind, scope, target)) !== undefined)
      throw taxonomyError(409, `Cannot rename to ${displayName(kind, scope, target)}: it exists`)
    await store.put(
      projectId,
      {
        kind,
        scope: record.scope,
        name: target,
        data: { ...record.data, ...fields },
        deleted: false,
      },
      record,
    )
    return jsonResponse(200, { success: true })
  })
}

async function remove(
  context: RouteContext,
  store: TaxonomyStore,
  projectId: number,
  kind: TaxonomyKind,
  name: string,
): Promise<Response> {
  const form = await readForm(context)
  const scope = scopeOf(kind, form, true)
  return store.exclusive(async () => {
    const record = await findNamed(store, projectId, kind, scope, name)
    if (kind === 'category') await store.remove(projectId, record)
    else if (record.deleted)
      throw taxonomyError(404, `${displayName(kind, scope, name)} is already deleted`)
    else await store.setDeleted(projectId, record, true)
    return jsonResponse(200, { success: true })
  })
}

async function restore(
  context: RouteContext,
  store: TaxonomyStore,
  projectId: number,
  kind: TaxonomyKind,
  name: string,
): Promise<Response> {
  const form = await readForm(context)
  const scope = scopeOf(kind, form, true)
  return store.exclusive(async () => {
    const record = await findNamed(store, projectId, kind, scope, name)
    if (!record.deleted)
      throw taxonomyError(409, `${displayName(kind, scope, name)} is not deleted`)
    await store.setDeleted(projectId, record, false)
    return jsonResponse(200, { success: true })
  })
}

async function list(
  context: RouteContext,
  store: TaxonomyStore,
  projectId: number,
  kind: TaxonomyKind,
): Promise<Response> {
  const params = context.url.searchParams
  const showDeleted = params.get('showDeleted') === 'true'
  let scope: string | undefined
  if (kind === 'event-property') scope = params.get('event_type') ?? undefined
  if (kind === 'group-property') scope = params.get('group_type') ?? undefined
  const records = (await store.list(projectId, kind, scope)).filter(
    (r) => showDeleted || !r.deleted,
  )
  return jsonResponse(200, { success: true, data: records.map((r) => view(r, showDeleted)) })
}

async function getOne(
  context: RouteContext,
  store: TaxonomyStore,
  projectId: number,
  kind: TaxonomyKind,
  name: string,
): Promise<Response> {
  const params = context.url.searchParams
  const form = new Map(params)
  const scope = scopeOf(kind, form, kind === 'group-property')
  const record = await findNamed(store, projectId, kind, scope, storedName(kind, name))
  const showDeleted = params.get('showDeleted') === 'true'
  if (record.deleted && !showDeleted)
    throw taxonomyError(404, `${displayName(kind, scope, name)} is deleted`)
  return jsonResponse(200, { success: true, data: view(record, showDeleted) })
}

function methodNotAllowed(allow: string): ApiError {
  return new ApiError(
    405,
    { success: false, errors: [{ message: 'Method Not Allowed' }] },
    { headers: { allow } },
  )
}

async function route(context: RouteContext, store: TaxonomyStore): Promise<Response> {
  const rest = context.url.pathname.slice(PREFIX.length + 1)
  let parts: string[]
  try {
    parts = rest.split('/').map(decodeURIComponent)
  } catch {
    throw taxonomyError(400, 'The path is not valid percent-encoding')
  }
  const [kindText, name, action, ...more] = parts
  const kind = KINDS.find((k) => k === kindText)
  if (kind === undefined || more.length > 0 || name === '') throw taxonomyError(404, 'Not Found')
  const project = authenticate(context)
  const method = context.request.method
  if (name === undefined) {
    if (method === 'GET') return list(context, store, project.id, kind)
    if (method === 'POST') return create(context, store, project.id, kind)
    throw methodNotAllowed('GET, POST')
  }
  const stored = storedName(kind, name)
  if (action === 'restore') {
    if (kind === 'category') throw taxonomyError(404, 'Categories have no restore')
    if (method !== 'POST') throw methodNotAllowed('POST')
    return restore(context, store, project.id, kind, stored)
  }
  if (action !== undefined) throw taxonomyError(404, 'Not Found')
  if (method === 'GET') return getOne(context, store, project.id, kind, name)
  if (method === 'PUT') return update(context, store, project.id, kind, stored)
  if (method === 'DELETE') return remove(context, store, project.id, kind, stored)
  throw methodNotAllowed('GET, PUT, DELETE')
}

/** The taxonomy routes of one app. */
export function taxonomyRoutes(store: TaxonomyStore) {
  return {
    matches(path: string): boolean {
      return path.startsWith(`${PREFIX}/`)
    },
    async handle(context: RouteContext): Promise<Response> {
      try {
        return await route(context, store)
      } catch (error) {
        // Auth and body errors of the shared helpers, in this API's shape.
        if (error instanceof ApiError && error.body.success === undefined) {
          const message =
            typeof error.body.error === 'string' ? error.body.error : `HTTP ${error.status}`
          throw new ApiError(
            error.status,
            { success: false, errors: [{ message }] },
            { headers: error.headers },
          )
        }
        throw error
      }
    },
  }
}
