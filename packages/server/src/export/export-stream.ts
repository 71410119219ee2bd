/**
 * @module The export archive (query-api.md §2.3) as a stream of bytes: a zip with one entry per part
 * of an upload hour, `<app>/<app>_<yyyy-MM-dd>_<H>#<part>.json.gz`, each the gzip of NDJSON export
 * records. The whole range is read in ONE scan, in the table's order (DuckDB keeps insertion order,
 * which is upload order), and cut into parts as the rows go by: a part ends when the upload hour
 * changes or it holds `maxEventsPerPart` events. (One query per hour cost ~17 ms each: 2,160 of them
 * for 90 days dominated a million-event export.) A row that arrives out of order (a clock stepped
 * back) opens another part of its own hour, so every event still lands in exactly one entry of the
 * right hour; nothing needs sorting. Memory stays flat whatever the range: one part, compressed, is
 * the most held, and the archive is produced only as fast as its reader takes it.
 */
import { ConfigError } from '../errors.ts'
import type { SqlValue, Store } from '../store/store.ts'
import { EXPORT_LINE_SOURCE, EXPORT_LINE_SQL } from './export-line-sql.ts'
import type { ExportRange } from './export-range.ts'
import { GzipPart } from './gzip-part.ts'
import { ZipWriter } from './zip-writer.ts'

const HOUR_MS = 3_600_000

/** Options of an export. */
export interface ExportOptions {
  /**
   * Most events in one zip entry; an hour with more is split into parts `#0`, `#1`, …. A part is
   * compressed whole before it is written, so this bounds memory. @default 50000
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
  // Only whether the range holds events (404 otherwise) and how many: the parts are cut by the scan.
  const [counted] = await store.selectRows(
    `SELECT count(*) AS n FROM events
     WHERE project_id = ? AND server_upload_time_ms >= ? AND server_upload_time_ms < ?`,
    [projectId, range.startMs, range.endMs],
  )
  const events = Number(counted?.n ?? 0)
  if (events === 0) return undefined
  const cancelled = new AbortController()
  const bytes = archiveBytes(
    store,
    { projectId, startMs: range.startMs, endMs: range.endMs, gzipLevel, maxEventsPerPart },
    cancelled.signal,
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
  return { events, body }
}

/** What one archive reads. */
interface ArchiveScan {
  projectId: number
  startMs: number
  endMs: number
  gzipLevel: number
  maxEventsPerPart: number
}

/** The part being filled. */
interface OpenPart {
  hourMs: number
  gzip: GzipPart
  events: number
}

/** The archive: one scan of the range cut into parts, then the central directory. */
async function* archiveBytes(
  store: Store,
  scan: ArchiveScan,
  signal: AbortSignal,
  zip: ZipWriter,
): AsyncGenerator<Uint8Array> {
  const nextPartOfHour = new Map<number, number>()
  let part: OpenPart | undefined
  async function* closePart(): AsyncGenerator<Uint8Array> {
    if (part === undefined) return
    const { hourMs, gzip } = part
    part = undefined
    const compressed = await gzip.finish()
    const index = nextPartOfHour.get(hourMs) ?? 0
    nextPartOfHour.set(hourMs, index + 1)
    yield zip.localHeader(
      exportEntryName(scan.projectId, hourMs, index),
      compressed.size,
      compressed.crc,
      hourMs,
    )
    yield* compressed.chunks
  }
  try {
    const chunks = store.streamKeyedBlobs(
      // The hour as a DOUBLE (exact below 2^53) arrives as a number, without a BigInt per row. The
      // plain bounds on server_upload_time_ms let DuckDB skip row groups by their zone maps.
      `SELECT ((server_upload_time_ms // ${HOUR_MS}) * ${HOUR_MS})::DOUBLE AS hour_ms, ${EXPORT_LINE_SQL}
       FROM ${EXPORT_LINE_SOURCE}
       WHERE project_id = ? AND server_upload_time_ms >= ? AND server_upload_time_ms < ?`,
      [scan.projectId, scan.startMs, scan.endMs] satisfies SqlValue[],
    )
    for await (const { keys: hours, blobs: lines } of chunks) {
      signal.throwIfAborted()
      let from = 0
      while (from < lines.length) {
        const hourMs = hours[from]!
        if (part !== undefined && (part.hourMs !== hourMs || part.events >= scan.maxEventsPerPart))
          yield* closePart()
        part ??= { hourMs, gzip: new GzipPart(scan.gzipLevel), events: 0 }
        // The run of lines of this hour that still fits in the part goes to gzip as one buffer.
        const room = scan.maxEventsPerPart - part.events
        let to = from
        let bytes = 0
        while (to < lines.length && to - from < room && hours[to] === hourMs) {
          bytes += lines[to]!.byteLength
          to++
        }
        await part.gzip.write(Buffer.concat(lines.slice(from, to), bytes))
        part.events += to - from
        from = to
      }
    }
    yield* closePart()
  } catch (error) {
    ;(part as OpenPart | undefined)?.gzip.destroy()
    throw error
  }
  yield* zip.finish()
}
