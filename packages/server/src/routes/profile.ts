/**
 * @module The User Profile API (query-api.md §5.1), `GET /v1/userprofile`, on the same server as the
 * rest (Amplitude serves it from `profile-api.amplitude.com`). Auth is `Authorization: Api-Key
 * <secret key>`, errors are `{"error": "..."}` with Amplitude's messages. The local server has no
 * recommendation, computation or prediction models, so it answers as a project without them:
 * `recommendations` is null, `get_computations` adds nothing to `amp_props`, and `get_propensity`
 * adds no `propensity` [unconfirmed: what Amplitude answers for an unknown rec_id/prediction_id].
 */
import type { UserProfileResponse } from '@ampkit/protocol'
import type { CohortService } from '../cohorts/cohort-service.ts'
import { ApiError } from '../errors.ts'
import type { Project } from '../projects.ts'
import { jsonResponse } from '../responses.ts'
import type { RouteContext } from './context.ts'

const PATH = '/v1/userprofile'
const MAX_ID_LENGTH = 1024

function profileError(status: number, message: string): ApiError {
  return new ApiError(status, { error: message })
}

function authenticateApiKey(context: RouteContext): Project {
  const header = context.request.headers.get('authorization')
  const match = header === null ? null : /^api-key\s+(\S+)\s*$/i.exec(header)
  if (match === null) throw profileError(401, 'Missing Api-Key in Authorization header')
  const project = context.projects.bySecretKey(match[1]!)
  if (project === undefined) throw profileError(401, 'Invalid Api-Key')
  return project
}

function flag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name)
  return value !== null && value.toLowerCase() === 'true'
}

function idParameter(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name)
  if (value === null || value === '') return undefined
  if (value.length > MAX_ID_LENGTH)
    throw profileError(400, `${name} is longer than ${MAX_ID_LENGTH} characters`)
  return value
}

interface ProfileRow {
  amplitudeId: number
  userId: string | null
  deviceIds: string[]
  properties: Record<string, unknown>
}

/** The canonical profile a user id (first) or device id names, or undefined. */
async function findProfile(
  context: RouteContext,
  projectId: number,
  userId: string | undefined,
  deviceId: string | undefined,
): Promise<ProfileRow | undefined> {
  const lookups: [string, string][] = []
  if (userId !== undefined) lookups.push(['user_ids_current', userId])
  if (deviceId !== undefined) lookups.push(['device_ids_current', deviceId])
  for (const [table, id] of lookups) {
    const key = table === 'user_ids_current' ? 'user_id' : 'device_id'
    const rows = await context.store.selectRows(
      `SELECT p.amplitude_id, p.user_id, p.device_ids, p.user_properties
       FROM ${table} m
       JOIN users_current a ON a.project_id = m.project_id AND a.amplitude_id = m.amplitude_id
       JOIN users_current p ON p.project_id = a.project_id
         AND p.amplitude_id = coalesce(a.merged_into, a.amplitude_id)
       WHERE m.project_id = ? AND m.${key} = ?`,
      [projectId, id],
    )
    const row = rows[0]
    if (row !== undefined)
      return {
        amplitudeId: Number(row.amplitude_id),
        userId: (row.user_id as string | null) ?? null,
        deviceIds:
          typeof row.device_ids === 'string' ? (JSON.parse(row.device_ids) as string[]) : [],
        properties:
          typeof row.user_properties === 'string'
            ? (JSON.parse(row.user_properties) as Record<string, unknown>)
            : {},
      }
  }
  return undefined
}

async function handleProfile(context: RouteContext, cohorts: CohortService): Promise<Response> {
  if (context.request.method !== 'GET')
    throw new ApiError(405, { error: 'Method Not Allowed' }, { headers: { allow: 'GET' } })
  const project = authenticateApiKey(context)
  const { url } = context
  const userId = idParameter(url, 'user_id')
  const deviceId = idParameter(url, 'device_id')
  if (userId === undefined && deviceId === undefined)
    throw profileError(400, 'One of user_id or device_id is required')
  const profile = await findProfile(context, project.id, userId, deviceId)
  // The status of this answer is unconfirmed; 400 says "nothing to return for this request".
  if (profile === undefined) throw profileError(400, 'User id and device id not seen before')
  const wantsProps = flag(url, 'get_amp_props')
  const wantsComputations = flag(url, 'get_computations')
  const userData: UserProfileResponse['userData'] = {
    user_id: profile.userId,
    device_id: deviceId ?? profile.deviceIds.at(-1) ?? null,
    recommendations: null,
    // Computations travel inside amp_props; without computation models there are none to add.
    amp_props: wantsProps ? profile.properties : wantsComputations ? {} : null,
    // Amplitude lists only cohorts synced to the Profile API; locally every cohort counts as
    // synced. A behavioral cohort holds the members of its last computation (its last download).
    cohort_ids: flag(url, 'get_cohort_ids')
      ? await cohorts.cohortsOf(project.id, profile.amplitudeId)
      : null,
  }
  return jsonResponse(200, { userData } satisfies UserProfileResponse)
}

/** The profile route of one app. */
export function profileRoutes(cohorts: CohortService) {
  return {
    matches(path: string): boolean {
      return path === PATH
    },
    handle(context: RouteContext): Promise<Response> {
      return handleProfile(context, cohorts)
    },
  }
}
