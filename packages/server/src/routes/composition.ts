/** @module `GET /api/2/composition` (query-api.md §3.6): users per value of a user property. */
import { projectTimeZone } from '../projects.ts'
import {
  compositionData,
  compositionQueryOf,
  sqlComposition,
} from '../query/composition/composition.ts'
import type { RouteContext } from './context.ts'
import { dashboardResponse } from './dashboard-response.ts'
import { authenticate } from './inspect.ts'

export async function handleComposition(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const query = compositionQueryOf(context.url, {
    id: project.id,
    timeZone: projectTimeZone(project),
  })
  const counts = await sqlComposition(context.store, query)
  return dashboardResponse(compositionData(query, counts), context.now())
}
