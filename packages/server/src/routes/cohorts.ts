/**
 * @module The Behavioral Cohorts API (query-api.md §4) and ampkit's behavioral-cohort route, behind
 * HTTP Basic auth:
 * - `GET /api/3/cohorts` (`includeSyncInfo`), `GET /api/3/cohorts/info/{id}`,
 * - `POST /api/3/cohorts/upload`, `POST /api/3/cohorts/membership`,
 * - `POST /api/3/cohorts/ampkit/behavioral` (create) and `PUT …/behavioral/{id}` (redefine),
 * - `GET /api/5/cohorts/request/{id}` → 202, `GET /api/5/cohorts/request-status/{request_id}` → 202
 *   then 200, `GET /api/5/cohorts/request/{request_id}/file` → the CSV, or 302 to a one-time link
 *   `GET /_ampkit/files/{token}` (no auth: the link is the credential, as a pre-signed S3 URL is).
 * Every error, auth and body errors included, is answered in the cohort body shape
 * `{"error":{"http_code","type","message","metadata"}}`.
 */

import { readRequestBody } from '../body-reader.ts'
import { CohortDefinitionError, parseCohortDefinition } from '../cohorts/cohort-definition.ts'
import type { CohortJob } from '../cohorts/cohort-jobs.ts'
import { type CohortService, cohortError, MAX_COHORT_SIZE } from '../cohorts/cohort-service.ts'
import { ApiError } from '../errors.ts'
import { jsonResponse } from '../responses.ts'
import { authenticate } from './basic-auth.ts'
import type { RouteContext } from './context.ts'

/** Largest upload or membership body, in bytes: two million ids fit. */
const MAX_BODY_BYTES = 64 * 1024 * 1024
/** Largest behavioral definition body, in bytes. */
const MAX_DEFINITION_BYTES = 256 * 1024

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
}

/** Any `ApiError` of another shape (auth, body reading) re-rendered in the cohort shape. */
function inCohortShape(error: unknown): unknown {
  if (!(error instanceof ApiError) || typeof error.body.error === 'object') return error
  const message = typeof error.body.error === 'string' ? error.body.error : `HTTP ${error.status}`
  const converted = cohortError(error.status, ERROR_TYPES[error.status] ?? 'ERROR', message)
  Object.assign(converted.headers, error.headers)
  return converted
}

function badRequest(message: string, metadata?: Record<string, unknown>): ApiError {
  return cohortError(400, 'INVALID_REQUEST', message, metadata)
}

async function readJsonObject(
  context: RouteContext,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const { bytes } = await readRequestBody(context.request, {
    maxBytes,
    timeoutMs: context.bodyTimeoutMs,
  })
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  if (text.trim() === '') throw badRequest('Missing request body (expected a JSON object)')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw badRequest('Invalid JSON request body')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('The request body must be a JSON object')
  return value as Record<string, unknown>
}

function requiredString(body: Record<string, unknown>, key: string, maxLength = 1024): string {
  const value = body[key]
  if (typeof value !== 'string' || value.trim() === '')
    throw badRequest(`Missing or invalid field ${key}: expected a non-empty string`)
  if (value.length > maxLength) throw badRequest(`Field ${key} is longer than ${maxLength}`)
  return value
}

function optionalBoolean(body: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = body[key]
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'boolean') throw badRequest(`Invalid field ${key}: expected a boolean`)
  return value
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value.length > 4096)
    throw badRequest(`Invalid field ${key}: expected a string`)
  return value
}

/** `ids`: strings (numbers are accepted as their decimal text). */
function idList(value: unknown, field: string): string[] {
  if (!Array.isArray(value))
    throw badRequest(`Missing or invalid field ${field}: expected an array`)
  if (value.length > MAX_COHORT_SIZE)
    throw badRequest(
      `Field ${field} holds more than ${MAX_COHORT_SIZE} ids (the cohort size limit)`,
    )
  return value.map((id, index) => {
    if (typeof id === 'string' && id !== '' && id.length <= 1024) return id
    if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id)
    throw badRequest(`Invalid ${field}[${index}]: expected a non-empty string`)
  })
}

/**
 * The count group: `User` (any case, or absent) or a group type, whose cohorts hold group values
 * (§4.1 `countGroup`, §4.2 `group_value`).
 */
