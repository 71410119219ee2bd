/**
 * @module `GET /api/2/sessions/length`, `/average` and `/peruser` (query-api.md §3.6,
 * analytics-semantics.md §1.6) over the project's stored events.
 */
import { projectTimeZone } from '../projects.ts'
import { type SessionsQuery, sessionsQueryOf } from '../query/sessions/query.ts'
import { sessionsData } from '../query/sessions/result.ts'
import { sqlSessions } from '../query/sessions/sql.ts'
import type { RouteContext } from './context.ts'
import { dashboardResponse } from './dashboard-response.ts'
import { authenticate } from './inspect.ts'

async function answer(context: RouteContext, metric: SessionsQuery['metric']): Promise<Response> {
  const project = authenticate(context)
  const query = sessionsQueryOf(context.url, metric, {
    id: project.id,
    timeZone: projectTimeZone(project),
  })
  return dashboardResponse(
    sessionsData(query, await sqlSessions(context.store, query)),
    context.now(),
  )
}

/** `GET /api/2/sessions/length`: sessions per length bin. */
export function handleSessionLength(context: RouteContext): Promise<Response> {
  return answer(context, 'length')
}

/** `GET /api/2/sessions/average`: mean session length per day, in seconds. */
export function handleSessionAverage(context: RouteContext): Promise<Response> {
  return answer(context, 'average')
}

/** `GET /api/2/sessions/peruser`: sessions per active user per day. */
export function handleSessionsPerUser(context: RouteContext): Promise<Response> {
  return answer(context, 'peruser')
}
