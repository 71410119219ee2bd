/**
 * @module The User Profile API (query-api.md §5.1): `GET /v1/userprofile` on its own host, with
 * `Authorization: Api-Key <secret key>`. An unknown user (`User id and device id not seen before`) is a
 * `NotFoundError`, whatever status carries it.
 */
import type { UserProfileResponse } from '@ampkit/protocol'
import { BadRequestError, NotFoundError, ParameterError, ProtocolError } from '../errors.ts'
import { safeUrl } from '../http/safe-url.ts'
import type { Transport } from '../http/transport.ts'

/** What to look up (`userId` or `deviceId`) and what to include. */
export interface UserProfileQuery {
  userId?: string
  deviceId?: string
  /** `get_amp_props`: user properties. */
  ampProps?: boolean
  /** `get_cohort_ids`: Profile-API-synced cohorts the user is in. */
  cohortIds?: boolean
  /** `get_computations` (all) or `comp_id` (these). */
  computations?: boolean | readonly string[]
  /** `get_recs` + `rec_id` (comma list) + `rec_type`. */
  recommendations?: { ids: readonly string[]; type?: 'model' | 'random' }
  /** `get_propensity` + `prediction_id` + `propensity_type`. */
  propensity?: { predictionId: string; type?: 'score' | 'pct' }
  signal?: AbortSignal
}

const NOT_SEEN = /not seen before/i

export async function getUserProfile(
  transport: Transport,
  query: UserProfileQuery,
): Promise<UserProfileResponse> {
  const params: [string, string][] = []
  if (query.userId !== undefined && query.userId !== '') params.push(['user_id', query.userId])
  if (query.deviceId !== undefined && query.deviceId !== '')
    params.push(['device_id', query.deviceId])
  if (params.length === 0)
    throw new ParameterError('getUserProfile', 'userId', 'or deviceId is required')
  if (query.ampProps) params.push(['get_amp_props', 'true'])
  if (query.cohortIds) params.push(['get_cohort_ids', 'true'])
  if (query.computations === true) params.push(['get_computations', 'true'])
  else if (Array.isArray(query.computations) && query.computations.length > 0)
    params.push(['comp_id', query.computations.join(',')])
  if (query.recommendations !== undefined) {
    if (query.recommendations.ids.length === 0)
      throw new ParameterError('getUserProfile', 'recommendations.ids', 'needs at least one id')
    params.push(['get_recs', 'true'], ['rec_id', query.recommendations.ids.join(',')])
    if (query.recommendations.type !== undefined)
      params.push(['rec_type', query.recommendations.type])
  }
  if (query.propensity !== undefined) {
    params.push(['get_propensity', 'true'], ['prediction_id', query.propensity.predictionId])
    if (query.propensity.type !== undefined) params.push(['propensity_type', query.propensity.type])
  }
  const spec = {
    method: 'GET' as const,
    path: '/v1/userprofile',
    api: 'profile' as const,
    query: params,
    acceptStatuses: [400, 404],
    ...(query.signal !== undefined && { signal: query.signal }),
  }
  const { status, body } = await transport.json<UserProfileResponse | { error?: unknown }>(spec)
  const context = { method: 'GET', url: safeUrl(transport.urlFor(spec)), status }
  const error = (body as { error?: unknown }).error
  if (typeof error === 'string') {
    const message = `GET /v1/userprofile failed: ${status} ${error}`
    if (NOT_SEEN.test(error) || status === 404)
      throw new NotFoundError(message, { ...context, body: error })
    throw new BadRequestError(message, { ...context, body: error })
  }
  if (status !== 200 || typeof (body as UserProfileResponse).userData !== 'object')
    throw new ProtocolError(`GET /v1/userprofile failed: ${status} without userData`, {
      ...context,
      body: JSON.stringify(body).slice(0, 512),
    })
  return body as UserProfileResponse
}
