/**
 * The real DuckDB store, wrapped to record what the routes hand it (so a test sees the exact calls
 * and contexts) and to fail or pause writes on demand. Every call reaches the DuckDB store.
 */
import type { GroupIdentification, Identification, WireEvent } from '@ampkit/protocol'
import { type DuckDbStore, openDuckDbStore } from '../../src/store/duckdb-store.ts'
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
  UserSearchResult,
} from '../../src/store/store.ts'

export class RecordingStore implements Store {
  readonly events: Array<{ event: WireEvent; context: IngestContext }> = []
  readonly identifications: Array<{ identification: Identification; context: IngestContext }> = []
  readonly groups: Array<{ identification: GroupIdentification; context: IngestContext }> = []
  readonly attributions: Array<{ event: WireEvent; context: IngestContext }> = []
  readonly searches: Array<{ projectId: number; query: string }> = []
  readonly activityQueries: Array<{ projectId: number; query: UserActivityQuery }> = []
  closed = false
  /** When set, every write rejects with it (before reaching the database). */
  failWith: Error | undefined
  /** When set, writes wait for it. */
  gate: Promise<void> | undefined
  readonly inner: DuckDbStore

  private constructor(inner: DuckDbStore) {
    this.inner = inner
  }

  /** Opens an in-memory DuckDB store behind the recorder. */
  static async open(now?: () => number): Promise<RecordingStore> {
    const inner = await openDuckDbStore({ path: ':memory:', ...(now && { now }) })
    return new RecordingStore(inner)
  }

  async #beforeWrite(): Promise<void> {
    await this.gate
    if (this.failWith) throw this.failWith
  }

  async ingestEvents(events: readonly WireEvent[], context: IngestContext): Promise<IngestOutcome> {
    await this.#beforeWrite()
    const outcome = await this.inner.ingestEvents(events, context)
    for (const event of events) this.events.push({ event, context })
    return outcome
  }

  async identify(list: readonly Identification[], context: IngestContext): Promise<void> {
    await this.#beforeWrite()
    await this.inner.identify(list, context)
    for (const identification of list) this.identifications.push({ identification, context })
  }

  async groupIdentify(list: readonly GroupIdentification[], context: IngestContext): Promise<void> {
    await this.#beforeWrite()
    await this.inner.groupIdentify(list, context)
    for (const identification of list) this.groups.push({ identification, context })
  }

  async attribution(event: WireEvent, context: IngestContext): Promise<void> {
    await this.#beforeWrite()
    await this.inner.attribution(event, context)
    this.attributions.push({ event, context })
  }

  searchUsers(projectId: number, query: string): Promise<UserSearchResult> {
    this.searches.push({ projectId, query })
    return this.inner.searchUsers(projectId, query)
  }

  userActivity(
    projectId: number,
    query: UserActivityQuery,
  ): Promise<UserActivityResult | undefined> {
    this.activityQueries.push({ projectId, query })
    return this.inner.userActivity(projectId, query)
  }

  groupProperties(
    projectId: number,
    groupType: string,
    groupValue: string,
  ): Promise<Record<string, unknown> | undefined> {
    return this.inner.groupProperties(projectId, groupType, groupValue)
  }

  selectRows(sql: string, params?: readonly SqlValue[]): Promise<Record<string, unknown>[]> {
    return this.inner.selectRows(sql, params)
  }

  streamRows(sql: string, params?: readonly SqlValue[]): AsyncIterable<Record<string, unknown>[]> {
    return this.inner.streamRows(sql, params)
  }

  streamKeyedBlobs(sql: string, params?: readonly SqlValue[]): AsyncIterable<KeyedBlobChunk> {
    return this.inner.streamKeyedBlobs(sql, params)
  }

  writeSql(statements: readonly SqlStatement[]): Promise<void> {
    return this.inner.writeSql(statements)
  }

  deleteUsers(projectId: number, amplitudeIds: readonly number[]): Promise<DeleteUsersOutcome> {
    return this.inner.deleteUsers(projectId, amplitudeIds)
  }

  async close(): Promise<void> {
    await this.inner.close()
    this.closed = true
  }
}
