/**
 * @module Output files of `ampkit export`: NDJSON (optionally gzipped), CSV (RFC 4180, the 55 export
 * keys as columns, objects as JSON text) and Parquet (DuckDB converts a spooled NDJSON file when the
 * output closes, with the export record's types). Each writer respects the file stream's backpressure,
 * so memory stays flat whatever the export's size.
 */
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { createGzip } from 'node:zlib'
import { EXPORT_RECORD_KEYS } from '@ampkit/protocol'
import { csvField as csvCell } from '../output/csv-text.ts'

export const EXPORT_FORMATS = ['ndjson', 'csv', 'parquet'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** One output file. */
export interface RecordWriter {
  /** Appends one record given as its NDJSON line (no newline) and, when parsed, the object. */
  write(line: Buffer | string, record?: Record<string, unknown>): Promise<void>
  /** Appends whole NDJSON lines, each ending with `\n` (the unparsed fast path). */
  writeBlock(block: Buffer): Promise<void>
  /** Whether `write` needs the parsed record. */
  readonly needsRecord: boolean
  /**
   * Closes the file but not the output: the next write reopens it in append mode. Split exports
   * suspend a file when its hour or day is done, so they never hold one descriptor per file.
   */
  suspend(): Promise<void>
  /** Finishes the output. */
  close(): Promise<void>
}

async function put(stream: Writable, chunk: Buffer | string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain')
}

const NEWLINE = Buffer.from('\n')

/**
 * A text output (file or standard output), optionally gzipped, opened on first use. A reopened file
 * is appended to; a gzipped one then holds several gzip members, which every gunzip reads as one.
 */
class TextOutput {
  readonly #path: string | undefined
  readonly #gzip: boolean
  readonly #stdout: Writable
  #opened = 0
  #file: WriteStream | undefined
  #sink: Writable | undefined

  constructor(path: string | undefined, gzip: boolean, stdout: Writable) {
    this.#path = path
    this.#gzip = gzip
    this.#stdout = stdout
  }

  /** True before the first byte was ever written. */
  get fresh(): boolean {
    return this.#opened === 0
  }

  #open(): Writable {
    if (this.#sink !== undefined) return this.#sink
    this.#file =
      this.#path === undefined
        ? undefined
        : createWriteStream(this.#path, { flags: this.#opened === 0 ? 'w' : 'a' })
    this.#opened += 1
    const target: Writable = this.#file ?? this.#stdout
    if (this.#gzip) {
      const zip = createGzip({ level: 6 })
      zip.pipe(target, { end: this.#file !== undefined })
      this.#sink = zip
    } else this.#sink = target
    return this.#sink
  }

  write(chunk: Buffer | string): Promise<void> {
    return put(this.#open(), chunk)
  }

  async suspend(): Promise<void> {
    const sink = this.#sink
    if (sink === undefined) return
    this.#sink = undefined
    if (this.#file !== undefined) {
      const closed = once(this.#file, 'close')
      sink.end()
      await closed
      this.#file = undefined
    } else if (this.#gzip) {
      // Standard output stays open; only the gzip stream in front of it ends.
      const ended = once(sink, 'end')
      sink.end()
      await ended
    }
  }
}

class NdjsonWriter implements RecordWriter {
  readonly needsRecord = false
  readonly #out: TextOutput

  constructor(path: string | undefined, gzip: boolean, stdout: Writable) {
    this.#out = new TextOutput(path, gzip, stdout)
  }

  write(line: Buffer | string): Promise<void> {
    return this.#out.write(typeof line === 'string' ? `${line}\n` : Buffer.concat([line, NEWLINE]))
  }

  writeBlock(block: Buffer): Promise<void> {
    return this.#out.write(block)
  }

  suspend(): Promise<void> {
    return this.#out.suspend()
  }

  close(): Promise<void> {
    return this.#out.suspend()
  }
}

class CsvWriter implements RecordWriter {
  readonly needsRecord = true
  readonly #out: TextOutput

  constructor(path: string | undefined, gzip: boolean, stdout: Writable) {
    this.#out = new TextOutput(path, gzip, stdout)
  }

  write(line: Buffer | string, record?: Record<string, unknown>): Promise<void> {
    const value = record ?? (JSON.parse(line.toString()) as Record<string, unknown>)
    const header = this.#out.fresh ? `${EXPORT_RECORD_KEYS.map(csvCell).join(',')}\r\n` : ''
    return this.#out.write(
      `${header}${EXPORT_RECORD_KEYS.map((key) => csvCell(value[key])).join(',')}\r\n`,
    )
  }

  async writeBlock(block: Buffer): Promise<void> {
    for (const line of block.toString('utf8').split('\n')) if (line !== '') await this.write(line)
  }

  suspend(): Promise<void> {
    return this.#out.suspend()
  }

  close(): Promise<void> {
    return this.#out.suspend()
  }
}

/** DuckDB types of the export record's keys for Parquet; objects stay JSON. */
const PARQUET_TYPES: Record<string, string> = {
  app: 'BIGINT',
  event_id: 'BIGINT',
  $schema: 'BIGINT',
  amplitude_id: 'BIGINT',
  session_id: 'BIGINT',
  event_time: 'TIMESTAMP',
  client_event_time: 'TIMESTAMP',
  client_upload_time: 'TIMESTAMP',
  server_received_time: 'TIMESTAMP',
  server_upload_time: 'TIMESTAMP',
  processed_time: 'TIMESTAMP',
  user_creation_time: 'TIMESTAMP',
  event_properties: 'JSON',
  user_properties: 'JSON',
  group_properties: 'JSON',
  groups: 'JSON',
  global_user_properties: 'JSON',
  plan: 'JSON',
  data: 'JSON',
  location_lat: 'DOUBLE',
  location_lng: 'DOUBLE',
  is_attribution_event: 'BOOLEAN',
  paying: 'BOOLEAN',
  sample_rate: 'DOUBLE',
  amplitude_attribution_ids: 'JSON',
}

class ParquetWriter implements RecordWriter {
  readonly needsRecord = false
  readonly #path: string
  #spool: Promise<{ dir: string; file: string; writer: NdjsonWriter }> | undefined

  constructor(path: string) {
    this.#path = path
  }

  #spooled() {
    this.#spool ??= mkdtemp(join(tmpdir(), 'ampkit-parquet-')).then((dir) => {
      const file = join(dir, 'spool.ndjson')
      return { dir, file, writer: new NdjsonWriter(file, false, process.stdout) }
    })
    return this.#spool
  }

  async write(line: Buffer | string): Promise<void> {
    await (await this.#spooled()).writer.write(line)
  }

  async writeBlock(block: Buffer): Promise<void> {
    await (await this.#spooled()).writer.writeBlock(block)
  }

  async suspend(): Promise<void> {
    if (this.#spool !== undefined) await (await this.#spool).writer.suspend()
  }

  async close(): Promise<void> {
    const { dir, writer, file } = await this.#spooled()
    await writer.close()
    try {
      const { DuckDBInstance } = await import('@duckdb/node-api')
      const instance = await DuckDBInstance.create(':memory:')
      const connection = await instance.connect()
      try {
        const columns = EXPORT_RECORD_KEYS.map(
          (key) => `'${key}': '${PARQUET_TYPES[key] ?? 'VARCHAR'}'`,
        ).join(', ')
        const quote = (text: string) => `'${text.replaceAll("'", "''")}'`
        await connection.run(
          `COPY (SELECT * FROM read_json(${quote(file)}, format = 'newline_delimited',
             columns = {${columns}}, timestampformat = '%Y-%m-%d %H:%M:%S.%f'))
           TO ${quote(this.#path)} (FORMAT parquet, COMPRESSION zstd)`,
        )
      } finally {
        connection.closeSync()
        instance.closeSync()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** A writer for one output file (`path` undefined = standard output; not for Parquet). */
export function openRecordWriter(
  format: ExportFormat,
  path: string | undefined,
  options: { gzip: boolean; stdout: Writable },
): RecordWriter {
  if (format === 'ndjson') return new NdjsonWriter(path, options.gzip, options.stdout)
  if (format === 'csv') return new CsvWriter(path, options.gzip, options.stdout)
  if (path === undefined) throw new Error('Parquet needs an output file')
  return new ParquetWriter(path)
}
