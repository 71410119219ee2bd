/**
 * @module Worker: the baseline of the server scenario — a plain DuckDB bulk insert of the same rows,
 * with no HTTP, no validation, no de-duplication and no profiles. Rows arrive in 2,000-event batches
 * (parsed from the same kind of JSON body the load process sends) and are turned into column values
 * untimed (JSON text of the property columns included: the server has that before it touches
 * DuckDB). Only the insert is timed, as wall time and as CPU time of the whole process (DuckDB's
 * threads included). Every way commits once per batch, as a server acknowledging each request
 * must, except `appender-chunk-bulk`, which commits once per 122,880 rows (one DuckDB row group):
 * DuckDB's own ceiling, what a server that acknowledged from a log of its own could reach.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBValue,
} from '@duckdb/node-api'
import { failWorker, finishWorker, workerInput } from '../lib/child.ts'
import { eventStream } from '../lib/events.ts'

/**
 * How the rows go in: per-value Appender calls, a columnar DataChunk per batch, DuckDB's own JSON
 * reader, or DataChunks committed once per row group.
 */
export type DuckDbInsertMethod =
  | 'appender-rows'
  | 'appender-chunk'
  | 'insert-read-json'
  | 'appender-chunk-bulk'

export interface DuckDbBaselineInput {
  rows: number
  batchEvents: number
  dbPath: string
  method: DuckDbInsertMethod
}

export interface DuckDbBaselineResult {
  method: DuckDbInsertMethod
  rows: number
  insertMs: number
  rowsPerSecond: number
  /** CPU time of the process (all threads) during the timed inserts, per row, in µs. */
  cpuUsPerRow: number
  storedRows: number
  error?: string
}

interface ParsedEvent {
  insert_id: string
  event_type: string
  user_id: string
  device_id: string
  time: number
  event_properties: Record<string, unknown>
  platform: string
  library: string
}

type Kind = 'bigint' | 'integer' | 'double' | 'varchar'

interface Row {
  seq: bigint
  amplitudeId: bigint
  event: ParsedEvent
  receivedAt: bigint
}

/**
 * The server's `events` table, column for column (mirrors `EVENT_COLUMNS` of
 * packages/server/src/store/event-row.ts: JSON kept as VARCHAR text), so the baseline writes rows of
 * the same width. Fields the load does not send are NULL, as they are in the server's rows.
 */
const columns: readonly { name: string; kind: Kind; value: (row: Row) => unknown }[] = [
  { name: 'seq', kind: 'bigint', value: (row) => row.seq },
  { name: 'project_id', kind: 'integer', value: () => 1 },
  { name: 'server_upload_time_ms', kind: 'bigint', value: (row) => row.receivedAt },
  { name: 'event_time_ms', kind: 'bigint', value: (row) => BigInt(row.event.time) },
  { name: 'amplitude_id', kind: 'bigint', value: (row) => row.amplitudeId },
  { name: 'event_type', kind: 'varchar', value: (row) => row.event.event_type },
  { name: 'user_id', kind: 'varchar', value: (row) => row.event.user_id },
  { name: 'device_id', kind: 'varchar', value: (row) => row.event.device_id },
  { name: 'session_id', kind: 'bigint', value: () => -1n },
  { name: 'insert_id', kind: 'varchar', value: (row) => row.event.insert_id },
  { name: 'uuid', kind: 'varchar', value: (row) => row.event.insert_id },
  { name: 'revenue', kind: 'double', value: () => null },
  { name: 'quantity', kind: 'bigint', value: () => null },
  { name: 'platform', kind: 'varchar', value: (row) => row.event.platform },
  { name: 'os_name', kind: 'varchar', value: () => null },
  { name: 'os_version', kind: 'varchar', value: () => null },
  { name: 'device_model', kind: 'varchar', value: () => null },
  { name: 'country', kind: 'varchar', value: () => null },
  { name: 'region', kind: 'varchar', value: () => null },
  { name: 'city', kind: 'varchar', value: () => null },
  { name: 'language', kind: 'varchar', value: () => null },
  { name: 'version_name', kind: 'varchar', value: () => null },
  {
    name: 'event_properties',
    kind: 'varchar',
    value: (row) => JSON.stringify(row.event.event_properties),
  },
  { name: 'user_properties', kind: 'varchar', value: () => '{}' },
  { name: 'groups', kind: 'varchar', value: () => '{}' },
  { name: 'group_properties', kind: 'varchar', value: () => '{}' },
  {
    name: 'extra',
    kind: 'varchar',
    value: (row) => JSON.stringify({ library: row.event.library }),
  },
]

const createTable = `CREATE TABLE events (${columns
  .map((column) => `${column.name} ${column.kind.toUpperCase()}`)
  .join(', ')})`

function appendValue(appender: DuckDBAppender, kind: Kind, value: unknown): void {
  if (value === null || value === undefined) appender.appendNull()
  else if (kind === 'bigint') appender.appendBigInt(value as bigint)
  else if (kind === 'integer') appender.appendInteger(value as number)
  else if (kind === 'double') appender.appendDouble(value as number)
  else appender.appendVarchar(value as string)
}

function batchBody(
  next: (seq: number) => ReturnType<ReturnType<typeof eventStream>>,
  from: number,
  count: number,
): string {
  const events = []
  const now = Date.now()
  for (let seq = from; seq < from + count; seq++) {
    const event = next(seq)
    events.push({
      insert_id: randomUUID(),
      event_type: event.eventType,
      user_id: event.userId,
      device_id: event.deviceId,
      time: now + seq,
      event_properties: event.properties,
      platform: 'Node.js',
      library: 'ampkit-bench/1.0',
    })
  }
  return JSON.stringify({ api_key: 'k', events })
}

