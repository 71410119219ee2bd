/**
 * @module `GET /api/2/realtime` (query-api.md §3.6): active users per 5 minutes, today and
 * yesterday, as of the server clock.
 */
import { projectTimeZone } from '../projects.ts'
import { realtimeData, realtimeQueryOf, sqlRealtime } from '../query/realtime/realtime.ts'
import type { RouteContext } from './context.ts'
import { dashboardResponse } from './dashboard-response.ts'
import { authenticate } from './inspect.ts'

export async function handleRealtime(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const nowMs = context.now()
  const query = realtimeQueryOf(
    context.url,
    { id: project.id, timeZone: projectTimeZone(project) },
    nowMs,
  )
  return dashboardResponse(realtimeData(await sqlRealtime(context.store, query)), nowMs)
}
