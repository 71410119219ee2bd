/**
 * @module `GET /api/2/usersearch` and `GET /api/2/useractivity` (query-api.md §3.7, §3.8), behind
 * HTTP Basic auth with the project's API key and secret key (`basic-auth.ts`).
 */
import { ApiError } from '../errors.ts'
import { jsonResponse } from '../responses.ts'
import type { UserActivityQuery } from '../store/store.ts'
import { authenticate } from './basic-auth.ts'
import type { RouteContext } from './context.ts'

/** Kept here too for routes that import it from this file. */
export { authenticate }

const MAX_ACTIVITY_LIMIT = 1000

function badParameter(message: string): ApiError {
  return new ApiError(400, { code: 400, error: message })
}

function requiredUser(url: URL): string {
  const user = url.searchParams.get('user')
  if (user === null || user.trim() === '') throw badParameter('Missing required parameter: user')
  return user.trim()
}

function integerParameter(url: URL, name: string, fallback: number, min: number): number {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === '') return fallback
  if (!/^-?\d+$/.test(raw) || Number(raw) < min)
    throw badParameter(`Invalid parameter ${name}: expected an integer >= ${min}`)
  return Number(raw)
}

/** `GET /api/2/usersearch?user=`: by Amplitude id, user id, device id or user id prefix. */
export async function handleUserSearch(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const result = await context.store.searchUsers(project.id, requiredUser(context.url))
  return jsonResponse(200, result)
}

/** `GET /api/2/useractivity?user=&offset=&limit=&direction=`. */
export async function handleUserActivity(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const { url } = context
  const user = requiredUser(url)
  if (!/^\d+$/.test(user) || !Number.isSafeInteger(Number(user)))
    throw badParameter('Invalid parameter user: expected an Amplitude ID')
  const direction = url.searchParams.get('direction') ?? 'latest'
  if (direction !== 'latest' && direction !== 'earliest')
    throw badParameter('Invalid parameter direction: expected latest or earliest')
  const query: UserActivityQuery = {
    amplitudeId: Number(user),
    offset: integerParameter(url, 'offset', 0, 0),
    // The doc caps `limit` at 1,000; a larger value is clamped rather than refused.
    limit: Math.min(integerParameter(url, 'limit', MAX_ACTIVITY_LIMIT, 1), MAX_ACTIVITY_LIMIT),
    direction,
  }
  const result = await context.store.userActivity(project.id, query)
  // An unknown Amplitude id: the real answer is unconfirmed; 404 with the usual JSON shape tells a
  // client plainly that there is no such user, where an empty 200 would look like a user with no
  // events.
  if (result === undefined) throw new ApiError(404, { code: 404, error: 'User not found' })
  return jsonResponse(200, result)
}
