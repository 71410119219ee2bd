/** @module `GET /api/2/revenue/ltv` (query-api.md §3.6): revenue lifetime value per new-user cohort. */
import { projectTimeZone } from '../projects.ts'
import { resolveCohorts } from '../query/cohort-members.ts'
import { revenueLtvQueryOf } from '../query/revenue/query.ts'
import { revenueLtvData } from '../query/revenue/result.ts'
import { sqlRevenueLtv } from '../query/revenue/sql.ts'
import type { RouteContext } from './context.ts'
import { dashboardResponse } from './dashboard-response.ts'
import { authenticate } from './inspect.ts'

export async function handleRevenueLtv(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const parsed = revenueLtvQueryOf(context.url, {
    id: project.id,
    timeZone: projectTimeZone(project),
  })
  const query = {
    ...parsed,
    cohorts: await resolveCohorts(parsed.segments, project.id, context.cohorts),
  }
  const counts = await sqlRevenueLtv(context.store, query)
  return dashboardResponse(revenueLtvData(query, counts), context.now())
}
