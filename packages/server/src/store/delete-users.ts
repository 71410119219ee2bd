/**
 * @module The SQL of a user deletion (User Privacy API, query-api.md §5.2): every event, every
 * profile version and every id mapping of the users, including the anonymous Amplitude ids merged
 * into them, so the users are gone from user search, user activity, export and every query.
 */
import type { SqlStatement } from './store.ts'

/** A profile as the deletion needs it: its canonical id and the ids merged into it. */
export interface DeletableProfile {
  projectId: number
  amplitudeId: number
  mergedAmplitudeIds: readonly number[]
}

/** Which rows a deletion removes. */
export interface UserDeletionPlan {
  /** Canonical Amplitude ids of the users deleted, in request order, without repeats. */
  deleted: number[]
  /** Requested ids that name no user of the project. */
  unknown: number[]
  /** Every Amplitude id whose rows go: the canonical ids and the ids merged into them. */
  rowIds: number[]
}

/**
 * Resolves requested Amplitude ids (canonical or merged) to the users they stand for. An id of a
 * merged anonymous profile deletes the user it was merged into: it is the same person.
 */
export function planUserDeletion(
  projectId: number,
  amplitudeIds: readonly number[],
  canonical: (amplitudeId: number) => DeletableProfile | undefined,
): UserDeletionPlan {
  const deleted: number[] = []
  const unknown: number[] = []
  const rowIds = new Set<number>()
  for (const id of amplitudeIds) {
    const profile = Number.isSafeInteger(id) ? canonical(id) : undefined
    if (profile === undefined || profile.projectId !== projectId) {
      if (!unknown.includes(id)) unknown.push(id)
      continue
    }
    if (deleted.includes(profile.amplitudeId)) continue
    deleted.push(profile.amplitudeId)
    rowIds.add(profile.amplitudeId)
    for (const merged of profile.mergedAmplitudeIds) rowIds.add(merged)
  }
  return { deleted, unknown, rowIds: [...rowIds] }
}

/**
 * The statements that delete the plan's rows; run them in one transaction. The id maps are version
 * logs: a key whose *current* version names a deleted user loses every version (an older one must
 * not resurface as current), and leftover superseded rows naming a deleted id go too.
 */
export function deleteUsersStatements(
  projectId: number,
  rowIds: readonly number[],
): SqlStatement[] {
  if (rowIds.length === 0) return []
  const list = rowIds.map(() => '?').join(', ')
  const ids = [...rowIds]
  const statements: SqlStatement[] = [
    {
      sql: `DELETE FROM events WHERE project_id = ? AND amplitude_id IN (${list})`,
      params: [projectId, ...ids],
    },
  ]
  for (const [table, key] of [
    ['user_ids', 'user_id'],
    ['device_ids', 'device_id'],
  ] as const) {
    statements.push(
      {
        sql: `DELETE FROM ${table} WHERE project_id = ? AND ${key} IN (
          SELECT ${key} FROM ${table}_current WHERE project_id = ? AND amplitude_id IN (${list}))`,
        params: [projectId, projectId, ...ids],
      },
      {
        sql: `DELETE FROM ${table} WHERE project_id = ? AND amplitude_id IN (${list})`,
        params: [projectId, ...ids],
      },
    )
  }
  statements.push({
    sql: `DELETE FROM users WHERE project_id = ? AND amplitude_id IN (${list})`,
    params: [projectId, ...ids],
  })
  // The users' advertising ids, and every log row of the attributions applied to them (the row
  // that held one too, or it would be held again at the next open).
  statements.push(
    {
      sql: `DELETE FROM advertising_ids WHERE project_id = ? AND (id_type, id_value) IN (
        SELECT (id_type, id_value) FROM advertising_ids_current
        WHERE project_id = ? AND amplitude_id IN (${list}))`,
      params: [projectId, projectId, ...ids],
    },
    {
      sql: `DELETE FROM advertising_ids WHERE project_id = ? AND amplitude_id IN (${list})`,
      params: [projectId, ...ids],
    },
    {
      sql: `DELETE FROM attributions WHERE project_id = ? AND uuid IN (
        SELECT uuid FROM attributions WHERE project_id = ? AND amplitude_id IN (${list}))`,
      params: [projectId, projectId, ...ids],
    },
  )
  // No id-floor row: the highest id ever issued is kept in `ampkit_meta` as ids are issued
  // (`amplitude-id-floor.ts`), so a deleted user's id is never reissued after a restart.
  return statements
}
