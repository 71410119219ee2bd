/**
 * @module `GET /api/2/funnels` (query-api.md §3.4): the typed query from the wire parameters, the
 * DuckDB statement, the answer shaped per segment and group, in the Dashboard envelope.
 */
import { projectTimeZone } from '../projects.ts'
import { resolveCohorts } from '../query/cohort-members.ts'
import { parseFunnelQuery } from '../query/funnels/query.ts'
import { funnelSeries } from '../query/funnels/result.ts'
import { runFunnelSql } from '../query/funnels/sql.ts'
import { authenticate } from './basic-auth.ts'
import type { RouteContext } from './context.ts'
import { dashboardResponse } from './dashboard-response.ts'

/** Answers a funnel query over the project's stored events. */
export async function handleFunnels(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const query = parseFunnelQuery(context.url, projectTimeZone(project))
  const cohorts = await resolveCohorts(query.segments, project.id, context.cohorts)
  const groups = await runFunnelSql(context.store, project.id, query, cohorts)
  return dashboardResponse(funnelSeries(query, groups), context.now())
}