function countGroup(value: unknown, field: string): string {
  if (value === undefined || value === null) return 'User'
  if (typeof value !== 'string' || value.trim() === '' || value.length > 1024)
    throw badRequest(`Invalid field ${field}: expected a non-empty string`)
  return value.toLowerCase() === 'user' ? 'User' : value
}

function projectOf(context: RouteContext) {
  return authenticate(context)
}

async function handleUpload(context: RouteContext, service: CohortService): Promise<Response> {
  const project = projectOf(context)
  const body = await readJsonObject(context, MAX_BODY_BYTES)
  const name = requiredString(body, 'name')
  const appId = body.app_id
  if (typeof appId !== 'number' && typeof appId !== 'string')
    throw badRequest('Missing or invalid field app_id: expected an integer')
  if (String(appId) !== String(project.id))
    throw badRequest(`app_id ${String(appId)} is not the project of these credentials`)
  const idType = body.id_type
  if (idType !== 'BY_AMP_ID' && idType !== 'BY_USER_ID')
    throw badRequest('Missing or invalid field id_type: expected BY_AMP_ID or BY_USER_ID')
  const ids = idList(body.ids, 'ids')
  const owner = requiredString(body, 'owner')
  if (typeof body.published !== 'boolean')
    throw badRequest('Missing or invalid field published: expected a boolean')
  const result = await service.upload(project.id, {
    name,
    kind: idType === 'BY_AMP_ID' ? 'amplitude' : 'user',
    ids,
    owner,
    published: body.published,
    // The spec names the field `cg`; `count_group` (the membership body's name) is accepted too.
    countGroup: countGroup(
      body.cg ?? body.count_group,
      body.cg === undefined ? 'count_group' : 'cg',
    ),
    skipSave: optionalBoolean(body, 'skip_save', false),
    skipInvalidIds: optionalBoolean(body, 'skip_invalid_ids', true),
    existingCohortId: optionalString(body, 'existing_cohort_id'),
  })
  return jsonResponse(200, result)
}

async function handleMembership(context: RouteContext, service: CohortService) {
  const project = projectOf(context)
  const body = await readJsonObject(context, MAX_BODY_BYTES)
  const cohortId = requiredString(body, 'cohort_id', 64)
  const bodyCountGroup = countGroup(body.count_group, 'count_group')
  const skipInvalidIds = optionalBoolean(body, 'skip_invalid_ids', true)
  const list = body.memberships
  if (!Array.isArray(list) || list.length === 0)
    throw badRequest('Missing or invalid field memberships: expected a non-empty array')
  const changes = list.map((raw: unknown, index) => {
    const where = `memberships[${index}]`
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw badRequest(`Invalid ${where}: expected an object`)
    const item = raw as Record<string, unknown>
    if (item.id_type !== 'BY_ID' && item.id_type !== 'BY_NAME')
      throw badRequest(`Invalid ${where}.id_type: expected BY_ID or BY_NAME`)
    if (item.operation !== 'ADD' && item.operation !== 'REMOVE')
      throw badRequest(`Invalid ${where}.operation: expected ADD or REMOVE`)
    return {
      ids: idList(item.ids, `${where}.ids`),
      idType: item.id_type,
      operation: item.operation,
    }
  })
  const cohort = await service.get(project.id, cohortId)
  // The body's count group names the cohort's members; another one is refused [unconfirmed].
  if (bodyCountGroup !== cohort.countGroup)
    throw badRequest(
      `count_group ${bodyCountGroup} is not the count group of cohort ${cohortId} (${cohort.countGroup})`,
    )
  if (cohort.kind === 'behavioral')
    throw badRequest(
      `Cohort ${cohortId} is behavioral: its members are computed from its definition`,
    )
  const resolved: {
    change: (typeof changes)[number]
    matched: number[] | string[]
    invalid: string[]
  }[] = []
  for (const change of changes) {
    if (cohort.countGroup !== 'User') {
      // Other count groups: BY_ID is the group id and BY_NAME the group name (§4.4); locally a
      // group has only its value, so both name the value [unconfirmed].
      const match = await service.matchGroupValues(project.id, cohort.countGroup, change.ids)
      resolved.push({ change, matched: [...match.matched], invalid: match.invalid })
      continue
    }
    // For the User count group, BY_ID is an Amplitude id and BY_NAME a user id (§4.4).
    const kind = change.idType === 'BY_ID' ? 'amplitude' : 'user'
    const match = await service.matchIds(project.id, kind, change.ids)
    resolved.push({ change, matched: [...new Set(match.matched.values())], invalid: match.invalid })
  }
  const membershipsResult = resolved.map(({ change, invalid }) => ({
    skipped_ids: invalid,
    id_type: change.idType,
    operation: change.operation,
  }))
  if (!skipInvalidIds && resolved.some(({ invalid }) => invalid.length > 0))
    throw cohortError(
      400,
      'INVALID_IDS',
      'Some ids match no user of the project (skip_invalid_ids is false); nothing was changed',
      { cohort_id: cohortId, memberships_result: membershipsResult },
    )
  await service.repository.changeMembers(
    cohort,
    resolved.map(({ change, matched }) => ({ add: change.operation === 'ADD', ids: matched })),
    context.now(),
  )
  return jsonResponse(200, { cohort_id: cohortId, memberships_result: membershipsResult })
}

