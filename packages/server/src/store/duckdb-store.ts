/**
 * @module The `Store` on embedded DuckDB. One connection, one ordered job queue: each write job
 * prepares its rows against the in-memory state (profiles, id maps, dedup set), appends them with
 * DuckDB's Appender inside one transaction and resolves after COMMIT, when the WAL holds it. The next
 * job's preparation overlaps the previous commit. A failed write reloads the state from the tables,
 * so memory never runs ahead of what is durable.
 */
import { randomUUID as nodeRandomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  DEDUP_WINDOW_MS,
  type GroupIdentification,
  type Identification,
  type Properties,
  type WireEvent,
} from '@ampkit/protocol'
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { ID_FLOOR_OPEN_STATEMENTS, idFloorRow, READ_ID_FLOOR_SQL } from './amplitude-id-floor.ts'
import {
  ATTRIBUTION_HOLD_MS,
  AttributionBook,
  expiredAttributionStatements,
  HELD_ATTRIBUTIONS_SQL,
} from './attribution-book.ts'
import { DedupIndex } from './dedup-index.ts'
import { deleteUsersStatements, planUserDeletion } from './delete-users.ts'
import { EVENT_COLUMNS, EVENT_SELECT_LIST, type EventRow, eventRowFromObject } from './event-row.ts'
import { toExportRecord } from './export-record.ts'
import {
  applyIdentifications,
  dedupHash,
  type IngestState,
  prepareEvents,
  receiveAttribution,
} from './ingest-events.ts'
import { FIRST_AMPLITUDE_ID, ProfileBook, type UserProfile } from './profile-book.ts'
import { SCHEMA_STATEMENTS, SCHEMA_VERSION, USER_COLUMNS, VERSION_LOGS } from './schema.ts'
import { SqlReader } from './sql-reader.ts'
import type {
  DeleteUsersOutcome,
  IngestContext,
  IngestOutcome,
  KeyedBlobChunk,
  SqlStatement,
  SqlValue,
  Store,
  UserActivityQuery,
  UserActivityResult,
  UserSearchMatch,
  UserSearchResult,
} from './store.ts'
import { StoreError } from './store-error.ts'

/** Options of `openDuckDbStore`. */
export interface DuckDbStoreOptions {
  /** Database file (its directory is created when missing), or `':memory:'` for a throwaway store. */
  path: string
  /** Clock in ms since the epoch; default `Date.now`. Drives server times and the dedup window. */
  now?: () => number
  /** UUID source for each row's `uuid`; default `crypto.randomUUID`. */
  randomUUID?: () => string
  /** How long an `insert_id` blocks its duplicates, in ms; default 7 days (Amplitude's window). */
  dedupWindowMs?: number
  /**
   * WAL size that triggers an automatic checkpoint, as DuckDB reads it; default `'64MB'`. Bounds
   * the WAL replayed at the next open; 16–256 MB measured the same CPU per event for typical rows.
   */
  walAutocheckpoint?: string
  /**
   * DuckDB's buffer-pool limit for a file database, as DuckDB reads it; default `'512MB'`. Without
   * it DuckDB caches up to 80% of RAM as the file grows, so a long ingest run's memory would climb;
   * queries that need more spill to DuckDB's temp directory. Ignored for `':memory:'`.
   */
  memoryLimit?: string
}

/** The DuckDB store, with read access for the query engine. */
export interface DuckDbStore extends Store {
  /**
   * Runs `fn` with the store's connection between write jobs, so it sees every acknowledged write
   * and no half-written batch. `fn` must only read.
   */
  read<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T>
}

/** Most rows one transaction takes when several write requests are queued together. */
const MAX_GROUP_EVENTS = 20_000

/** Most user-id prefix matches returned by `searchUsers`. */
const MAX_SEARCH_MATCHES = 100

/** What a write job appends in one transaction. */
interface WriteBatch {
  events: EventRow[]
  users: unknown[][]
  userIds: unknown[][]
  deviceIds: unknown[][]
  groups: unknown[][]
  attributions: unknown[][]
  /** `ampkit_meta` rows (the highest Amplitude id issued, `amplitude-id-floor.ts`). */
  meta: unknown[][]
  advertisingIds: unknown[][]
}

interface WriteJob {
  kind: 'write'
  name: string
  prepare: () => { batch: WriteBatch; result: unknown }
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

interface ReadJob {
  kind: 'read'
  name: string
  run: () => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

type Job = WriteJob | ReadJob

type Kind = 'bigint' | 'integer' | 'double' | 'varchar' | 'json'

function appendValue(appender: DuckDBAppender, kind: Kind, value: unknown): void {
  if (value === null || value === undefined) {
    appender.appendNull()
    return
  }
  switch (kind) {
    case 'bigint':
      // DuckDB casts a double to BIGINT exactly below 2^53 (every ms time and id we store), and a
      // double needs no BigInt allocation per value.
      if (typeof value === 'bigint') appender.appendBigInt(value)
      else appender.appendDouble(value as number)
      return
    case 'integer':
      appender.appendInteger(value as number)
      return
    case 'double':
      appender.appendDouble(value as number)
      return
    default:
      appender.appendVarchar(value as string)
  }
}

/**
 * One connection's appenders, kept across transactions (an appender's flush joins whatever
 * transaction its connection has open), so a batch does not pay for creating them.
 */
class AppenderCache {
  readonly #connection: DuckDBConnection
  readonly #appenders = new Map<string, DuckDBAppender>()
  /** Tables appended to since the last flush. */
  readonly #dirty = new Set<DuckDBAppender>()

