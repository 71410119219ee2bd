/**
 * @module `GET /api/2/events/segmentation` (query-api.md §3.3) on the local server: Basic auth as
 * every Dashboard REST route, the query parsed and checked (400 naming the parameter), cohorts of
 * `userdata_cohort` segments resolved, then the DuckDB engine, shaped into Amplitude's `data`.
 */
import { projectTimeZone } from '../projects.ts'
import { resolveCohorts } from '../query/cohort-members.ts'
import { segmentationQueryOf } from '../query/segmentation/query.ts'
import { segmentationResult } from '../query/segmentation/result.ts'
import { segmentationAggregatesSql } from '../query/segmentation/sql.ts'
import type { RouteContext } from './context.ts'
import { dashboardResponse } from './dashboard-response.ts'
import { authenticate } from './inspect.ts'

/** Answers one Event Segmentation request. */
export async function handleSegmentation(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const query = segmentationQueryOf(context.url, {
    id: project.id,
    timeZone: projectTimeZone(project),
  })
  const cohorts = await resolveCohorts(query.segments, project.id, context.cohorts)
  const aggregates = await segmentationAggregatesSql(context.store, query, cohorts)
  return dashboardResponse(segmentationResult(query, aggregates), context.now())
}
