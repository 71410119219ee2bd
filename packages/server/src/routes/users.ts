/**
 * @module `GET /api/2/users` (query-api.md §3.6): active or new users per interval, per segment or
 * group, over the project's stored events.
 */
import { projectTimeZone } from '../projects.ts'
import { resolveCohorts } from '../query/cohort-members.ts'
import { usersQueryOf } from '../query/users/query.ts'
import { usersData } from '../query/users/result.ts'
import { sqlUsers } from '../query/users/sql.ts'
import type { RouteContext } from './context.ts'
import { dashboardResponse } from './dashboard-response.ts'
import { authenticate } from './inspect.ts'

/** Answers an active/new users query. */
export async function handleUsers(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const parsed = usersQueryOf(context.url, { id: project.id, timeZone: projectTimeZone(project) })
  const query = {
    ...parsed,
    cohorts: await resolveCohorts(parsed.segments, project.id, context.cohorts),
  }
  return dashboardResponse(usersData(query, await sqlUsers(context.store, query)), context.now())
}
