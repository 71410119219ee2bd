/**
 * @module Cohorts in the server's metadata tables: `ampkit_cohorts` (one row per cohort) and
 * `ampkit_cohort_members` (canonical Amplitude ids: the uploaded members of a static cohort, the last
 * computation of a behavioral one), and `ampkit_cohort_group_members` (the same for group cohorts:
 * group values of the cohort's count group). Written through `store.writeSql` (one transaction, in turn with
 * ingestion), read through `store.selectRows`. Id lists travel as one JSON parameter, so a
 * two-million-member upload is one statement, not two million.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CohortDefinition } from '@ampkit/protocol'
import type { SqlStatement, SqlValue, Store } from '../store/store.ts'
import type { CohortReference } from './cohort-definition.ts'
import { COHORT_GROUP_MEMBERS_TABLE, COHORT_MEMBERS_TABLE } from './cohort-sql.ts'

const COHORTS_TABLE = 'ampkit_cohorts'

/** Whether a cohort counts group values (query-api.md §4: count group other than `User`). */
export function isGroupCohort(cohort: { countGroup: string }): boolean {
  return cohort.countGroup !== 'User'
}

/**
 * The dialect of the members file, spelled out on both sides instead of sniffed: group values may
 * hold any character (a `;` in every value would be sniffed as the delimiter), and every value is
 * quoted so that an empty string stays an empty string, not NULL.
 */
const MEMBER_FILE_COPY_OPTIONS = `FORMAT CSV, HEADER false, DELIMITER ',', QUOTE '"', ESCAPE '"', FORCE_QUOTE *`
const MEMBER_FILE_READ_OPTIONS = `header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false`

