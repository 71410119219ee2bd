/**
 * @module The Taxonomy API's records (query-api.md §5.3) in the metadata table `ampkit_taxonomy`: one
 * row per (project, kind, scope, name), its fields as JSON, soft-deleted by a flag (`showDeleted`
 * lists them, `restore` clears it). `scope` is the event type of an event property ('' for a
 * property shared by every event) and the group type of a group property. Mutations of one app run
 * one at a time, so "create unless it exists" cannot race with itself.
 */
import type { SqlStatement, Store } from '../store/store.ts'

const TABLE = 'ampkit_taxonomy'

const TABLE_STATEMENTS: readonly SqlStatement[] = [
  {
    sql: `CREATE TABLE IF NOT EXISTS ${TABLE} (project_id INTEGER, kind VARCHAR, scope VARCHAR,
      name VARCHAR, id BIGINT, data VARCHAR, deleted BOOLEAN, created_ms BIGINT, modified_ms BIGINT)`,
  },
]

/** The resources of the Taxonomy API. */
export type TaxonomyKind =
  | 'category'
  | 'event'
  | 'event-property'
  | 'user-property'
  | 'group-property'

/** One stored record. */
export interface TaxonomyRecord {
  kind: TaxonomyKind
  scope: string
  name: string
  /** Numeric id (categories are addressed by it for PUT and DELETE). */
  id: number
  data: Record<string, unknown>
  deleted: boolean
}

/** Access to the taxonomy table of one store. */
export class TaxonomyStore {
  readonly #store: Store
  readonly #now: () => number
  #ready: Promise<void> | undefined
  #queue: Promise<unknown> = Promise.resolve()

  constructor(store: Store, now: () => number) {
    this.#store = store
    this.#now = now
  }

  #tables(): Promise<void> {
    this.#ready ??= this.#store.writeSql(TABLE_STATEMENTS).catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  /** Runs `fn` after every mutation started before it (one at a time per app). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return run
  }

  /** Records of a kind, in creation order; `scope` narrows to one scope when given. */
  async list(projectId: number, kind: TaxonomyKind, scope?: string): Promise<TaxonomyRecord[]> {
    await this.#tables()
    const rows = await this.#store.selectRows(
      `SELECT * FROM ${TABLE} WHERE project_id = ? AND kind = ?
         ${scope === undefined ? '' : 'AND scope = ?'} ORDER BY created_ms, id`,
      scope === undefined ? [projectId, kind] : [projectId, kind, scope],
    )
    return rows.map((row) => ({
      kind,
      scope: String(row.scope),
      name: String(row.name),
      id: Number(row.id),
      data: JSON.parse(String(row.data)) as Record<string, unknown>,
      deleted: row.deleted === true,
    }))
  }

  async find(
    projectId: number,
    kind: TaxonomyKind,
    scope: string,
    name: string,
  ): Promise<TaxonomyRecord | undefined> {
    const rows = await this.list(projectId, kind, scope)
    return rows.find((r) => r.name === name)
  }

  async findById(
    projectId: number,
    kind: TaxonomyKind,
    id: number,
  ): Promise<TaxonomyRecord | undefined> {
    return (await this.list(projectId, kind)).find((r) => r.id === id)
  }

  /** Inserts a record, or replaces the one with the same kind, scope and name. */
  async put(projectId: number, record: Omit<TaxonomyRecord, 'id'>, previous?: TaxonomyRecord) {
    await this.#tables()
    const nowMs = this.#now()
    let id = previous?.id
    if (id === undefined) {
      const rows = await this.#store.selectRows(
        `SELECT coalesce(max(id), 0) AS id FROM ${TABLE} WHERE project_id = ?`,
        [projectId],
      )
      id = Number(rows[0]?.id ?? 0) + 1
    }
    const statements: SqlStatement[] = []
    if (previous !== undefined) statements.push(this.#deleteStatement(projectId, previous))
    statements.push({
      sql: `INSERT INTO ${TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      params: [
        projectId,
        record.kind,
        record.scope,
        record.name,
        id,
        JSON.stringify(record.data),
        record.deleted,
        nowMs,
        nowMs,
      ],
    })
    await this.#store.writeSql(statements)
    return id
  }

  #deleteStatement(projectId: number, record: TaxonomyRecord): SqlStatement {
    return {
      sql: `DELETE FROM ${TABLE} WHERE project_id = ? AND kind = ? AND scope = ? AND name = ?`,
      params: [projectId, record.kind, record.scope, record.name],
    }
  }

  /** Sets or clears the soft-delete flag. */
  async setDeleted(projectId: number, record: TaxonomyRecord, deleted: boolean): Promise<void> {
    await this.#tables()
    await this.#store.writeSql([
      {
        sql: `UPDATE ${TABLE} SET deleted = ?, modified_ms = ?
          WHERE project_id = ? AND kind = ? AND scope = ? AND name = ?`,
        params: [deleted, this.#now(), projectId, record.kind, record.scope, record.name],
      },
    ])
  }

  /** Removes a record for good (categories have no restore). */
  async remove(projectId: number, record: TaxonomyRecord): Promise<void> {
    await this.#tables()
    await this.#store.writeSql([this.#deleteStatement(projectId, record)])
  }
}
