/**
 * @module Worker: the baseline of the server scenario — a plain DuckDB bulk insert of the same rows,
 * with no HTTP, no validation, no de-duplication and no profiles. Rows arrive in 2,000-event batches
 * (parsed from the same kind of JSON body the load process sends) and are appended with DuckDB's
 * Appender into a file database, one flush (commit) per batch as a server acknowledging each request
 * must. Only the insert is timed. Three ways are measured and the fastest is the baseline.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBValue,
} from '@duckdb/node-api'
import { failWorker, finishWorker, workerInput } from '../lib/child.ts'
import { eventStream } from '../lib/events.ts'

/** How the rows go in: per-value Appender calls, a columnar DataChunk per batch, or DuckDB's own JSON reader. */
export type DuckDbInsertMethod = 'appender-rows' | 'appender-chunk' | 'insert-read-json'

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

// Comparable to what the server stores per event: ids, times, type, the property bags as JSON text
// and a few device fields.
const createTable = `CREATE TABLE events (
  event_id BIGINT,
  project_id INTEGER,
  amplitude_id BIGINT,
  insert_id VARCHAR,
  event_type VARCHAR,
  user_id VARCHAR,
  device_id VARCHAR,
  event_time BIGINT,
  server_received_time BIGINT,
  session_id BIGINT,
  platform VARCHAR,
  library VARCHAR,
  event_properties VARCHAR,
  user_properties VARCHAR
)`

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

interface Row {
  eventId: bigint
  amplitudeId: bigint
  event: ParsedEvent
  receivedAt: bigint
}

/** One inserter per method: `insert` is the timed part, called once per batch. */
interface Inserter {
  insert(rows: Row[], ndjson: string): Promise<void>
  close(): Promise<void>
}

async function appenderRows(connection: DuckDBConnection): Promise<Inserter> {
  const appender = await connection.createAppender('events')
  return {
    async insert(rows) {
      for (const { eventId, amplitudeId, event, receivedAt } of rows) {
        appender.appendBigInt(eventId)
        appender.appendInteger(1)
        appender.appendBigInt(amplitudeId)
        appender.appendVarchar(event.insert_id)
        appender.appendVarchar(event.event_type)
        appender.appendVarchar(event.user_id)
        appender.appendVarchar(event.device_id)
        appender.appendBigInt(BigInt(event.time))
        appender.appendBigInt(receivedAt)
        appender.appendBigInt(-1n)
        appender.appendVarchar(event.platform)
        appender.appendVarchar(event.library)
        appender.appendVarchar(JSON.stringify(event.event_properties))
        appender.appendVarchar('{}')
        appender.endRow()
      }
      appender.flushSync()
    },
    async close() {
      appender.closeSync()
    },
  }
}

async function appenderChunk(connection: DuckDBConnection): Promise<Inserter> {
  const appender = await connection.createAppender('events')
  const types = Array.from({ length: appender.columnCount }, (_, index) =>
    appender.columnType(index),
  )
  return {
    async insert(rows) {
      const columns: DuckDBValue[][] = Array.from({ length: types.length }, () => [])
      for (const { eventId, amplitudeId, event, receivedAt } of rows) {
        const values: DuckDBValue[] = [
          eventId,
          1,
          amplitudeId,
          event.insert_id,
          event.event_type,
          event.user_id,
          event.device_id,
          BigInt(event.time),
          receivedAt,
          -1n,
          event.platform,
          event.library,
          JSON.stringify(event.event_properties),
          '{}',
        ]
        for (let column = 0; column < values.length; column++)
          columns[column]!.push(values[column]!)
      }
      const chunk = DuckDBDataChunk.create(types, rows.length)
      chunk.setColumns(columns)
      appender.appendDataChunk(chunk)
      appender.flushSync()
    },
    async close() {
      appender.closeSync()
    },
  }
}

async function insertReadJson(connection: DuckDBConnection, dir: string): Promise<Inserter> {
  const file = join(dir, 'baseline-batch.ndjson')
  let eventId = 0
  return {
    async insert(rows, ndjson) {
      writeFileSync(file, ndjson)
      const receivedAt = Date.now()
      await connection.run(
        `INSERT INTO events SELECT ${eventId} + row_number() OVER (), 1, hash(user_id) % 1000000, insert_id,
           event_type, user_id, device_id, time, ${receivedAt}, -1, platform, library,
           event_properties::VARCHAR, '{}'
         FROM read_json('${file}', format = 'newline_delimited', columns = {
           insert_id: 'VARCHAR', event_type: 'VARCHAR', user_id: 'VARCHAR', device_id: 'VARCHAR',
           time: 'BIGINT', platform: 'VARCHAR', library: 'VARCHAR', event_properties: 'JSON'})`,
      )
      eventId += rows.length
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
      : input.method === 'appender-chunk'
        ? await appenderChunk(connection)
        : await insertReadJson(connection, dirname(input.dbPath))
  const next = eventStream(99)
  const amplitudeIds = new Map<string, bigint>()
  let insertMs = 0
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
      return { eventId: BigInt(from + index), amplitudeId, event, receivedAt }
    })
    const ndjson =
      input.method === 'insert-read-json'
        ? events.map((event) => JSON.stringify(event)).join('\n')
        : ''
    const startedAt = performance.now()
    await inserter.insert(rows, ndjson)
    insertMs += performance.now() - startedAt
  }
  await inserter.close()
  const reader = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM events')
  const storedRows = Number(reader.getRows()[0]?.[0] ?? 0)
  connection.closeSync()
  instance.closeSync()
  finishWorker({
    method: input.method,
    rows: input.rows,
    insertMs,
    rowsPerSecond: (input.rows / insertMs) * 1_000,
    storedRows,
  } satisfies DuckDbBaselineResult)
}

main().catch(failWorker)
