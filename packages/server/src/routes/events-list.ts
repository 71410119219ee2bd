/** @module `GET /api/2/events/list` (query-api.md §3.6): the project's event types. */
import { eventsList } from '../query/events-list/events-list.ts'
import type { RouteContext } from './context.ts'
import { dashboardResponse } from './dashboard-response.ts'
import { authenticate } from './inspect.ts'

export async function handleEventsList(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const nowMs = context.now()
  return dashboardResponse(await eventsList(context.store, project.id, nowMs), nowMs)
}
