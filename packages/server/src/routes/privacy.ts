/**
 * @module The User Privacy API (query-api.md §5.2), behind HTTP Basic auth:
 * `POST /api/2/deletions/users`, `GET /api/2/deletions/users?start_day&end_day` and
 * `DELETE /api/2/deletions/users/{amplitude_id}/{YYYY-MM-DD}`. Errors use the query APIs' JSON shape
 * `{"code","error"}` (Amplitude's privacy error bodies are unconfirmed).
 */
import { readRequestBody } from '../body-reader.ts'
import { parseDay } from '../cohorts/cohort-definition.ts'
import type { CohortService } from '../cohorts/cohort-service.ts'
import { ApiError } from '../errors.ts'
import { DeletionCancelError, type DeletionJobs } from '../privacy/deletion-jobs.ts'
import { jsonResponse } from '../responses.ts'
import { authenticate } from './basic-auth.ts'
import type { RouteContext } from './context.ts'
import { parseJsonBody } from './json-body.ts'

/** At most this many ids (amplitude_ids plus user_ids) per request (§1.4). */
export const MAX_DELETION_IDS = 100
const MAX_BODY_BYTES = 1024 * 1024
const PREFIX = '/api/2/deletions/users'

function badRequest(message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(400, { code: 400, error: message, ...extra })
}

function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw badRequest(`Invalid field ${key}: expected a boolean`)
  return value
}

function list(body: Record<string, unknown>, key: string): unknown[] {
  const value = body[key]
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw badRequest(`Invalid field ${key}: expected an array`)
  return value
}

async function handleRequest(
  context: RouteContext,
  jobs: DeletionJobs,
  cohorts: CohortService,
): Promise<Response> {
  const project = authenticate(context)
  const { bytes } = await readRequestBody(context.request, {
    maxBytes: MAX_BODY_BYTES,
    timeoutMs: context.bodyTimeoutMs,
  })
  const parsed = parseJsonBody(bytes)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw badRequest('The request body must be a JSON object')
  const body = parsed as Record<string, unknown>
  const amplitudeIds = list(body, 'amplitude_ids').map((id, index) => {
    const text = typeof id === 'number' ? String(id) : id
    if (typeof text !== 'string' || !/^\d{1,18}$/.test(text) || !Number.isSafeInteger(Number(text)))
      throw badRequest(`Invalid amplitude_ids[${index}]: expected an Amplitude id (an integer)`)
    return text
  })
  const userIds = list(body, 'user_ids').map((id, index) => {
    if (typeof id !== 'string' || id === '' || id.length > 1024)
      throw badRequest(`Invalid user_ids[${index}]: expected a non-empty string`)
    return id
  })
  if (amplitudeIds.length + userIds.length === 0)
    throw badRequest('Nothing to delete: amplitude_ids or user_ids must list at least one id')
  if (amplitudeIds.length + userIds.length > MAX_DELETION_IDS)
    throw badRequest(`At most ${MAX_DELETION_IDS} ids per request`)
  const requester = body.requester
  if (requester !== undefined && requester !== null && typeof requester !== 'string')
    throw badRequest('Invalid field requester: expected a string')
  const ignoreInvalid = optionalBoolean(body, 'ignore_invalid_id') ?? false
  // `delete_from_org` (every project of the org) and `include_mapped_user_ids` (cross-project
  // user mappings) have nothing to act on in a single-project lookup; they are accepted.
  optionalBoolean(body, 'delete_from_org')
  optionalBoolean(body, 'include_mapped_user_ids')

  const byAmplitudeId = await cohorts.matchIds(project.id, 'amplitude', amplitudeIds)
  const byUserId = await cohorts.matchIds(project.id, 'user', userIds)
  const invalid = [...byAmplitudeId.invalid, ...byUserId.invalid]
  if (invalid.length > 0 && !ignoreInvalid)
    throw badRequest(
      `${invalid.length} id(s) match no user of the project (set ignore_invalid_id to skip them)`,
      { invalid_ids: invalid },
    )
  const canonical = [
    ...amplitudeIds.flatMap((id) => byAmplitudeId.matched.get(id) ?? []),
    ...userIds.flatMap((id) => byUserId.matched.get(id) ?? []),
  ]
  const job = await jobs.request(project.id, canonical, (requester as string | undefined) ?? null)
  return jsonResponse(200, ignoreInvalid ? { ...job, invalid_ids: invalid } : job)
}

function dayParameter(url: URL, name: string): string {
  const value = url.searchParams.get(name)
  if (value === null || parseDay(value) === undefined)
    throw badRequest(`Missing or invalid parameter ${name}: expected a day YYYY-MM-DD`)
  return value
}

async function handleList(context: RouteContext, jobs: DeletionJobs): Promise<Response> {
  const project = authenticate(context)
  const startDay = dayParameter(context.url, 'start_day')
  const endDay = dayParameter(context.url, 'end_day')
  if (endDay < startDay) throw badRequest('end_day is before start_day')
  return jsonResponse(200, await jobs.list(project.id, startDay, endDay))
}

async function handleCancel(
  context: RouteContext,
  jobs: DeletionJobs,
  amplitudeId: string,
  day: string,
): Promise<Response> {
  const project = authenticate(context)
  if (!/^\d{1,18}$/.test(amplitudeId) || !Number.isSafeInteger(Number(amplitudeId)))
    throw badRequest('Invalid Amplitude id in the path: expected an integer')
  if (parseDay(day) === undefined) throw badRequest('Invalid day in the path: expected YYYY-MM-DD')
  try {
    return jsonResponse(200, await jobs.cancel(project.id, Number(amplitudeId), day))
  } catch (error) {
    if (error instanceof DeletionCancelError) {
      const status = error.reason === 'not-found' ? 404 : 400
      throw new ApiError(status, { code: status, error: error.message })
    }
    throw error
  }
}

function methodNotAllowed(allow: string): ApiError {
  return new ApiError(405, { code: 405, error: 'Method Not Allowed' }, { headers: { allow } })
}

/** The privacy routes of one app. */
export function privacyRoutes(jobs: DeletionJobs, cohorts: CohortService) {
  return {
    matches(path: string): boolean {
      return path === PREFIX || path.startsWith(`${PREFIX}/`)
    },
    handle(context: RouteContext): Promise<Response> {
      const { pathname } = context.url
      const method = context.request.method
      if (pathname === PREFIX) {
        if (method === 'POST') return handleRequest(context, jobs, cohorts)
        if (method === 'GET') return handleList(context, jobs)
        throw methodNotAllowed('GET, POST')
      }
      const parts = pathname.slice(PREFIX.length + 1).split('/')
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
        throw new ApiError(404, { code: 404, error: 'Not Found' })
      if (method !== 'DELETE') throw methodNotAllowed('DELETE')
      return handleCancel(context, jobs, parts[0]!, parts[1]!)
    },
  }
}
