/**
 * @module The export archive (query-api.md §2.3) as a stream of bytes: a zip with one entry per part
 * of an upload hour, `<app>/<app>_<yyyy-MM-dd>_<H>#<part>.json.gz`, each the gzip of NDJSON export
 * records ordered by upload time then `seq`. Memory stays flat whatever the range: a part holds at
 * most `maxEventsPerPart` events (DuckDB sorts only those), and the archive is produced only as
 * fast as its reader takes it.
 */
import { ConfigError } from '../errors.ts'
import type { SqlValue, Store } from '../store/store.ts'
import { EXPORT_LINE_SOURCE, EXPORT_LINE_SQL } from './export-line-sql.ts'
import type { ExportRange } from './export-range.ts'
import { type CompressedPart, GzipPart } from './gzip-part.ts'
import { ZipWriter } from './zip-writer.ts'

const HOUR_MS = 3_600_000

/** Options of an export. */
export interface ExportOptions {
  /**
   * Most events in one zip entry; an hour with more is split into parts `#0`, `#1`, …. A part is
   * sorted and compressed whole before it is written, so this bounds memory. @default 50000
   */
  maxEventsPerPart?: number
  /** gzip level of each entry, 1 (fastest) to 9. @default 1 */
  gzipLevel?: number
  /**
   * Archive bytes produced ahead of the reader, in bytes: lets the next part compress while the
   * previous one is sent. @default 4194304 (4 MiB)
   */
  readAheadBytes?: number
  /** Writes ZIP64 records even for small archives (tests of the large-archive layout). @default false */
  forceZip64?: boolean
}

/** An export ready to stream. */
export interface ExportArchive {
  /** Events in the range when the export started. */
  events: number
  /** The zip bytes; cancelling it stops the queries and releases their connection. */
  body: ReadableStream<Uint8Array>
}

interface HourCount {
  hourMs: number
  count: number
}

/** A position in the export order: upload time, then `seq`. */
interface RowKey {
  uploadMs: number
  seq: number
}

/** The entry name Amplitude uses: the hour is not zero-padded, the date is the upload date (UTC). */
export function exportEntryName(projectId: number, hourMs: number, part: number): string {
  const date = new Date(hourMs).toISOString().slice(0, 10)
  return `${projectId}/${projectId}_${date}_${new Date(hourMs).getUTCHours()}#${part}.json.gz`
}

/** `ExportOptions` with every default filled in. */
export type ResolvedExportOptions = Required<ExportOptions>

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ConfigError(`export.${name} must be a positive integer, got ${value}`)
  return value
}

/** Fills the defaults and checks every option; throws `ConfigError` naming the bad one. */
export function resolveExportOptions(options: ExportOptions = {}): ResolvedExportOptions {
  const gzipLevel = positiveInteger(options.gzipLevel, 'gzipLevel', 1)
  if (gzipLevel > 9) throw new ConfigError(`export.gzipLevel must be 1 to 9, got ${gzipLevel}`)
  return {
    maxEventsPerPart: positiveInteger(options.maxEventsPerPart, 'maxEventsPerPart', 50_000),
    gzipLevel,
    readAheadBytes: positiveInteger(options.readAheadBytes, 'readAheadBytes', 4 << 20),
    forceZip64: options.forceZip64 ?? false,
  }
}

/**
 * Starts an export of `projectId`'s events uploaded in `range`; `undefined` when there are none
 * (the route answers 404). Throws `ConfigError` for a bad option.
 */
export async function openExport(
  store: Store,
  projectId: number,
  range: ExportRange,
  options: ExportOptions = {},
): Promise<ExportArchive | undefined> {
  const { maxEventsPerPart, gzipLevel, readAheadBytes, forceZip64 } = resolveExportOptions(options)
  const rows = await store.selectRows(
    `SELECT (server_upload_time_ms // ${HOUR_MS}) * ${HOUR_MS} AS hour_ms, count(*) AS n
     FROM events WHERE project_id = ? AND server_upload_time_ms >= ? AND server_upload_time_ms < ?
     GROUP BY 1 ORDER BY 1`,
    [projectId, range.startMs, range.endMs],
  )
  const hours: HourCount[] = rows.map((row) => ({
    hourMs: Number(row.hour_ms),
    count: Number(row.n),
  }))
  if (hours.length === 0) return undefined
  const cancelled = new AbortController()
  const bytes = archiveBytes(
    new PartReader(store, projectId, gzipLevel, cancelled.signal),
    hours,
    maxEventsPerPart,
    new ZipWriter({ forceZip64 }),
  )
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await bytes.next()
        if (next.done) controller.close()
        else controller.enqueue(next.value)
      },
      async cancel() {
        cancelled.abort()
        await bytes.return(undefined)
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: readAheadBytes }),
  )
  return { events: hours.reduce((sum, hour) => sum + hour.count, 0), body }
}