/** A SQL string literal (for the file path of a COPY, which takes no parameter there). */
const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`

/** Statements that create the cohort tables (idempotent). */
export const COHORT_TABLE_STATEMENTS: readonly SqlStatement[] = [
  {
    sql: `CREATE TABLE IF NOT EXISTS ${COHORTS_TABLE} (project_id INTEGER, id VARCHAR, name VARCHAR,
      description VARCHAR, kind VARCHAR, definition VARCHAR, owners VARCHAR, published BOOLEAN,
      archived BOOLEAN, count_group VARCHAR, size BIGINT, created_ms BIGINT, modified_ms BIGINT,
      computed_ms BIGINT)`,
  },
  {
    sql: `CREATE TABLE IF NOT EXISTS ${COHORT_MEMBERS_TABLE} (project_id INTEGER, cohort_id VARCHAR,
      amplitude_id BIGINT)`,
  },
  {
    sql: `CREATE TABLE IF NOT EXISTS ${COHORT_GROUP_MEMBERS_TABLE} (project_id INTEGER,
      cohort_id VARCHAR, group_value VARCHAR)`,
  },
]

/** A stored cohort. */
export interface CohortRecord {
  projectId: number
  id: string
  name: string
  description: string | null
  /** `static`: uploaded members; `behavioral`: computed from `definition`. */
  kind: 'static' | 'behavioral'
  definition: CohortDefinition | null
  owners: string[]
  published: boolean
  archived: boolean
  countGroup: string
  /** Members at the last upload, membership change or computation. */
  size: number
  createdMs: number
  modifiedMs: number
  /** When the members were last computed or set, ms; null before a behavioral cohort's first run. */
  computedMs: number | null
}

function recordOf(row: Record<string, unknown>): CohortRecord {
  return {
    projectId: Number(row.project_id),
    id: String(row.id),
    name: String(row.name),
    description: (row.description as string | null) ?? null,
    kind: row.kind === 'behavioral' ? 'behavioral' : 'static',
    definition:
      typeof row.definition === 'string' ? (JSON.parse(row.definition) as CohortDefinition) : null,
    owners: typeof row.owners === 'string' ? (JSON.parse(row.owners) as string[]) : [],
    published: row.published === true,
    archived: row.archived === true,
    countGroup: String(row.count_group ?? 'User'),
    size: Number(row.size ?? 0),
    createdMs: Number(row.created_ms),
    modifiedMs: Number(row.modified_ms),
    computedMs: row.computed_ms === null ? null : Number(row.computed_ms),
  }
}

/** `INSERT … SELECT` of a JSON array of ids, de-duplicated. */
function insertMembers(projectId: number, cohortId: string, members: readonly number[]) {
  return {
    sql: `INSERT INTO ${COHORT_MEMBERS_TABLE}
      SELECT DISTINCT ?::INTEGER, ?, unnest(from_json(?, '["BIGINT"]'))`,
    params: [projectId, cohortId, JSON.stringify(members)],
  } satisfies SqlStatement
}

/** `INSERT … SELECT` of a JSON array of group values, de-duplicated. */
function insertGroupMembers(projectId: number, cohortId: string, values: readonly string[]) {
  return {
    sql: `INSERT INTO ${COHORT_GROUP_MEMBERS_TABLE}
      SELECT DISTINCT ?::INTEGER, ?, unnest(from_json(?, '["VARCHAR"]'))`,
    params: [projectId, cohortId, JSON.stringify(values)],
  } satisfies SqlStatement
}

/** The insert of a cohort's members into the table of its count group. */
function membersInsert(cohort: CohortRecord, members: readonly number[] | readonly string[]) {
  return isGroupCohort(cohort)
    ? insertGroupMembers(cohort.projectId, cohort.id, members.map(String))
    : insertMembers(cohort.projectId, cohort.id, members.map(Number))
}

/** Access to the cohort tables of one store. */
export class CohortRepository {
  readonly #store: Store
  #ready: Promise<void> | undefined

  constructor(store: Store) {
    this.#store = store
  }

  /** Creates the tables once (a failure is retried by the next call). */
  ready(): Promise<void> {
    this.#ready ??= this.#store.writeSql(COHORT_TABLE_STATEMENTS).catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  async #select(sql: string, params: readonly SqlValue[]) {
    await this.ready()
    return this.#store.selectRows(sql, params)
  }

  async #write(statements: readonly SqlStatement[]): Promise<void> {
    await this.ready()
    await this.#store.writeSql(statements)
  }

  async list(projectId: number): Promise<CohortRecord[]> {
    const rows = await this.#select(
      `SELECT * FROM ${COHORTS_TABLE} WHERE project_id = ? ORDER BY created_ms, id`,
      [projectId],
    )
    return rows.map(recordOf)
  }

  async get(projectId: number, id: string): Promise<CohortRecord | undefined> {
    const rows = await this.#select(
      `SELECT * FROM ${COHORTS_TABLE} WHERE project_id = ? AND id = ?`,
      [projectId, id],
    )
    return rows[0] === undefined ? undefined : recordOf(rows[0])
  }

  /** A resolver of `in_cohort` references over the project's cohorts as they are now. */
  async resolver(projectId: number): Promise<(id: string) => CohortReference> {
    const byId = new Map((await this.list(projectId)).map((c) => [c.id, c]))
    return (id) => {
      const cohort = byId.get(id)
      if (cohort === undefined) return undefined
      if (cohort.kind === 'behavioral' && cohort.definition !== null)
        return { kind: 'behavioral', definition: cohort.definition }
      return { kind: 'static', countGroup: cohort.countGroup }
    }
  }

  /** Stores a new cohort with its members (Amplitude ids, or group values for a group cohort). */
  async insert(
    cohort: CohortRecord,
    members: readonly number[] | readonly string[],
  ): Promise<void> {
    await this.#write([
      {
        sql: `INSERT INTO ${COHORTS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [
          cohort.projectId,
          cohort.id,
          cohort.name,
          cohort.description,
          cohort.kind,
          cohort.definition === null ? null : JSON.stringify(cohort.definition),
          JSON.stringify(cohort.owners),
          cohort.published,
          cohort.archived,
          cohort.countGroup,
          new Set<number | string>(members).size,
          cohort.createdMs,
          cohort.modifiedMs,
          cohort.computedMs,
        ],
      },
      membersInsert(cohort, members),
    ])
  }

  /** Rewrites a cohort's row (all fields but id and project) and, when given, its members. */
  async update(
    cohort: CohortRecord,
    members?: readonly number[] | readonly string[],
  ): Promise<void> {
    const statements: SqlStatement[] = [
      {
        sql: `UPDATE ${COHORTS_TABLE} SET name = ?, description = ?, kind = ?, definition = ?,
          owners = ?, published = ?, archived = ?, count_group = ?, size = ?, modified_ms = ?,
          computed_ms = ? WHERE project_id = ? AND id = ?`,
        params: [
          cohort.name,
          cohort.description,
          cohort.kind,
          cohort.definition === null ? null : JSON.stringify(cohort.definition),
          JSON.stringify(cohort.owners),
          cohort.published,
          cohort.archived,
          cohort.countGroup,
          members === undefined ? cohort.size : new Set<number | string>(members).size,
          cohort.modifiedMs,
          cohort.computedMs,
          cohort.projectId,
          cohort.id,
        ],
      },
    ]
    if (members !== undefined) {
      // Both member tables are cleared: a replaced upload may change the count group.
      statements.push(
        {
          sql: `DELETE FROM ${COHORT_MEMBERS_TABLE} WHERE project_id = ? AND cohort_id = ?`,
          params: [cohort.projectId, cohort.id],
        },
        {
          sql: `DELETE FROM ${COHORT_GROUP_MEMBERS_TABLE} WHERE project_id = ? AND cohort_id = ?`,
          params: [cohort.projectId, cohort.id],
        },
        membersInsert(cohort, members),
      )
    }
    await this.#write(statements)
  }

  /** Adds and removes members (in this order) and refreshes the size, in one transaction. */
  async changeMembers(
    cohort: CohortRecord,
    changes: readonly { add: boolean; ids: readonly number[] | readonly string[] }[],
    modifiedMs: number,
  ): Promise<void> {
    const { projectId, id } = cohort
    const [table, column, type] = isGroupCohort(cohort)
      ? [COHORT_GROUP_MEMBERS_TABLE, 'group_value', 'VARCHAR']
      : [COHORT_MEMBERS_TABLE, 'amplitude_id', 'BIGINT']
    const statements: SqlStatement[] = []
    for (const change of changes) {
      const list = JSON.stringify(change.ids)
      statements.push({
        sql: `DELETE FROM ${table} WHERE project_id = ? AND cohort_id = ?
          AND ${column} IN (SELECT unnest(from_json(?, '["${type}"]')))`,
        params: [projectId, id, list],
      })
      if (change.add) statements.push(membersInsert(cohort, change.ids))
    }
    statements.push({
      sql: `UPDATE ${COHORTS_TABLE} SET modified_ms = ?, computed_ms = ?, size = (
          SELECT count(*) FROM ${table} WHERE project_id = ? AND cohort_id = ?)
        WHERE project_id = ? AND id = ?`,
      params: [modifiedMs, modifiedMs, projectId, id, projectId, id],
    })
    await this.#write(statements)
  }

  /**
   * Replaces a behavioral cohort's members with the rows of its compiled query (`cohort-sql.ts`,
   * `$n` parameters) inside the database, so no id list passes through memory, and records the
   * computation time and the new size.
   */
  async replaceMembersFrom(
    cohort: CohortRecord,
    query: { sql: string; params: readonly SqlValue[] },
    computedMs: number,
  ): Promise<void> {
    const { projectId, id } = cohort
    const [table, column, type] = isGroupCohort(cohort)
      ? [COHORT_GROUP_MEMBERS_TABLE, 'group_value', 'VARCHAR']
      : [COHORT_MEMBERS_TABLE, 'amplitude_id', 'BIGINT']
    // The members are computed on a read connection into a file of ids, and only loading that file
    // runs in the write pipeline: computing a large behavioral cohort there held up ingestion for
    // as long as the query ran (seconds on millions of events). The file is private and removed.
    const dir = await mkdtemp(join(tmpdir(), 'ampkit-cohort-members-'))
    const file = join(dir, 'members.csv')
    try {
      await this.#select(
        `COPY (SELECT DISTINCT ${column} FROM (${query.sql})) TO ${sqlString(file)}
          (${MEMBER_FILE_COPY_OPTIONS})`,
        query.params,
      )
      await this.#write([
        {
          sql: `DELETE FROM ${COHORT_MEMBERS_TABLE} WHERE project_id = ? AND cohort_id = ?`,
          params: [projectId, id],
        },
        {
          sql: `DELETE FROM ${COHORT_GROUP_MEMBERS_TABLE} WHERE project_id = ? AND cohort_id = ?`,
          params: [projectId, id],
        },
        {
          sql: `INSERT INTO ${table}
            SELECT ?::INTEGER, ?, ${column}
            FROM read_csv(?, ${MEMBER_FILE_READ_OPTIONS}, columns = {'${column}': '${type}'})`,
          params: [projectId, id, file],
        },
        {
          sql: `UPDATE ${COHORTS_TABLE} SET computed_ms = ?, size = (
              SELECT count(*) FROM ${table} WHERE project_id = ? AND cohort_id = ?)
            WHERE project_id = ? AND id = ?`,
          params: [computedMs, projectId, id, projectId, id],
        },
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** The user property keys the members carry (for `props=1` without `propKeys`), unordered. */
  async memberPropertyKeys(projectId: number, cohortId: string): Promise<string[]> {
    const rows = await this.#select(
      `SELECT DISTINCT unnest(json_keys(u.user_properties)) AS k FROM users_current u
       SEMI JOIN ${COHORT_MEMBERS_TABLE} m ON m.project_id = u.project_id
         AND m.amplitude_id = u.amplitude_id AND m.cohort_id = ?
       WHERE u.project_id = ? AND json_type(u.user_properties) = 'OBJECT'`,
      [cohortId, projectId],
    )
    return rows.map((r) => String(r.k))
  }

  /**
   * The members' profiles in id order, streamed in chunks of rows (`amplitude_id`, `user_id`,
   * `device_ids`, `user_properties` as JSON text): the rows of the download file.
   */
  async *memberProfiles(
    projectId: number,
    cohortId: string,
  ): AsyncGenerator<Record<string, unknown>[]> {
    await this.ready()
    yield* this.#store.streamRows(
      `SELECT u.amplitude_id, u.user_id, u.device_ids, u.user_properties FROM users_current u
       SEMI JOIN ${COHORT_MEMBERS_TABLE} m ON m.project_id = u.project_id
         AND m.amplitude_id = u.amplitude_id AND m.cohort_id = ?
       WHERE u.project_id = ? ORDER BY u.amplitude_id`,
      [cohortId, projectId],
    )
  }

  /** The group property keys a group cohort's members carry (`props=1`), unordered. */
  async groupMemberPropertyKeys(cohort: CohortRecord): Promise<string[]> {
    const rows = await this.#select(
      `SELECT DISTINCT unnest(json_keys(g.group_properties)) AS k FROM group_profiles_current g
       SEMI JOIN ${COHORT_GROUP_MEMBERS_TABLE} m ON m.project_id = g.project_id
         AND m.group_value = g.group_value AND m.cohort_id = ?
       WHERE g.project_id = ? AND g.group_type = ? AND json_type(g.group_properties) = 'OBJECT'`,
      [cohort.id, cohort.projectId, cohort.countGroup],
    )
    return rows.map((r) => String(r.k))
  }

  /**
   * A group cohort's members in value order, streamed in chunks of rows (`group_value`,
   * `group_properties` as JSON text or null when the group has no profile).
   */
  async *groupMemberProfiles(cohort: CohortRecord): AsyncGenerator<Record<string, unknown>[]> {
    await this.ready()
    yield* this.#store.streamRows(
      `SELECT m.group_value, g.group_properties FROM ${COHORT_GROUP_MEMBERS_TABLE} m
       LEFT JOIN group_profiles_current g ON g.project_id = m.project_id
         AND g.group_type = ? AND g.group_value = m.group_value
       WHERE m.project_id = ? AND m.cohort_id = ? ORDER BY m.group_value`,
      [cohort.countGroup, cohort.projectId, cohort.id],
    )
  }

  /** The members that are still users of the project (deleted users drop out). */
  async members(projectId: number, cohortId: string): Promise<number[]> {
    const rows = await this.#select(
      `SELECT m.amplitude_id FROM ${COHORT_MEMBERS_TABLE} m
       JOIN users_current u ON u.project_id = m.project_id AND u.amplitude_id = m.amplitude_id
       WHERE m.project_id = ? AND m.cohort_id = ? ORDER BY 1`,
      [projectId, cohortId],
    )
    return rows.map((r) => Number(r.amplitude_id))
  }

  /** Ids of the cohorts that hold `amplitudeId` (static members, last computed behavioral ones). */
  async cohortsOf(projectId: number, amplitudeId: number): Promise<string[]> {
    const rows = await this.#select(
      `SELECT DISTINCT m.cohort_id FROM ${COHORT_MEMBERS_TABLE} m
       JOIN ${COHORTS_TABLE} c ON c.project_id = m.project_id AND c.id = m.cohort_id
       WHERE m.project_id = ? AND m.amplitude_id = ? ORDER BY 1`,
      [projectId, amplitudeId],
    )
    return rows.map((r) => String(r.cohort_id))
  }

  /** Drops deleted users from every cohort of the project and refreshes the sizes. */
  async removeUsers(projectId: number, amplitudeIds: readonly number[]): Promise<void> {
    if (amplitudeIds.length === 0) return
    await this.#write([
      {
        sql: `DELETE FROM ${COHORT_MEMBERS_TABLE} WHERE project_id = ?
          AND amplitude_id IN (SELECT unnest(from_json(?, '["BIGINT"]')))`,
        params: [projectId, JSON.stringify(amplitudeIds)],
      },
      {
        sql: `UPDATE ${COHORTS_TABLE} SET size = (SELECT count(*) FROM ${COHORT_MEMBERS_TABLE} m
            WHERE m.project_id = ${COHORTS_TABLE}.project_id AND m.cohort_id = ${COHORTS_TABLE}.id)
          WHERE project_id = ?`,
        params: [projectId],
      },
    ])
  }
}
