/**
 * @module `GET /api/2/usersearch` and `GET /api/2/useractivity` (query-api.md §3.7, §3.8), behind
 * HTTP Basic auth with the project's API key and secret key (§1.2): 401 for a missing or malformed
 * header, 403 for keys that match no project (the split is unconfirmed; it is what clients handle
 * best: 401 means "send credentials", 403 "wrong credentials").
 */
import { ApiError } from '../errors.ts'
import type { Project } from '../projects.ts'
import { jsonResponse } from '../responses.ts'
import type { UserActivityQuery } from '../store/store.ts'
import type { RouteContext } from './context.ts'

const MAX_ACTIVITY_LIMIT = 1000

function unauthorized(): ApiError {
  return new ApiError(
    401,
    { code: 401, error: 'Missing or malformed Authorization header (expected HTTP Basic)' },
    { headers: { 'www-authenticate': 'Basic realm="ampkit"' } },
  )
}

/** The project named by the request's Basic credentials. */
export function authenticate(context: RouteContext): Project {
  const header = context.request.headers.get('authorization')
  if (header === null) throw unauthorized()
  const match = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header)
  if (match === null) throw unauthorized()
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) throw unauthorized()
  const project = context.projects.byCredentials(decoded.slice(0, colon), decoded.slice(colon + 1))
  if (project === undefined) throw new ApiError(403, { code: 403, error: 'Invalid API Key' })
  return project
}

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