/** One batch, prepared untimed: its column values (column-major) and its NDJSON lines. */
interface Batch {
  rows: number
  values: DuckDBValue[][]
  ndjson: string
}

/** One inserter per method: `insert` is the timed part, called once per batch. */
interface Inserter {
  insert(batch: Batch): Promise<void>
  close(): Promise<void>
}

async function appenderRows(connection: DuckDBConnection): Promise<Inserter> {
  const appender = await connection.createAppender('events')
  return {
    async insert({ rows, values }) {
      for (let row = 0; row < rows; row++) {
        for (let c = 0; c < columns.length; c++) {
          appendValue(appender, columns[c]!.kind, values[c]![row])
        }
        appender.endRow()
      }
      appender.flushSync()
    },
    async close() {
      appender.closeSync()
    },
  }
}

/** DuckDB's vector size: a DataChunk holds at most this many rows. */
const chunkRows = 2_048

/** Rows per transaction of `appender-chunk-bulk`: one DuckDB row group. */
const bulkRows = 122_880

async function appenderChunk(connection: DuckDBConnection, bulk: boolean): Promise<Inserter> {
  const appender = await connection.createAppender('events')
  const types = Array.from({ length: appender.columnCount }, (_, index) =>
    appender.columnType(index),
  )
  let pending = 0
  return {
    async insert({ rows, values }) {
      for (let from = 0; from < rows; from += chunkRows) {
        const count = Math.min(chunkRows, rows - from)
        const chunk = DuckDBDataChunk.create(types, count)
        chunk.setColumns(
          from === 0 && count === rows ? values : values.map((v) => v.slice(from, from + count)),
        )
        appender.appendDataChunk(chunk)
      }
      pending += rows
      if (!bulk || pending >= bulkRows) {
        // Outside an explicit transaction the appender's flush is its commit.
        appender.flushSync()
        pending = 0
      }
    },
    async close() {
      appender.closeSync()
    },
  }
}

async function insertReadJson(connection: DuckDBConnection, dir: string): Promise<Inserter> {
  const file = join(dir, 'baseline-batch.ndjson')
  let seq = 0
  return {
    async insert({ rows, ndjson }) {
      writeFileSync(file, ndjson)
      const receivedAt = Date.now()
      await connection.run(
        `INSERT INTO events SELECT ${seq} + row_number() OVER (), 1, ${receivedAt}, time,
           hash(user_id) % 1000000, event_type, user_id, device_id, -1, insert_id, insert_id,
           NULL, NULL, platform, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           event_properties::VARCHAR, '{}', '{}', '{}', json_object('library', library)::VARCHAR
         FROM read_json('${file}', format = 'newline_delimited', columns = {
           insert_id: 'VARCHAR', event_type: 'VARCHAR', user_id: 'VARCHAR', device_id: 'VARCHAR',
           time: 'BIGINT', platform: 'VARCHAR', library: 'VARCHAR', event_properties: 'JSON'})`,
      )
      seq += rows
    },
    async close() {},
  }
}

async function main(): Promise<void> {
  const input = workerInput<DuckDbBaselineInput>()
  const instance = await DuckDBInstance.create(input.dbPath)
  const connection = await instance.connect()
  await connection.run(createTable)
  const inserter =
    input.method === 'appender-rows'
      ? await appenderRows(connection)
      : input.method === 'appender-chunk' || input.method === 'appender-chunk-bulk'
        ? await appenderChunk(connection, input.method === 'appender-chunk-bulk')
        : await insertReadJson(connection, dirname(input.dbPath))
  const next = eventStream(99)
  const amplitudeIds = new Map<string, bigint>()
  let insertMs = 0
  let cpuUs = 0
  for (let from = 0; from < input.rows; from += input.batchEvents) {
    const count = Math.min(input.batchEvents, input.rows - from)
    const events = (JSON.parse(batchBody(next, from, count)) as { events: ParsedEvent[] }).events
    // Untimed preparation: what the server would have after parsing and validating a request.
    const receivedAt = BigInt(Date.now())
    const rows = events.map((event, index): Row => {
      let amplitudeId = amplitudeIds.get(event.user_id)
      if (amplitudeId === undefined) {
        amplitudeId = BigInt(amplitudeIds.size + 1)
        amplitudeIds.set(event.user_id, amplitudeId)
      }
      return { seq: BigInt(from + index), amplitudeId, event, receivedAt }
    })
    const ndjson =
      input.method === 'insert-read-json'
        ? events.map((event) => JSON.stringify(event)).join('\n')
        : ''
    const values = columns.map((column) => rows.map((row) => column.value(row) as DuckDBValue))
    const startedAt = performance.now()
    const cpuAt = process.cpuUsage()
    await inserter.insert({ rows: rows.length, values, ndjson })
    const cpu = process.cpuUsage(cpuAt)
    insertMs += performance.now() - startedAt
    cpuUs += cpu.user + cpu.system
  }
  // The bulk way's last partial row group commits here, timed like every other commit.
  const closedAt = performance.now()
  const cpuAt = process.cpuUsage()
  await inserter.close()
  const cpu = process.cpuUsage(cpuAt)
  insertMs += performance.now() - closedAt
  cpuUs += cpu.user + cpu.system
  const reader = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM events')
  const storedRows = Number(reader.getRows()[0]?.[0] ?? 0)
  connection.closeSync()
  instance.closeSync()
  finishWorker({
    method: input.method,
    rows: input.rows,
    insertMs,
    rowsPerSecond: (input.rows / insertMs) * 1_000,
    cpuUsPerRow: cpuUs / input.rows,
    storedRows,
  } satisfies DuckDbBaselineResult)
}

main().catch(failWorker)