  constructor(connection: DuckDBConnection) {
    this.#connection = connection
  }

  /** Creates every appender a write batch may use (once; again after `reset`). */
  async openAll(): Promise<void> {
    for (const table of APPENDER_TABLES) {
      if (!this.#appenders.has(table)) {
        this.#appenders.set(table, await this.#connection.createAppender(table))
      }
    }
  }

  #get(table: string): DuckDBAppender {
    const appender = this.#appenders.get(table)
    if (appender === undefined) throw new Error(`no appender for ${table} (openAll not called)`)
    return appender
  }

  /** Appends one job's rows (flushed together by `flushAll`). */
  appendBatch(batch: WriteBatch): void {
    if (batch.events.length > 0) {
      const appender = this.#get('events')
      for (const row of batch.events) {
        for (const column of EVENT_COLUMNS) appendValue(appender, column.kind, row[column.key])
        appender.endRow()
      }
      this.#dirty.add(appender)
    }
    this.#appendRows('users', USER_KINDS, batch.users)
    this.#appendRows('user_ids', ID_MAP_KINDS, batch.userIds)
    this.#appendRows('device_ids', ID_MAP_KINDS, batch.deviceIds)
    this.#appendRows('group_profiles', GROUP_KINDS, batch.groups)
    this.#appendRows('attributions', ATTRIBUTION_KINDS, batch.attributions)
    this.#appendRows('ampkit_meta', META_KINDS, batch.meta)
    this.#appendRows('advertising_ids', AD_ID_KINDS, batch.advertisingIds)
  }

  #appendRows(table: string, kinds: readonly Kind[], rows: unknown[][]): void {
    if (rows.length === 0) return
    const appender = this.#get(table)
    for (const row of rows) {
      for (let i = 0; i < kinds.length; i++) appendValue(appender, kinds[i]!, row[i])
      appender.endRow()
    }
    this.#dirty.add(appender)
  }

  /** Flushes every appender used since the last flush into the open transaction. */
  flushAll(): void {
    for (const appender of this.#dirty) appender.flushSync()
    this.#dirty.clear()
  }

  /** Drops every appender (after a failure, or before closing the connection). */
  reset(): void {
    this.#dirty.clear()
    for (const appender of this.#appenders.values()) {
      try {
        appender.clear()
        appender.closeSync()
      } catch {
        // A failed appender has nothing left worth flushing.
      }
    }
    this.#appenders.clear()
  }
}

const APPENDER_TABLES = [
  'events',
  'users',
  'user_ids',
  'device_ids',
  'group_profiles',
  'attributions',
  'ampkit_meta',
  'advertising_ids',
]

function kindOfSqlType(type: string): Kind {
  if (type === 'BIGINT') return 'bigint'
  if (type === 'INTEGER') return 'integer'
  if (type === 'DOUBLE') return 'double'
  return 'varchar'
}

const USER_KINDS = USER_COLUMNS.map(([, type]) => kindOfSqlType(type))
const ID_MAP_KINDS: Kind[] = ['integer', 'varchar', 'bigint', 'bigint']
const GROUP_KINDS: Kind[] = ['integer', 'varchar', 'varchar', 'bigint', 'varchar', 'bigint']
const ATTRIBUTION_KINDS: Kind[] = [
  'integer',
  'bigint',
  'varchar',
  'varchar',
  'varchar',
  'varchar',
  'varchar',
  'bigint',
]
const META_KINDS: Kind[] = ['varchar', 'varchar']
const AD_ID_KINDS: Kind[] = ['integer', 'varchar', 'varchar', 'bigint', 'bigint']

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null
  return typeof value === 'bigint' ? Number(value) : (value as number)
}

function parseJsonOr<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string' || text === '') return fallback
  return JSON.parse(text) as T
}

function formatDate(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().slice(0, 10)
}

function emptyBatch(): WriteBatch {
  return {
    events: [],
    users: [],
    userIds: [],
    deviceIds: [],
    groups: [],
    attributions: [],
    meta: [],
    advertisingIds: [],
  }
}

class DuckDbStoreImpl implements DuckDbStore {
  readonly #instance: DuckDBInstance
  readonly #reader: SqlReader
  /** Reads, schema work and every other statement outside the write pipeline. */
  readonly #connection: DuckDBConnection
  /** The write pipeline's connections (`#connection` is the first). */
  readonly #writers: DuckDBConnection[]
  #nextWriter = 0
  readonly #appenders: AppenderCache[]
  /** Pending commit per writer; never rejects (a failure sets `#failed`). */
  #commits: (Promise<void> | undefined)[]
  #failed = false
  readonly #now: () => number
  readonly #randomUUID: () => string
  readonly #dedupWindowMs: number
  #state!: IngestState
  /** The highest Amplitude id `ampkit_meta` holds (or that a pending write appends). */
  #storedIdFloor = 0
  #jobs: Job[] = []
  #pumping = false
  #closed = false
  /** Set when the state could not be reloaded after a failure; every later call fails. */
  #broken: unknown = undefined

