/**
 * @module `GET /api/2/retention` (query-api.md §3.5): the typed query from the wire parameters, its
 * plan at the server clock (which cells are complete), the DuckDB statement, the Dashboard envelope.
 */

import { projectTimeZone } from '../projects.ts'
import { resolveCohorts } from '../query/cohort-members.ts'
import { retentionPlan } from '../query/retention/plan.ts'
import { retentionQueryOf } from '../query/retention/query.ts'
import { retentionData } from '../query/retention/result.ts'
import { sqlRetention } from '../query/retention/sql.ts'
import type { RouteContext } from './context.ts'
import { dashboardResponse } from './dashboard-response.ts'
import { authenticate } from './inspect.ts'

/** Answers a retention query over the project's stored events. */
export async function handleRetention(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const parsed = retentionQueryOf(context.url, {
    projectId: project.id,
    timeZone: projectTimeZone(project),
  })
  const cohorts = await resolveCohorts(parsed.segments, project.id, context.cohorts)
  const query = { ...parsed, cohorts }
  const nowMs = context.now()
  const plan = retentionPlan(query, nowMs)
  const counts = await sqlRetention(context.store, query, plan, { nowMs })
  return dashboardResponse(retentionData(query, plan, counts), nowMs)
}
