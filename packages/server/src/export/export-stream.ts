/**
 * @module The export archive (query-api.md §2.3) as a stream of bytes: a zip with one entry per part
 * of an upload hour, `<app>/<app>_<yyyy-MM-dd>_<H>#<part>.json.gz`, each the gzip of NDJSON export
 * records. The range is cut into slices of whole upload hours of about `maxEventsPerPart` events
 * each (from one count per hour at the start), and each slice is read in ONE scan, in the table's
 * order (DuckDB keeps insertion order, which is upload order), cut into parts as the rows go by: a
 * part ends when the upload hour changes or it holds `maxEventsPerPart` events. (One query per hour
 * cost ~17 ms each: 2,160 of them for 90 days dominated a million-event export.) A row that arrives
 * out of order (a clock stepped back) opens another part of its own hour, so every event still
 * lands in exactly one entry of the right hour; nothing needs sorting.
 *
 * DuckDB runs a streamed query on one thread, so `scanConcurrency` slices are scanned at once, each
 * on its own connection, handing compressed parts to the archive through a small bounded channel;
 * the archive takes them slice after slice, so entries keep their order. Memory stays flat whatever
 * the range: each running scan holds at most a few compressed parts, and the archive is produced
 * only as fast as its reader takes it.
 */
import { ConfigError } from '../errors.ts'
import type { SqlValue, Store } from '../store/store.ts'
import { BoundedChannel } from './bounded-channel.ts'
import { EXPORT_LINE_SOURCE, EXPORT_LINE_SQL } from './export-line-sql.ts'
import type { ExportRange } from './export-range.ts'
import { type CompressedPart, GzipPart } from './gzip-part.ts'
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
  /**
   * Slices of the range scanned at once, each on its own DuckDB connection and thread. Two use both
   * cores of a small machine; each scan holds at most `QUEUED_PARTS_PER_SCAN` compressed parts
   * ahead of the archive. @default 2
   */
  scanConcurrency?: number
}