  constructor(
    instance: DuckDBInstance,
    writers: DuckDBConnection[],
    options: Required<Pick<DuckDbStoreOptions, 'now' | 'randomUUID' | 'dedupWindowMs'>>,
  ) {
    this.#instance = instance
    this.#reader = new SqlReader(instance)
    this.#connection = writers[0]!
    this.#writers = writers
    this.#appenders = writers.map((writer) => new AppenderCache(writer))
    this.#commits = writers.map(() => undefined)
    this.#now = options.now
    this.#randomUUID = options.randomUUID
    this.#dedupWindowMs = options.dedupWindowMs
  }

  // ---- open / state ----

  async init(): Promise<void> {
    for (const sql of SCHEMA_STATEMENTS) await this.#connection.run(sql)
    const meta = await this.#connection.runAndReadAll(
      "SELECT value FROM ampkit_meta WHERE key = 'schema_version'",
    )
    if (meta.currentRowCount === 0) {
      await this.#connection.run(
        `INSERT INTO ampkit_meta VALUES ('schema_version', '${SCHEMA_VERSION}')`,
      )
    }
    await this.#runInTransaction(ID_FLOOR_OPEN_STATEMENTS)
    await this.#runInTransaction(expiredAttributionStatements(this.#now() - ATTRIBUTION_HOLD_MS))
    await this.#compactVersionLogs()
    await this.#loadState()
    // A file from before the floor was kept holds its highest id only in the tables: record it now,
    // so that deleting that user cannot let a later open hand the id out again.
    if (this.#state.book.highestAmplitudeId > this.#storedIdFloor) {
      const highest = this.#state.book.highestAmplitudeId
      await this.#connection.run(
        'INSERT INTO ampkit_meta VALUES (?, ?)',
        idFloorRow(highest) as string[],
      )
      this.#storedIdFloor = highest
    }
  }

  async #runInTransaction(statements: readonly SqlStatement[]): Promise<void> {
    const c = this.#connection
    await c.run('BEGIN TRANSACTION')
    try {
      for (const { sql, params } of statements) {
        await c.run(sql, params === undefined ? [] : [...params])
      }
      await c.run('COMMIT')
    } catch (error) {
      await c.run('ROLLBACK').catch(() => {})
      throw error
    }
  }

  /** Drops superseded versions when they outnumber the current rows (keeps open fast). */
  async #compactVersionLogs(): Promise<void> {
    for (const { table, keys } of VERSION_LOGS) {
      const counts = await this.#connection.runAndReadAll(
        `SELECT count(*)::DOUBLE AS total, (SELECT count(*) FROM ${table}_current)::DOUBLE AS live FROM ${table}`,
      )
      const [row] = counts.getRowObjectsJS() as { total: number; live: number }[]
      if (row === undefined || row.total <= Math.max(1000, 2 * row.live)) continue
      const on = keys.map((k) => `x.${k} = ${table}.${k}`).join(' AND ')
      await this.#connection.run(
        `DELETE FROM ${table} WHERE version < (SELECT max(x.version) FROM ${table} x WHERE ${on})`,
      )
    }
  }

  async #loadState(): Promise<void> {
    const c = this.#connection
    const book = new ProfileBook(FIRST_AMPLITUDE_ID, 1)
    const users = await c.runAndReadAll('SELECT * FROM users_current')
    for (const r of users.getRowObjectsJS()) book.loadProfile(profileFromRow(r))
    const userIds = await c.runAndReadAll(
      'SELECT project_id, user_id, amplitude_id, version FROM user_ids_current',
    )
    for (const r of userIds.getRowObjectsJS()) {
      book.loadUserId(
        r.project_id as number,
        r.user_id as string,
        Number(r.amplitude_id),
        Number(r.version),
      )
    }
    const deviceIds = await c.runAndReadAll(
      'SELECT project_id, device_id, amplitude_id, version FROM device_ids_current',
    )
    for (const r of deviceIds.getRowObjectsJS()) {
      book.loadDeviceId(
        r.project_id as number,
        r.device_id as string,
        Number(r.amplitude_id),
        Number(r.version),
      )
    }
    const groups = await c.runAndReadAll('SELECT * FROM group_profiles_current')
    for (const r of groups.getRowObjectsJS()) {
      book.loadGroup({
        projectId: r.project_id as number,
        groupType: r.group_type as string,
        groupValue: r.group_value as string,
        properties: parseJsonOr<Properties>(r.group_properties, {}),
        version: Number(r.version),
      })
    }
    const seq = await c.runAndReadAll(
      `SELECT coalesce(max(seq), 0)::DOUBLE AS seq, coalesce(max(amplitude_id), 0)::DOUBLE AS aid
       FROM events`,
    )
    const maxima = seq.getRowObjectsJS()[0] ?? {}
    const nextSeq = Number(maxima.seq ?? 0) + 1
    // Events can name an id whose profile row was lost with a failed batch: never hand it out again.
    book.reserveAmplitudeIds(Number(maxima.aid ?? 0))
    // Nor an id whose rows were deleted: issuance starts above the highest id ever issued.
    const floor = await c.runAndReadAll(READ_ID_FLOOR_SQL)
    this.#storedIdFloor = Math.max(
      Number(floor.getRowObjectsJS()[0]?.floor ?? 0),
      FIRST_AMPLITUDE_ID - 1,
    )
    book.reserveAmplitudeIds(this.#storedIdFloor)
    const dedup = new DedupIndex(this.#dedupWindowMs)
    const nowMs = this.#now()
    const attributions = await loadAttributionBook(c, nowMs)
    // Rebuilt from the stored rows, so de-duplication holds across restarts.
    const result = await c.stream(
      `SELECT project_id, insert_id, device_id, user_id, server_upload_time_ms::DOUBLE AS seen
       FROM events
       WHERE insert_id IS NOT NULL AND server_upload_time_ms > ${Math.floor(nowMs - this.#dedupWindowMs)}`,
    )
    for (;;) {
      const chunk = await result.fetchChunk()
      if (chunk === null || chunk.rowCount === 0) break
      const [projects, insertIds, devices, users, seen] = chunk.getColumns()
      for (let i = 0; i < chunk.rowCount; i++) {
        const hash = dedupHash(projects![i] as number, {
          insert_id: insertIds![i] as string,
          device_id: (devices![i] as string | null) ?? undefined,
          user_id: (users![i] as string | null) ?? undefined,
        })
        if (hash !== undefined) dedup.add(hash, seen![i] as number, nowMs)
      }
    }
    this.#state = {
      book,
      dedup,
      attributions,
      nextSeq,
      now: this.#now,
      randomUUID: this.#randomUUID,
    }
  }

  async #reload(): Promise<void> {
    await this.#loadState()
  }

  // ---- the job queue ----

  #enqueue<T>(job: Omit<WriteJob, 'resolve' | 'reject'> | Omit<ReadJob, 'resolve' | 'reject'>) {
    return new Promise<T>((resolve, reject) => {
      if (this.#closed) {
        reject(new StoreError(`${job.name} failed: the store is closed`, 'STORE_CLOSED'))
        return
      }
      if (this.#broken !== undefined) {
        const cause = this.#broken
        reject(new StoreError(`${job.name} failed: the database failed`, 'STORE_FAILED', { cause }))
        return
      }
      this.#jobs.push({ ...job, resolve, reject } as Job)
      if (!this.#pumping) void this.#pump()
    })
  }

  #write<T>(name: string, prepare: () => { batch: WriteBatch; result: T }): Promise<T> {
    return this.#enqueue<T>({ kind: 'write', name, prepare })
  }

  read<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.#enqueue<T>({ kind: 'read', name: 'read', run: () => fn(this.#connection) })
  }

  writeSql(statements: readonly SqlStatement[]): Promise<void> {
    return this.#enqueue<void>({
      kind: 'read',
      name: 'write metadata',
      run: () => this.#runInTransaction(statements),
    })
  }

  deleteUsers(projectId: number, amplitudeIds: readonly number[]): Promise<DeleteUsersOutcome> {
    return this.#enqueue<DeleteUsersOutcome>({
      kind: 'read',
      name: 'delete users',
      run: async () => {
        const plan = planUserDeletion(projectId, amplitudeIds, (id) =>
          this.#state.book.canonical(id),
        )
        if (plan.deleted.length === 0) return { deleted: [], unknown: plan.unknown }
        const c = this.#connection
        await c.run('BEGIN TRANSACTION')
        try {
          for (const { sql, params } of deleteUsersStatements(projectId, plan.rowIds)) {
            await c.run(sql, params === undefined ? [] : [...params])
          }
          await c.run('COMMIT')
        } catch (error) {
          await c.run('ROLLBACK').catch(() => {})
          throw error
        }
        // Profiles, id maps and the dedup index are rebuilt from the tables. A deleted id is never
        // handed to a new user again (`ampkit_meta` keeps the highest id issued, across restarts).
        await this.#loadState()
        this.#state.book.reserveAmplitudeIds(Math.max(...plan.rowIds))
        return { deleted: plan.deleted, unknown: plan.unknown }
      },
    })
  }

  #readState<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.#enqueue<T>({ kind: 'read', name, run: fn })
  }

  /**
   * Runs the queue. Writes alternate between two connections, so one batch's COMMIT (on a DuckDB
   * thread) overlaps the next batch's preparation and appends (on this thread); appends to the same
   * tables never conflict in DuckDB. Reads wait until every commit has settled.
   */
  async #pump(): Promise<void> {
    this.#pumping = true
    try {
      for (;;) {
        const job = this.#jobs.shift()
        if (job === undefined) {
          if (this.#commits.every((c) => c === undefined) && !this.#failed) break
          await this.#settle()
          continue
        }
        if (job.kind === 'read') {
          await this.#settle()
          try {
            job.resolve(await job.run())
          } catch (error) {
            job.reject(new StoreError(`${job.name} failed`, 'STORE_FAILED', { cause: error }))
          }
          continue
        }
        await this.#runWrite(job)
      }
    } catch (error) {
      // Only reloading the state can end up here (the database itself failed): nothing queued can
      // be served any more, so every waiting call is rejected and later calls fail fast.
      this.#broken = error
      for (const job of this.#jobs.splice(0)) {
        job.reject(new StoreError(`${job.name} failed`, 'STORE_FAILED', { cause: error }))
      }
    } finally {
      this.#pumping = false
    }
  }

  /**
   * Writes `first` and the write jobs queued right behind it in one transaction (group commit, up to
   * `MAX_GROUP_EVENTS` rows) on the next writer connection, once that connection's previous COMMIT
   * has settled. Each job is prepared against the in-memory state only now, inside the open
   * transaction, and its rows go to the appender at once: prepared rows die young instead of
   * waiting for a commit (measured: less GC), and a job is never prepared against a stale state.
   * The COMMIT runs on a DuckDB thread while the next group is prepared on the other connection.
   */
  async #runWrite(first: WriteJob): Promise<void> {
    const w = this.#nextWriter
    this.#nextWriter = (w + 1) % this.#writers.length
    await this.#commits[w]
    this.#commits[w] = undefined
    const c = this.#writers[w]!
    const appenders = this.#appenders[w]!
    if (!this.#failed) {
      try {
        await c.run('BEGIN TRANSACTION')
        await appenders.openAll()
      } catch (error) {
        first.reject(new StoreError(`${first.name} failed`, 'STORE_FAILED', { cause: error }))
        this.#failed = true
        await this.#settle()
        return
      }
    }
    if (this.#failed) {
      // The other connection's COMMIT failed meanwhile: this transaction is rolled back with it,
      // the state is reloaded, and `first` goes back to the queue to be prepared against it.
      this.#jobs.unshift(first)
      await this.#settle()
      return
    }
    const jobs: WriteJob[] = []
    const results: unknown[] = []
    let events = 0
    let job: WriteJob | undefined = first
    while (job !== undefined) {
      let prepared: { batch: WriteBatch; result: unknown }
      try {
        prepared = job.prepare()
      } catch (error) {
        // Only this call fails; the jobs already prepared in this group go back to the queue and
        // are prepared again against the reloaded state.
        job.reject(new StoreError(`${job.name} failed`, 'STORE_FAILED', { cause: error }))
        this.#jobs.unshift(...jobs)
        this.#failed = true
        await this.#settle()
        return
      }
      jobs.push(job)
      results.push(prepared.result)
      try {
        appenders.appendBatch(prepared.batch)
      } catch (error) {
        this.#failJobs(jobs, error)
        await this.#settle()
        return
      }
      events += prepared.batch.events.length
      const next = this.#jobs[0]
      job =
        next?.kind === 'write' && events < MAX_GROUP_EVENTS
          ? (this.#jobs.shift() as WriteJob)
          : undefined
    }
    let commit: Promise<void>
    try {
      appenders.flushAll()
      // Wrapped so that nothing here awaits the COMMIT itself.
      commit = c.run('COMMIT').then(() => undefined)
    } catch (error) {
      this.#failJobs(jobs, error)
      await this.#settle()
      return
    }
    // Only the callbacks wait for the COMMIT: the jobs' closures (and the request's events they
    // hold) are released now, so those objects die young instead of outliving the commit.
    const waiting = jobs.map(({ name, resolve, reject }) => ({ name, resolve, reject }))
    this.#commits[w] = commit.then(
      () => {
        for (let i = 0; i < waiting.length; i++) waiting[i]!.resolve(results[i])
      },
      (error: unknown) => this.#failJobs(waiting, error),
    )
  }

  #failJobs(jobs: readonly Pick<WriteJob, 'name' | 'reject'>[], error: unknown): void {
    for (const job of jobs) {
      job.reject(new StoreError(`${job.name} failed`, 'STORE_FAILED', { cause: error }))
    }
    this.#failed = true
  }

  /** Waits for every pending commit; after a failure, rolls back and reloads the state. */
  async #settle(): Promise<void> {
    await Promise.all(this.#commits)
    this.#commits = this.#commits.map(() => undefined)
    if (!this.#failed) return
    for (const appenders of this.#appenders) appenders.reset()
    for (const writer of this.#writers) {
      try {
        await writer.run('ROLLBACK')
      } catch {
        // No transaction was open: COMMIT ended it, or BEGIN never ran.
      }
    }
    // Batches that committed after the failed one stay; reloading keeps memory equal to the tables.
    await this.#reload()
    this.#failed = false
  }

  /** Moves the profile changes collected so far into the batch, serialised now. */
  #collectChanges(batch: WriteBatch): void {
    const changes = this.#state.book.takeChanges()
    const attributionChanges = this.#state.attributions.takeChanges()
    batch.attributions.push(...attributionChanges.attributions)
    batch.advertisingIds.push(...attributionChanges.advertisingIds)
    const highest = this.#state.book.highestAmplitudeId
    if (highest > this.#storedIdFloor) {
      // In the transaction that stores the new ids (`amplitude-id-floor.ts`).
      batch.meta.push(idFloorRow(highest))
      this.#storedIdFloor = highest
    }
    const nowMs = this.#now()
    for (const p of changes.users) batch.users.push(profileToRow(p, nowMs))
    for (const m of changes.userIds) {
      batch.userIds.push([m.projectId, m.userId, m.amplitudeId, m.version])
    }
    for (const m of changes.deviceIds) {
      batch.deviceIds.push([m.projectId, m.deviceId, m.amplitudeId, m.version])
    }
    for (const g of changes.groups) {
      batch.groups.push([
        g.projectId,
        g.groupType,
        g.groupValue,
        g.version,
        JSON.stringify(g.properties),
        nowMs,
      ])
    }
  }

  // ---- Store: writes ----

  ingestEvents(events: readonly WireEvent[], context: IngestContext): Promise<IngestOutcome> {
    return this.#write('ingest events', () => {
      const prepared = prepareEvents(this.#state, events, context)
      const batch = emptyBatch()
      batch.events = prepared.rows
      this.#collectChanges(batch)
      return {
        batch,
        result: {
          ingested: prepared.rows.length - prepared.attributionRows,
          duplicates: prepared.duplicates,
        },
      }
    })
  }

  identify(identifications: readonly Identification[], context: IngestContext): Promise<void> {
    return this.#write('identify', () => {
      applyIdentifications(this.#state, identifications, context)
      const batch = emptyBatch()
      this.#collectChanges(batch)
      return { batch, result: undefined }
    })
  }

  groupIdentify(
    identifications: readonly GroupIdentification[],
    context: IngestContext,
  ): Promise<void> {
    return this.#write('group identify', () => {
      for (const g of identifications) {
        if (typeof g.group_type !== 'string' || typeof g.group_value !== 'string') continue
        const update = g.group_properties
        if (typeof update !== 'object' || update === null || Array.isArray(update)) continue
        this.#state.book.applyGroupProperties(
          context.projectId,
          g.group_type,
          g.group_value,
          update as Record<string, unknown>,
        )
      }
      const batch = emptyBatch()
      this.#collectChanges(batch)
      return { batch, result: undefined }
    })
  }

  /**
   * Applies an attribution to the user last seen with its advertising ids, or holds it for 72
   * hours until a matching event arrives (`attribution-book.ts`). Either way it is logged in
   * `attributions` in the same transaction, so a held one survives a restart.
   */
  attribution(event: WireEvent, context: IngestContext): Promise<void> {
    return this.#write('attribution', () => {
      const batch = emptyBatch()
      batch.events = receiveAttribution(
        this.#state,
        {
          uuid: this.#randomUUID(),
          projectId: context.projectId,
          receivedMs: context.receivedAtMs,
          sourceIp: context.sourceIp ?? null,
          event,
        },
        context,
      )
      this.#collectChanges(batch)
      return { batch, result: undefined }
    })
  }

  // ---- Store: reads ----

  searchUsers(projectId: number, query: string): Promise<UserSearchResult> {
    return this.#readState('user search', async () => {
      const book = this.#state.book
      const found: UserProfile[] = []
      const add = (aid: number | undefined) => {
        const p = aid === undefined ? undefined : book.canonical(aid)
        if (p !== undefined && p.projectId === projectId && !found.includes(p)) found.push(p)
      }
      add(book.amplitudeIdOfUser(projectId, query))
      add(book.amplitudeIdOfDevice(projectId, query))
      let type: UserSearchResult['type'] = 'match_user_or_device_id'
      if (found.length === 0 && /^\d+$/.test(query)) {
        add(Number(query))
        type = 'match_amplitude_id'
      }
      if (found.length === 0 && query !== '') {
        found.push(...book.findUserIdPrefix(projectId, query, MAX_SEARCH_MATCHES))
        type = 'match_user_prefix'
      }
      if (found.length === 0) return { type: 'nomatch', matches: [] }
      const summaries = await this.#lastEvents(projectId, found)
      const matches: UserSearchMatch[] = found.map((p) => {
        const last = summaries.get(p.amplitudeId)
        const identifyLater = p.identifySeq > (last?.seq ?? 0)
        const country =
          identifyLater && 'country' in p.identifyFields
            ? ((p.identifyFields.country as string | null) ?? null)
            : (last?.country ?? null)
        return {
          user_id: p.userId,
          amplitude_id: p.amplitudeId,
          last_device_id: last?.deviceId ?? p.deviceIds.at(-1) ?? null,
          country,
          last_seen: formatDate(last?.eventTimeMs ?? null),
        }
      })
      return { type, matches }
    })
  }

  /** The newest event of each profile (including its merged ids), by `seq`. */
  async #lastEvents(projectId: number, profiles: readonly UserProfile[]) {
    const owner = new Map<number, number>()
    for (const p of profiles) {
      owner.set(p.amplitudeId, p.amplitudeId)
      for (const m of p.mergedAmplitudeIds) owner.set(m, p.amplitudeId)
    }
    const out = new Map<
      number,
      { seq: number; deviceId: string | null; country: string | null; eventTimeMs: number }
    >()
    if (owner.size === 0) return out
    const reader = await this.#connection.runAndReadAll(
      `SELECT amplitude_id::DOUBLE AS aid, max(seq)::DOUBLE AS seq,
         arg_max(device_id, seq) AS device_id, arg_max(country, seq) AS country,
         max(event_time_ms)::DOUBLE AS last_ms
       FROM events WHERE project_id = $1 AND amplitude_id IN (${[...owner.keys()].join(',')})
       GROUP BY amplitude_id`,
      [projectId],
    )
    for (const r of reader.getRowObjectsJS()) {
      const aid = owner.get(r.aid as number)!
      const current = out.get(aid)
      const seq = r.seq as number
      if (current !== undefined && current.seq > seq) continue
      out.set(aid, {
        seq,
        deviceId: (r.device_id as string | null) ?? null,
        country: (r.country as string | null) ?? null,
        eventTimeMs: Math.max(r.last_ms as number, current?.eventTimeMs ?? 0),
      })
    }
    return out
  }

  userActivity(
    projectId: number,
    query: UserActivityQuery,
  ): Promise<UserActivityResult | undefined> {
    return this.#readState('user activity', async () => {
      const profile = this.#state.book.canonical(query.amplitudeId)
      if (profile === undefined || profile.projectId !== projectId) return undefined
      const ids = [profile.amplitudeId, ...profile.mergedAmplitudeIds].join(',')
      const c = this.#connection
      const where = `project_id = $1 AND amplitude_id IN (${ids})`
      const order = query.direction === 'earliest' ? 'ASC' : 'DESC'
      const limit = Math.max(0, Math.min(1000, Math.trunc(query.limit)))
      const offset = Math.max(0, Math.trunc(query.offset))
      const eventsReader = await c.runAndReadAll(
        `SELECT ${EVENT_SELECT_LIST} FROM events WHERE ${where}
         ORDER BY event_time_ms ${order}, seq ${order} LIMIT ${limit} OFFSET ${offset}`,
        [projectId],
      )
      const events = eventsReader
        .getRowObjectsJS()
        .map((r) => toExportRecord(eventRowFromObject(r)))
      const statsReader = await c.runAndReadAll(
        `SELECT count(*)::DOUBLE AS num_events,
           count(DISTINCT session_id) FILTER (WHERE session_id <> -1)::DOUBLE AS num_sessions,
           min(event_time_ms)::DOUBLE AS first_ms, max(event_time_ms)::DOUBLE AS last_ms,
           count(*) FILTER (WHERE revenue IS NOT NULL)::DOUBLE AS purchases,
           coalesce(sum(revenue), 0)::DOUBLE AS revenue
         FROM events WHERE ${where}`,
        [projectId],
      )
      const stats = statsReader.getRowObjectsJS()[0] ?? {}
      const usageReader = await c.runAndReadAll(
        `SELECT coalesce(sum(len), 0)::DOUBLE AS usage_ms FROM (
           SELECT max(event_time_ms) - min(event_time_ms) AS len
           FROM events WHERE ${where} AND session_id <> -1 GROUP BY session_id)`,
        [projectId],
      )
      const usageMs = Number(usageReader.getRowObjectsJS()[0]?.usage_ms ?? 0)
      const lastReader = await c.runAndReadAll(
        `SELECT ${EVENT_SELECT_LIST} FROM events WHERE ${where} ORDER BY seq DESC LIMIT 1`,
        [projectId],
      )
      const lastObject = lastReader.getRowObjectsJS()[0]
      const last =
        lastObject === undefined ? undefined : toExportRecord(eventRowFromObject(lastObject))
      const lastSeq = lastObject === undefined ? 0 : Number(lastObject.seq)
      const fromIdentify = profile.identifySeq > lastSeq ? profile.identifyFields : {}
      const field = (identifyKey: string, exportKey: string): unknown =>
        identifyKey in fromIdentify
          ? fromIdentify[identifyKey]
          : (last?.[exportKey as 'city'] ?? null)
      const osName = field('os_name', 'os_name')
      const osVersion = field('os_version', 'os_version')
      const lat = last?.location_lat ?? null
      const lng = last?.location_lng ?? null
      const firstUsed = formatDate(toNumber(stats.first_ms))
      const lastUsed = formatDate(toNumber(stats.last_ms))
      const userData: Record<string, unknown> = {
        user_id: profile.userId,
        canonical_amplitude_id: profile.amplitudeId,
        merged_amplitude_ids: [...profile.mergedAmplitudeIds],
        num_events: toNumber(stats.num_events) ?? 0,
        num_sessions: toNumber(stats.num_sessions) ?? 0,
        usage_time: usageMs,
        first_used: firstUsed,
        last_used: lastUsed,
        purchases: toNumber(stats.purchases) ?? 0,
        revenue: toNumber(stats.revenue) ?? 0,
        platform: field('platform', 'platform'),
        os:
          osName === null && osVersion === null
            ? null
            : [osName, osVersion].filter((x) => x !== null).join(' '),
        version: field('app_version', 'version_name'),
        device: field('device_model', 'device_model'),
        device_type: null,
        carrier: field('carrier', 'device_carrier'),
        country: field('country', 'country'),
        region: field('region', 'region'),
        city: field('city', 'city'),
        dma: field('dma', 'dma'),
        language: field('language', 'language'),
        start_version: profile.identifyFields.start_version ?? null,
        paying: profile.identifyFields.paying ?? null,
        library: last?.library ?? null,
        ip_address: last?.ip_address ?? null,
        device_ids: [...profile.deviceIds],
        last_device_id: last?.device_id ?? profile.deviceIds.at(-1) ?? null,
        last_location: lat === null || lng === null ? null : { lat, lng },
        properties: structuredClone(profile.properties),
        groups: structuredClone(profile.groups),
        usageTime: usageMs,
        firstSeen: firstUsed,
        lastSeen: lastUsed,
        deviceIds: [...profile.deviceIds],
      }
      return {
        userData,
        events,
        metadata: { missingData: false, cached: false, timeComputed: this.#now(), queryIds: [] },
      }
    })
  }

  groupProperties(
    projectId: number,
    groupType: string,
    groupValue: string,
  ): Promise<Record<string, unknown> | undefined> {
    return this.#readState('group properties', async () => {
      const group = this.#state.book.group(projectId, groupType, groupValue)
      return group === undefined ? undefined : structuredClone(group.properties)
    })
  }

  selectRows(sql: string, params?: readonly SqlValue[]): Promise<Record<string, unknown>[]> {
    if (this.#closed)
      return Promise.reject(new StoreError('select failed: the store is closed', 'STORE_CLOSED'))
    return this.#reader.selectRows(sql, params)
  }

  streamRows(sql: string, params?: readonly SqlValue[]): AsyncIterable<Record<string, unknown>[]> {
    if (this.#closed) throw new StoreError('stream failed: the store is closed', 'STORE_CLOSED')
    return this.#reader.streamRows(sql, params)
  }

  streamKeyedBlobs(sql: string, params?: readonly SqlValue[]): AsyncIterable<KeyedBlobChunk> {
    if (this.#closed) throw new StoreError('stream failed: the store is closed', 'STORE_CLOSED')
    return this.#reader.streamKeyedBlobs(sql, params)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    const drained = this.#readState('close', async () => {
      this.#closed = true
      await this.#connection.run('CHECKPOINT')
    })
    this.#closed = true
    try {
      await drained
    } finally {
      // Closing without the checkpoint still loses nothing: the WAL is replayed at the next open.
      this.#reader.close()
      for (const appenders of this.#appenders) appenders.reset()
      for (const writer of this.#writers) writer.closeSync()
      this.#instance.closeSync()
    }
  }
}

/** The advertising ids and the held attributions, as the tables hold them at `nowMs`. */
async function loadAttributionBook(c: DuckDBConnection, nowMs: number): Promise<AttributionBook> {
  const attributions = new AttributionBook()
  const ids = await c.runAndReadAll(
    'SELECT project_id, id_type, id_value, amplitude_id, version FROM advertising_ids_current',
  )
  for (const r of ids.getRowObjectsJS()) {
    attributions.loadAdvertisingId(
      r.project_id as number,
      r.id_type as string,
      r.id_value as string,
      Number(r.amplitude_id),
      Number(r.version),
    )
  }
  const held = await c.runAndReadAll(HELD_ATTRIBUTIONS_SQL, [nowMs - ATTRIBUTION_HOLD_MS])
  // Newest first (so the cap keeps the newest); held oldest first, as they arrived.
  for (const r of held.getRowObjectsJS().reverse()) {
    attributions.loadHeld({
      uuid: r.uuid as string,
      projectId: r.project_id as number,
      receivedMs: r.received_ms as number,
      sourceIp: (r.source_ip as string | null) ?? null,
      event: parseJsonOr<WireEvent>(r.event, { event_type: '' }),
    })
  }
  return attributions
}

function profileFromRow(r: Record<string, unknown>): UserProfile {
  return {
    projectId: r.project_id as number,
    amplitudeId: Number(r.amplitude_id),
    userId: (r.user_id as string | null) ?? null,
    properties: parseJsonOr<Properties>(r.user_properties, {}),
    groups: parseJsonOr(r.groups, {}),
    deviceIds: parseJsonOr<string[]>(r.device_ids, []),
    mergedAmplitudeIds: parseJsonOr<number[]>(r.merged_amplitude_ids, []),
    mergedInto: toNumber(r.merged_into),
    firstEventTimeMs: toNumber(r.first_event_time_ms),
    identifyFields: parseJsonOr(r.identify_fields, {}),
    identifySeq: toNumber(r.identify_seq) ?? 0,
    version: Number(r.version),
    propertiesJson: typeof r.user_properties === 'string' ? r.user_properties : undefined,
  }
}

function profileToRow(p: UserProfile, nowMs: number): unknown[] {
  return [
    p.projectId,
    p.amplitudeId,
    p.version,
    p.userId,
    p.propertiesJson ?? JSON.stringify(p.properties),
    JSON.stringify(p.groups),
    JSON.stringify(p.deviceIds),
    JSON.stringify(p.mergedAmplitudeIds),
    p.mergedInto,
    p.firstEventTimeMs,
    JSON.stringify(p.identifyFields),
    p.identifySeq,
    nowMs,
  ]
}

/** Opens (creating when missing) a DuckDB store. */
export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<DuckDbStore> {
  const memory = options.path === ':memory:'
  if (!memory) await mkdir(dirname(options.path), { recursive: true })
  let instance: DuckDBInstance
  try {
    instance = await DuckDBInstance.create(options.path, {
      wal_autocheckpoint: options.walAutocheckpoint ?? '64MB',
      ...(memory ? {} : { memory_limit: options.memoryLimit ?? '512MB' }),
    })
  } catch (error) {
    throw new StoreError(`open store ${options.path} failed`, 'STORE_FAILED', { cause: error })
  }
  const writers = [await instance.connect(), await instance.connect()]
  const store = new DuckDbStoreImpl(instance, writers, {
    now: options.now ?? Date.now,
    randomUUID: options.randomUUID ?? nodeRandomUUID,
    dedupWindowMs: options.dedupWindowMs ?? DEDUP_WINDOW_MS,
  })
  try {
    await store.init()
  } catch (error) {
    for (const writer of writers) writer.closeSync()
    instance.closeSync()
    throw new StoreError(`open store ${options.path} failed`, 'STORE_FAILED', { cause: error })
  }
  return store
}
