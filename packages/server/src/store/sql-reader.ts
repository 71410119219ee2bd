/**
 * @module Read-only SQL for the query engine and export: `selectRows`, `streamRows` and
 * `streamKeyedBlobs` of the `Store` contract. Each call takes a connection of its own from a small pool, so queries run beside the
 * write pipeline (DuckDB gives every connection an MVCC snapshot) instead of queueing behind it.
 */
import {
  DuckDBBlobVector,
  type DuckDBConnection,
  DuckDBDoubleVector,
  type DuckDBInstance,
} from '@duckdb/node-api'
import type { KeyedBlobChunk, SqlValue } from './store.ts'

const EMPTY_BLOB = new Uint8Array(0)

/** Idle connections kept for reuse; more concurrent reads open (and later close) extra ones. */
const MAX_IDLE_CONNECTIONS = 4

/** BIGINTs and HUGEINTs become `number` when exact, so results are JSON-ready. */
function plain(value: unknown): unknown {
  // Numbers, strings, booleans and null (the bulk of every result) need nothing.
  if (value === null || (typeof value !== 'object' && typeof value !== 'bigint')) return value
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value
  }
  if (Array.isArray(value)) return value.map(plain)
  // BLOB bytes pass through as they are (the export reads its lines as bytes).
  if (ArrayBuffer.isView(value)) return value
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) out[key] = plain(inner)
    return out
  }
  return value
}

function plainRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  for (const row of rows) {
    for (const key of Object.keys(row)) row[key] = plain(row[key])
  }
  return rows
}

/** A pool of read connections on one DuckDB instance. */
export class SqlReader {
  readonly #instance: DuckDBInstance
  readonly #idle: DuckDBConnection[] = []
  readonly #busy = new Set<DuckDBConnection>()
  #closed = false

  constructor(instance: DuckDBInstance) {
    this.#instance = instance
  }

  async #acquire(): Promise<DuckDBConnection> {
    if (this.#closed) throw new Error('the store is closed')
    const connection = this.#idle.pop() ?? (await this.#instance.connect())
    this.#busy.add(connection)
    return connection
  }

  #release(connection: DuckDBConnection): void {
    this.#busy.delete(connection)
    if (!this.#closed && this.#idle.length < MAX_IDLE_CONNECTIONS) this.#idle.push(connection)
    else connection.closeSync()
  }

  async selectRows(sql: string, params?: readonly SqlValue[]): Promise<Record<string, unknown>[]> {
    const connection = await this.#acquire()
    try {
      const reader = await connection.runAndReadAll(sql, params === undefined ? [] : [...params])
      return plainRows(reader.getRowObjectsJS() as Record<string, unknown>[])
    } finally {
      this.#release(connection)
    }
  }

  async *streamRows(
    sql: string,
    params?: readonly SqlValue[],
  ): AsyncGenerator<Record<string, unknown>[]> {
    const connection = await this.#acquire()
    try {
      const result = await connection.stream(sql, params === undefined ? [] : [...params])
      for await (const rows of result.yieldRowObjectJs()) {
        if (rows.length > 0) yield plainRows(rows as Record<string, unknown>[])
      }
    } finally {
      this.#release(connection)
    }
  }

  async *streamKeyedBlobs(
    sql: string,
    params?: readonly SqlValue[],
  ): AsyncGenerator<KeyedBlobChunk> {
    const connection = await this.#acquire()
    try {
      const result = await connection.stream(sql, params === undefined ? [] : [...params])
      if (result.columnCount !== 2)
        throw new Error(
          `streamKeyedBlobs needs 2 columns (DOUBLE, BLOB), got ${result.columnCount}`,
        )
      for (;;) {
        const chunk = await result.fetchChunk()
        if (chunk === null || chunk.rowCount === 0) break
        const keyVector = chunk.getColumnVector(0)
        const blobVector = chunk.getColumnVector(1)
        if (!(keyVector instanceof DuckDBDoubleVector) || !(blobVector instanceof DuckDBBlobVector))
          throw new Error('streamKeyedBlobs needs a DOUBLE then a BLOB column')
        const rows = chunk.rowCount
        const keys = new Float64Array(rows)
        const blobs = new Array<Uint8Array>(rows)
        // Vector reads skip the row objects and value wrappers of `streamRows`: one native copy
        // of each BLOB's bytes is all that is left per row.
        for (let i = 0; i < rows; i++) {
          keys[i] = keyVector.getItem(i) ?? Number.NaN
          blobs[i] = blobVector.getItemBytes(i) ?? EMPTY_BLOB
        }
        yield { keys, blobs }
      }
    } finally {
      this.#release(connection)
    }
  }

  /** Closes idle connections; busy ones close as their reads finish. */
  close(): void {
    this.#closed = true
    for (const connection of this.#idle.splice(0)) connection.closeSync()
  }
}
