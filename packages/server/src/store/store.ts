/**
 * @module The storage contract of the local server: what ingestion and the inspection APIs need from
 * the database. The DuckDB implementation lives in `duckdb-store.ts`; routes depend only on this.
 */
import type { GroupIdentification, Identification, WireEvent } from '@ampkit/protocol'
import type { UserPropertyBudget } from './user-property-budget.ts'

/** The ingestion path an event arrived through; recorded in the export record's `data.path`. */
export type IngestPath = '/2/httpapi' | '/batch' | '/identify' | '/groupidentify' | '/attribution'

/** Facts about the request that every stored row carries. */
export interface IngestContext {
  /** Numeric project id (the export record's `app`). */
  projectId: number
  /** When the server received the request, ms since the epoch (`server_received_time`). */
  receivedAtMs: number
  /** `client_upload_time` of the envelope when sent, ms since the epoch. */
  clientUploadTimeMs?: number | undefined
  path: IngestPath
  /** The request's source address, used for `ip: "$remote"`. */
  sourceIp?: string | undefined
  /**
   * The user-property update budget (1,800 updates per hour per Amplitude id, ingestion-api.md §2):
   * an update it refuses is dropped and its event stored all the same. Absent: never refused.
   */
  userPropertyBudget?: UserPropertyBudget | undefined
}

/** What an ingest call did. */
export interface IngestOutcome {
  /** Events stored (duplicates within the 7-day window are not stored and not counted). */
  ingested: number
  /**
   * Events skipped as duplicates of an earlier (`device_id`, `insert_id`) within 7 days, or
   * (`user_id`, `insert_id`) for events without a device id.
   */
  duplicates: number
}

/** One hit of `/api/2/usersearch`. */
export interface UserSearchMatch {
  user_id: string | null
  amplitude_id: number
  last_device_id: string | null
  country: string | null
  last_seen: string | null
}

/** The answer of `/api/2/usersearch` (query-api.md §3.8). */
export interface UserSearchResult {
  type: 'match_user_or_device_id' | 'match_amplitude_id' | 'match_user_prefix' | 'nomatch'
  matches: UserSearchMatch[]
}

/** Options of `/api/2/useractivity` (query-api.md §3.7). */
export interface UserActivityQuery {
  amplitudeId: number
  /** 0 = most recent. */
  offset: number
  /** At most 1,000. */
  limit: number
  direction: 'latest' | 'earliest'
}

/** The answer of `/api/2/useractivity`: `userData`, `events` (export records), `metadata`. */
export interface UserActivityResult {
  userData: Record<string, unknown>
  events: Record<string, unknown>[]
  metadata: Record<string, unknown>
}

/**
 * Durable storage of events, profiles and id maps. Every write resolves only once it is durable: the
 * server answers 200 after that, so a kill right after a 200 loses nothing. Implementations serialise
 * writes internally, so concurrent calls never corrupt or lose data.
 */
export interface Store {
  /**
   * Stores validated, normalised events: de-duplicates on (`device_id`, `insert_id`) within 7 days,
   * assigns `amplitude_id`, maps ids, applies `$identify`/`$groupidentify` operations and plain
   * `user_properties` to profiles, and keeps each event with the user properties as of that event.
   */
  ingestEvents(events: readonly WireEvent[], context: IngestContext): Promise<IngestOutcome>
  /** Applies Identify API objects (user properties, user-level groups, device/location fields). */
  identify(identifications: readonly Identification[], context: IngestContext): Promise<void>
  /** Applies Group Identify API objects to group profiles. */
  groupIdentify(
    identifications: readonly GroupIdentification[],
    context: IngestContext,
  ): Promise<void>
  /**
   * Stores an Attribution API event: applied to the user last seen with one of its advertising ids
   * (user properties, and the event on the user's timeline marked `is_attribution_event`), or held
   * for 72 hours until an event with a matching id arrives.
   */
  attribution(event: WireEvent, context: IngestContext): Promise<void>
  /** `/api/2/usersearch`: by Amplitude id, user id, device id, or user id prefix. */
  searchUsers(projectId: number, query: string): Promise<UserSearchResult>
  /** `/api/2/useractivity`, or `undefined` for an unknown Amplitude id. */
  userActivity(projectId: number, query: UserActivityQuery): Promise<UserActivityResult | undefined>
  /** A group's properties, or `undefined` when never identified. */
  groupProperties(
    projectId: number,
    groupType: string,
    groupValue: string,
  ): Promise<Record<string, unknown> | undefined>
  /**
   * Runs one read-only SQL statement (DuckDB dialect, over the tables of `schema.ts`) with `?`
   * parameters and returns its rows as plain objects: BIGINT as `number` when safe (else `bigint`),
   * DECIMAL/DOUBLE as `number`, VARCHAR/JSON as `string`, BLOB as `Uint8Array`, LIST as arrays,
   * NULL as `null`. It runs on a connection of its own, so a long query never delays ingestion, and
   * it sees every write that was acknowledged before it started (DuckDB's MVCC snapshot).
   */
  selectRows(sql: string, params?: readonly SqlValue[]): Promise<Record<string, unknown>[]>
  /**
   * Like `selectRows`, but yields the rows in chunks (about 2,048 rows each) as DuckDB produces them,
   * so memory stays flat whatever the result size (the export route streams through this). Breaking
   * out of the loop releases the connection.
   */
  streamRows(sql: string, params?: readonly SqlValue[]): AsyncIterable<Record<string, unknown>[]>
  /**
   * Streams a query of exactly two columns, a DOUBLE key and a BLOB, as column arrays straight from
   * DuckDB's vectors: for results where per-row objects would cost more than the bytes themselves
   * (the export moves a million ~1.3 KB lines this way). A NULL key reads as `NaN`, a NULL BLOB as
   * an empty array. Breaking out of the loop releases the connection.
   */
  streamKeyedBlobs(sql: string, params?: readonly SqlValue[]): AsyncIterable<KeyedBlobChunk>
  /**
   * Runs statements in one transaction, in turn with ingestion's writes, and resolves once they are
   * committed. For the server's own metadata tables (cohorts, taxonomy, deletion jobs), which it
   * creates with `CREATE TABLE IF NOT EXISTS` here; never for `events` or the profile tables, whose
   * in-memory state only the store's own methods keep in step.
   */
  writeSql(statements: readonly SqlStatement[]): Promise<void>
  /**
   * Deletes users (User Privacy API): every event, profile version and id mapping of each user,
   * including the anonymous ids merged into it, in one transaction in turn with ingestion; the
   * in-memory identity state is reloaded after it, so the users are gone from every read. An id of
   * a merged anonymous profile deletes the user it was merged into.
   */
  deleteUsers(projectId: number, amplitudeIds: readonly number[]): Promise<DeleteUsersOutcome>
  /** Flushes and closes the database. */
  close(): Promise<void>
}

/** What `deleteUsers` did. */
export interface DeleteUsersOutcome {
  /** Canonical Amplitude ids of the users deleted. */
  deleted: number[]
  /** Requested ids that named no user of the project (nothing was deleted for them). */
  unknown: number[]
}

/** One chunk of `streamKeyedBlobs`: `keys[i]` belongs to `blobs[i]`. */
export interface KeyedBlobChunk {
  keys: Float64Array
  blobs: Uint8Array[]
}

/** One statement of `writeSql`. */
export interface SqlStatement {
  sql: string
  params?: readonly SqlValue[]
}

/** A value bound to a `?` parameter of `selectRows`/`streamRows`/`writeSql`. */
export type SqlValue = string | number | bigint | boolean | null