function definitionOf(body: Record<string, unknown>) {
  try {
    return parseCohortDefinition(body.definition)
  } catch (error) {
    if (error instanceof CohortDefinitionError)
      throw cohortError(400, 'INVALID_DEFINITION', error.message)
    throw error
  }
}

async function handleBehavioral(
  context: RouteContext,
  service: CohortService,
  cohortId: string | undefined,
): Promise<Response> {
  const project = projectOf(context)
  const body = await readJsonObject(context, MAX_DEFINITION_BYTES)
  const definition = definitionOf(body)
  const description = optionalString(body, 'description')
  const published =
    body.published === undefined ? undefined : optionalBoolean(body, 'published', true)
  const cohort =
    cohortId === undefined
      ? await service.createBehavioral(project.id, {
          name: requiredString(body, 'name'),
          description: description ?? null,
          owner: optionalString(body, 'owner'),
          published: published ?? true,
          definition,
        })
      : await service.redefine(project.id, cohortId, {
          ...(body.name !== undefined && { name: requiredString(body, 'name') }),
          ...(description !== undefined && { description }),
          ...(published !== undefined && { published }),
          definition,
        })
  return jsonResponse(200, { cohortId: cohort.id, cohort: service.summary(cohort, false) })
}

function statusBody(job: CohortJob) {
  return { request_id: job.requestId, cohort_id: job.cohortId, async_status: job.status }
}

/** The file streamed from disk with its length (404 when it was dropped meanwhile). */
async function csvResponse(service: CohortService, job: CohortJob): Promise<Response> {
  const file = await service.jobs.openFile(job)
  if (file === undefined)
    throw cohortError(404, 'NOT_FOUND', 'The file of this cohort download has expired')
  return new Response(file.stream, {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-length': String(file.bytes),
      'content-disposition': `attachment; filename="cohort_${job.cohortId}.csv"`,
    },
  })
}

function completedJob(service: CohortService, projectId: number, requestId: string): CohortJob {
  const job = service.jobs.get(projectId, requestId)
  // An unknown or expired request id: 404 [unconfirmed].
  if (job === undefined)
    throw cohortError(404, 'NOT_FOUND', `No cohort download request ${JSON.stringify(requestId)}`)
  if (job.status === 'JOB FAILED')
    throw cohortError(500, 'JOB_FAILED', 'The cohort download job failed', statusBody(job))
  if (job.status !== 'JOB COMPLETED')
    throw cohortError(
      400,
      'JOB_NOT_COMPLETED',
      'The cohort download job has not completed; poll request-status until it answers 200',
      statusBody(job),
    )
  return job
}

function segmentsOf(path: string, prefix: string): string[] | undefined {
  if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined
  const rest = path.slice(prefix.length + 1)
  if (rest === '') return []
  try {
    return rest.split('/').map(decodeURIComponent)
  } catch {
    return undefined
  }
}

function notFound(): ApiError {
  return cohortError(404, 'NOT_FOUND', 'Not Found')
}

function methodNotAllowed(allow: string): ApiError {
  return new ApiError(
    405,
    {
      error: {
        http_code: 405,
        type: 'METHOD_NOT_ALLOWED',
        message: 'Method Not Allowed',
        metadata: {},
      },
    },
    { headers: { allow } },
  )
}