/** The archive: each hour's parts in order, then the central directory. */
async function* archiveBytes(
  reader: PartReader,
  hours: readonly HourCount[],
  maxEventsPerPart: number,
  zip: ZipWriter,
): AsyncGenerator<Uint8Array> {
  for (const { hourMs, count } of hours) {
    let part = 0
    let after: RowKey | undefined
    let remaining = count
    for (;;) {
      // The hour's counts come from a snapshot taken before: rows uploaded since then make the last
      // part longer, deleted ones shorter; every row still lands in exactly one part.
      const last =
        remaining > maxEventsPerPart
          ? await reader.nthKey(hourMs, after, maxEventsPerPart)
          : undefined
      const { compressed, events } = await reader.part(hourMs, after, last)
      if (events > 0) {
        yield zip.localHeader(
          exportEntryName(reader.projectId, hourMs, part),
          compressed.size,
          compressed.crc,
          hourMs,
        )
        yield* compressed.chunks
        part += 1
      }
      if (last === undefined) break
      after = last
      remaining -= events
    }
  }
  yield* zip.finish()
}

/** Reads the parts of one project's export from the store. */
class PartReader {
  readonly #store: Store
  readonly projectId: number
  readonly #gzipLevel: number
  readonly #signal: AbortSignal

  constructor(store: Store, projectId: number, gzipLevel: number, signal: AbortSignal) {
    this.#store = store
    this.projectId = projectId
    this.#gzipLevel = gzipLevel
    this.#signal = signal
  }

  /** Rows of the hour after `after` up to `last` (both in export order; absent = hour bound). */
  #where(hourMs: number, after: RowKey | undefined, last: RowKey | undefined) {
    // The plain bounds on server_upload_time_ms let DuckDB skip row groups by their zone maps.
    let sql =
      'project_id = ? AND server_upload_time_ms >= ? AND server_upload_time_ms <= ? AND server_upload_time_ms < ?'
    const params: SqlValue[] = [
      this.projectId,
      after?.uploadMs ?? hourMs,
      last?.uploadMs ?? hourMs + HOUR_MS,
      hourMs + HOUR_MS,
    ]
    if (after !== undefined) {
      sql += ' AND (server_upload_time_ms > ? OR seq > ?)'
      params.push(after.uploadMs, after.seq)
    }
    if (last !== undefined) {
      sql += ' AND (server_upload_time_ms < ? OR seq <= ?)'
      params.push(last.uploadMs, last.seq)
    }
    return { sql, params }
  }

  /** The key of the `n`-th row after `after` in the hour, or `undefined` when there are fewer. */
  async nthKey(hourMs: number, after: RowKey | undefined, n: number): Promise<RowKey | undefined> {
    const { sql, params } = this.#where(hourMs, after, undefined)
    const rows = await this.#store.selectRows(
      `SELECT server_upload_time_ms AS upload_ms, seq FROM events WHERE ${sql}
       ORDER BY server_upload_time_ms, seq LIMIT 1 OFFSET ${n - 1}`,
      params,
    )
    const row = rows[0]
    return row === undefined ? undefined : { uploadMs: Number(row.upload_ms), seq: Number(row.seq) }
  }

  /** Compresses the rows of one part. */
  async part(
    hourMs: number,
    after: RowKey | undefined,
    last: RowKey | undefined,
  ): Promise<{ compressed: CompressedPart; events: number }> {
    const { sql, params } = this.#where(hourMs, after, last)
    // Rows are appended in upload order, so the table order almost always is the export order:
    // reading it unsorted lets DuckDB stream the part instead of sorting it whole. Nothing of a
    // part is written before it is complete, so a row out of order (a clock stepped back, commits
    // of two write connections interleaved) just means reading the part again, sorted.
    return (await this.#compress(sql, params, false)) ?? (await this.#compress(sql, params, true))!
  }

  /** The part compressed, or `undefined` when `sorted` is false and a row came out of order. */
  async #compress(
    where: string,
    params: readonly SqlValue[],
    sorted: boolean,
  ): Promise<{ compressed: CompressedPart; events: number } | undefined> {
    const gzip = new GzipPart(this.#gzipLevel)
    let events = 0
    let lastUploadMs = Number.NEGATIVE_INFINITY
    let lastSeq = Number.NEGATIVE_INFINITY
    try {
      const rowsOf = this.#store.streamRows(
        // DOUBLE keys (exact below 2^53) arrive as numbers, without a BigInt per row.
        `SELECT server_upload_time_ms::DOUBLE AS upload_ms, seq::DOUBLE AS seq, ${EXPORT_LINE_SQL}
         FROM ${EXPORT_LINE_SOURCE} WHERE ${where}
         ${sorted ? 'ORDER BY server_upload_time_ms, seq' : ''}`,
        params,
      )
      for await (const rows of rowsOf) {
        this.#signal.throwIfAborted()
        const lines: Uint8Array[] = new Array(rows.length)
        let bytes = 0
        for (let index = 0; index < rows.length; index++) {
          const row = rows[index]!
          const uploadMs = row.upload_ms as number
          const seq = row.seq as number
          if (uploadMs < lastUploadMs || (uploadMs === lastUploadMs && seq < lastSeq)) {
            if (sorted) throw new Error(`export failed: rows out of order after ORDER BY`)
            gzip.destroy()
            return undefined
          }
          lastUploadMs = uploadMs
          lastSeq = seq
          const line = row.line as Uint8Array
          lines[index] = line
          bytes += line.byteLength
        }
        events += rows.length
        await gzip.write(Buffer.concat(lines, bytes))
      }
      return { compressed: await gzip.finish(), events }
    } catch (error) {
      gzip.destroy()
      throw error
    }
  }
}