/** Compressed parts a slice scan may finish ahead of the archive before it waits. */
const QUEUED_PARTS_PER_SCAN = 2

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
    scanConcurrency: positiveInteger(options.scanConcurrency, 'scanConcurrency', 2),
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
  const { maxEventsPerPart, gzipLevel, readAheadBytes, forceZip64, scanConcurrency } =
    resolveExportOptions(options)
  // Whether the range holds events (404 otherwise), how many, and in which hours: the slices.
  const hours = await store.selectRows(
    `SELECT ((server_upload_time_ms // ${HOUR_MS}) * ${HOUR_MS})::DOUBLE AS hour_ms, count(*) AS n
     FROM events
     WHERE project_id = ? AND server_upload_time_ms >= ? AND server_upload_time_ms < ?
     GROUP BY 1 ORDER BY 1`,
    [projectId, range.startMs, range.endMs],
  )
  const counts = hours.map((row) => ({ hourMs: Number(row.hour_ms), events: Number(row.n) }))
  const events = counts.reduce((sum, hour) => sum + hour.events, 0)
  if (events === 0) return undefined
  const cancelled = new AbortController()
  const bytes = archiveBytes(
    store,
    { projectId, gzipLevel, maxEventsPerPart, scanConcurrency },
    planSlices(counts, range, maxEventsPerPart),
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

/** What every slice scan of one archive reads. */
interface ArchiveScan {
  projectId: number
  gzipLevel: number
  maxEventsPerPart: number
  scanConcurrency: number
}

/** A slice of the range: whole upload hours, `[startMs, endMs)`. */
export interface ExportSlice {
  startMs: number
  endMs: number
}

/**
 * Cuts `range` into consecutive slices of whole hours holding at least `sliceEvents` events each
 * (the last may hold fewer), from the per-hour counts in hour order. The slices tile the range with
 * no gap, so an event uploaded after the counts were taken is still read by exactly one slice.
 */
export function planSlices(
  hours: readonly { hourMs: number; events: number }[],
  range: ExportRange,
  sliceEvents: number,
): ExportSlice[] {
  const slices: ExportSlice[] = []
  let startMs = range.startMs
  let held = 0
  for (let i = 0; i < hours.length; i++) {
    held += hours[i]!.events
    const next = hours[i + 1]
    if (held >= sliceEvents && next !== undefined) {
      slices.push({ startMs, endMs: next.hourMs })
      startMs = next.hourMs
      held = 0
    }
  }
  slices.push({ startMs, endMs: range.endMs })
  return slices
}

/** A finished part and the upload hour it belongs to. */
interface HourPart extends CompressedPart {
  hourMs: number
}

/** The part being filled. */
interface OpenPart {
  hourMs: number
  gzip: GzipPart
  events: number
}

/**
 * Scans one slice into compressed parts, pushed to `parts` in order; never rejects: a failure goes
 * to the channel, where the archive meets it when it reaches this slice.
 */
async function scanSlice(
  store: Store,
  scan: ArchiveScan,
  slice: ExportSlice,
  parts: BoundedChannel<HourPart>,
  signal: AbortSignal,
): Promise<void> {
  let part: OpenPart | undefined
  const closePart = async () => {
    if (part === undefined) return
    const { hourMs, gzip } = part
    part = undefined
    await parts.push({ hourMs, ...(await gzip.finish()) })
  }
  try {
    const chunks = store.streamKeyedBlobs(
      // The hour as a DOUBLE (exact below 2^53) arrives as a number, without a BigInt per row. The
      // plain bounds on server_upload_time_ms let DuckDB skip row groups by their zone maps.
      `SELECT ((server_upload_time_ms // ${HOUR_MS}) * ${HOUR_MS})::DOUBLE AS hour_ms, ${EXPORT_LINE_SQL}
       FROM ${EXPORT_LINE_SOURCE}
       WHERE project_id = ? AND server_upload_time_ms >= ? AND server_upload_time_ms < ?`,
      [scan.projectId, slice.startMs, slice.endMs] satisfies SqlValue[],
    )
    for await (const { keys: hours, blobs: lines } of chunks) {
      signal.throwIfAborted()
      let from = 0
      while (from < lines.length) {
        const hourMs = hours[from]!
        if (part !== undefined && (part.hourMs !== hourMs || part.events >= scan.maxEventsPerPart))
          await closePart()
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
    await closePart()
    parts.close()
  } catch (error) {
    ;(part as OpenPart | undefined)?.gzip.destroy()
    parts.fail(error)
  }
}

/** The archive: the slices' parts in slice order, then the central directory. */
async function* archiveBytes(
  store: Store,
  scan: ArchiveScan,
  slices: readonly ExportSlice[],
  signal: AbortSignal,
  zip: ZipWriter,
): AsyncGenerator<Uint8Array> {
  const nextPartOfHour = new Map<number, number>()
  // Stops the scans when the reader cancels, or when this generator ends early for any reason.
  const stop = new AbortController()
  const onCancel = () => stop.abort(signal.reason)
  signal.addEventListener('abort', onCancel)
  const running: { parts: BoundedChannel<HourPart>; done: Promise<void> }[] = []
  let nextSlice = 0
  const startScan = () => {
    const slice = slices[nextSlice]
    if (slice === undefined) return
    nextSlice++
    const parts = new BoundedChannel<HourPart>(QUEUED_PARTS_PER_SCAN)
    running.push({ parts, done: scanSlice(store, scan, slice, parts, stop.signal) })
  }
  try {
    for (let i = 0; i < scan.scanConcurrency; i++) startScan()
    for (let current = running[0]; current !== undefined; current = running[0]) {
      for await (const part of current.parts) {
        const index = nextPartOfHour.get(part.hourMs) ?? 0
        nextPartOfHour.set(part.hourMs, index + 1)
        yield zip.localHeader(
          exportEntryName(scan.projectId, part.hourMs, index),
          part.size,
          part.crc,
          part.hourMs,
        )
        yield* part.chunks
      }
      running.shift()
      startScan()
    }
  } finally {
    if (running.length > 0) {
      const reason = new Error('export stopped before its last slice')
      stop.abort(reason)
      for (const { parts } of running) parts.fail(reason)
      await Promise.all(running.map(({ done }) => done))
    }
    signal.removeEventListener('abort', onCancel)
  }
  yield* zip.finish()
}
