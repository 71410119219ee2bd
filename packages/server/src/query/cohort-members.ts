/**
 * @module Cohort membership for segments (`userdata_cohort`): the ids a query names are resolved to
 * their members before it runs, so the SQL engines and the reference evaluators see the same sets.
 */
import type { CohortMembers, Segment } from './ir.ts'
import { queryError } from './params.ts'

/** Where cohort members come from (the server's cohort store implements it). */
export interface CohortResolver {
  /** The user keys (canonical Amplitude ids) of a cohort, or undefined for an unknown id. */
  members(projectId: number, cohortId: string): Promise<ReadonlySet<number> | undefined>
}

/** The cohort ids the segments name. */
export function cohortIdsOf(segments: readonly Segment[]): string[] {
  const ids = new Set<string>()
  for (const segment of segments) {
    for (const condition of segment.conditions) {
      if (condition.kind === 'cohort') for (const id of condition.cohortIds) ids.add(id)
    }
  }
  return [...ids]
}

/** Members of every cohort the segments name; an unknown cohort id is a 400. */
export async function resolveCohorts(
  segments: readonly Segment[],
  projectId: number,
  resolver: CohortResolver | undefined,
): Promise<CohortMembers> {
  const members = new Map<string, ReadonlySet<number>>()
  for (const id of cohortIdsOf(segments)) {
    const set = resolver === undefined ? undefined : await resolver.members(projectId, id)
    if (set === undefined)
      throw queryError(`Invalid parameter s: unknown cohort ${JSON.stringify(id)}`)
    members.set(id, set)
  }
  return members
}