async function routeV3(context: RouteContext, service: CohortService, parts: string[]) {
  const method = context.request.method
  const [first, second, third, ...more] = parts
  if (first === undefined) {
    if (method !== 'GET') throw methodNotAllowed('GET')
    const project = projectOf(context)
    const includeSyncInfo = context.url.searchParams.get('includeSyncInfo') === 'true'
    const cohorts = await service.repository.list(project.id)
    return jsonResponse(200, { cohorts: cohorts.map((c) => service.summary(c, includeSyncInfo)) })
  }
  if (first === 'info' && second !== undefined && third === undefined) {
    if (method !== 'GET') throw methodNotAllowed('GET')
    const project = projectOf(context)
    const cohort = await service.get(project.id, second)
    // The undocumented info endpoint Amplitude's SDKs use; `last_computed` in epoch ms there
    // [unconfirmed], `org_id` has no meaning locally.
    return jsonResponse(200, {
      cohort_id: cohort.id,
      app_id: cohort.projectId,
      org_id: null,
      name: cohort.name,
      size: cohort.size,
      description: cohort.description,
      last_computed: cohort.computedMs ?? 0,
      group_type: cohort.countGroup,
    })
  }
  if (first === 'upload' && second === undefined) {
    if (method !== 'POST') throw methodNotAllowed('POST')
    return handleUpload(context, service)
  }
  if (first === 'membership' && second === undefined) {
    if (method !== 'POST') throw methodNotAllowed('POST')
    return handleMembership(context, service)
  }
  if (first === 'ampkit' && second === 'behavioral' && more.length === 0) {
    if (third === undefined) {
      if (method !== 'POST') throw methodNotAllowed('POST')
      return handleBehavioral(context, service, undefined)
    }
    if (method !== 'PUT') throw methodNotAllowed('PUT')
    return handleBehavioral(context, service, third)
  }
  throw notFound()
}

async function routeV5(context: RouteContext, service: CohortService, parts: string[]) {
  if (context.request.method !== 'GET') throw methodNotAllowed('GET')
  const [first, second, third, ...more] = parts
  if (more.length > 0 || second === undefined) throw notFound()
  const project = projectOf(context)
  if (first === 'request-status' && third === undefined) {
    const job = service.jobs.get(project.id, second)
    if (job === undefined)
      throw cohortError(404, 'NOT_FOUND', `No cohort download request ${JSON.stringify(second)}`)
    if (job.status === 'JOB FAILED')
      throw cohortError(500, 'JOB_FAILED', 'The cohort download job failed', statusBody(job))
    return jsonResponse(job.status === 'JOB COMPLETED' ? 200 : 202, statusBody(job))
  }
  if (first !== 'request') throw notFound()
  if (third === 'file') {
    const job = completedJob(service, project.id, second)
    const size = job.file?.bytes ?? 0
    if (size <= service.jobs.options.inlineFileMaxBytes) return csvResponse(service, job)
    const token = service.jobs.mintLink(job)
    return new Response(null, {
      status: 302,
      headers: { location: `${context.url.origin}/_ampkit/files/${token}` },
    })
  }
  if (third !== undefined) throw notFound()
  const params = context.url.searchParams
  const props = params.get('props')
  if (props !== null && props !== '0' && props !== '1')
    throw badRequest('Invalid parameter props: expected 0 or 1')
  const propKeys = params.getAll('propKeys').filter((k) => k !== '')
  const job = await service.requestDownload(project.id, second, {
    props: props === '1',
    propKeys: propKeys.length === 0 ? undefined : propKeys,
  })
  return jsonResponse(202, { request_id: job.requestId, cohort_id: job.cohortId })
}

/** The cohort routes of one app: `handle` answers the paths `matches` accepts. */
export function cohortRoutes(service: CohortService) {
  return {
    matches(path: string): boolean {
      return (
        segmentsOf(path, '/api/3/cohorts') !== undefined ||
        path.startsWith('/api/5/cohorts/') ||
        path.startsWith('/_ampkit/files/')
      )
    },
    async handle(context: RouteContext): Promise<Response> {
      try {
        const path = context.url.pathname
        const v3 = segmentsOf(path, '/api/3/cohorts')
        if (v3 !== undefined) return await routeV3(context, service, v3)
        const v5 = segmentsOf(path, '/api/5/cohorts')
        if (v5 !== undefined) return await routeV5(context, service, v5)
        const file = segmentsOf(path, '/_ampkit/files')
        if (file?.length === 1 && context.request.method === 'GET') {
          const job = service.jobs.takeLink(file[0]!)
          if (job?.file !== undefined) return await csvResponse(service, job)
          throw cohortError(404, 'NOT_FOUND', 'This file link is unknown, used or expired')
        }
        throw notFound()
      } catch (error) {
        throw inCohortShape(error)
      }
    },
  }
}
