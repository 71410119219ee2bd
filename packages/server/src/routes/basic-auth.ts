/**
 * @module HTTP Basic auth of the query and export APIs (query-api.md §1.2): username = the project's
 * API key, password = its secret key. 401 for a missing or malformed header, 403 `Invalid API Key`
 * for keys that match no project (the split is unconfirmed; it is what clients handle best: 401
 * means "send credentials", 403 "wrong credentials").
 */
import { ApiError } from '../errors.ts'
import type { Project } from '../projects.ts'
import type { RouteContext } from './context.ts'

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
