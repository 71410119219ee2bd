/**
 * @module The Export API (query-api.md §2): `GET /api/2/export?start=YYYYMMDDTHH&end=YYYYMMDDTHH`
 * answers a ZIP of gzipped NDJSON files. This reads it as it arrives (streaming ZIP reader, gunzip,
 * line split) and yields events, lines or whole-line blocks, pulling the next bytes only when the
 * consumer asks for more. Ranges longer than 365 days become consecutive requests, and a range
 * refused as too large (400, over 4 GB) is halved until it passes; a 404 `Raw data files were not
 * found.` is an empty range, not an error.
 */
import { createGunzip } from 'node:zlib'
import type { ExportedEvent } from '@ampkit/protocol'
import { AmplitudeApiError, BadRequestError, ParameterError, ProtocolError } from '../errors.ts'
import { safeUrl } from '../http/safe-url.ts'
import { errorForFailure, type OpenResponse, type Transport } from '../http/transport.ts'
import { lineBounds, splitLineBlocks } from '../stream/lines.ts'
import { readAhead } from '../stream/read-ahead.ts'
import { through } from '../stream/through.ts'
import { readZipStream } from '../stream/zip-reader.ts'

/** The longest range one export request may cover (§2.1): 365 days, in hours. */
export const MAX_EXPORT_RANGE_HOURS = 365 * 24

const HOUR_MS = 3_600_000
// Each output buffer of zlib costs a round trip to the libuv thread pool; large ones keep the number
// of round trips (not the bytes) from bounding throughput on a busy machine.
const GUNZIP_CHUNK_BYTES = 1_048_576
// The archive bytes read ahead of the unzip (see read-ahead.ts for why): at most 16 MiB, and
// refilled from 4 MiB.
const READ_AHEAD_HIGH_BYTES = 16 * 1_048_576
const READ_AHEAD_LOW_BYTES = 4 * 1_048_576
const PROGRESS_EVERY_EVENTS = 65_536
const NO_DATA_BODY = 'Raw data files were not found'
const EXPORT_PATH = '/api/2/export'

/** Progress of an export, reported after each file and every 65,536 events. */
export interface ExportProgress {
  /** Archive bytes received so far (compressed, all ranges). */
  bytes: number
  /** Files (archive entries) read so far. */
  files: number
  /** Events (non-empty lines) read so far. */
  events: number
  /** The request being read, 0-based, and how many the range needs. */
  request: number
  requests: number
}

/** Options of `exportEvents()` and its raw variants. */
export interface ExportOptions {
  /** First hour included: a `Date` (its UTC hour) or `YYYYMMDDTHH` in UTC. */
  start: Date | string
  /** Last hour included: a `Date` (its UTC hour) or `YYYYMMDDTHH` in UTC. */
  end: Date | string
  onProgress?: (progress: ExportProgress) => void
  signal?: AbortSignal
  /** Where the rare stored-with-descriptor ZIP layout is spooled. @default os.tmpdir() */
  tmpDir?: string
}

/** One file of the archive: its name and its decompressed NDJSON bytes. */
export interface ExportFile {
  name: string
  content: AsyncGenerator<Buffer>
}

const HOUR_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})$/

/** Hours since the epoch of a `Date` (its UTC hour) or a `YYYYMMDDTHH` string. */
export function exportHour(value: Date | string, parameter: string): number {
  if (value instanceof Date) {
    const ms = value.getTime()
    if (Number.isNaN(ms)) throw new ParameterError('exportEvents', parameter, 'is an invalid Date')
    return Math.floor(ms / HOUR_MS)
  }
  const match = typeof value === 'string' ? HOUR_PATTERN.exec(value) : null
  if (match === null)
    throw new ParameterError(
      'exportEvents',
      parameter,
      `must be a Date or YYYYMMDDTHH (UTC), got ${JSON.stringify(value)}`,
    )
  const [year, month, day, hour] = match.slice(1).map(Number) as [number, number, number, number]
  const ms = Date.UTC(year, month - 1, day, hour)
  const check = new Date(ms)
  if (hour > 23 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    throw new ParameterError('exportEvents', parameter, `is not a real hour: ${value}`)
  return ms / HOUR_MS
}

/** `YYYYMMDDTHH` of an hour since the epoch. */
export function formatExportHour(hour: number): string {
  const iso = new Date(hour * HOUR_MS).toISOString()
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}`
}

/** The consecutive requests covering `[start, end]` (inclusive hours), each at most 365 days. */
export function exportRanges(
  start: Date | string,
  end: Date | string,
): { start: string; end: string }[] {
  const first = exportHour(start, 'start')
  const last = exportHour(end, 'end')
  if (last < first) throw new ParameterError('exportEvents', 'end', 'is before start')
  const ranges: { start: string; end: string }[] = []
  for (let from = first; from <= last; from += MAX_EXPORT_RANGE_HOURS) {
    const to = Math.min(last, from + MAX_EXPORT_RANGE_HOURS - 1)
    ranges.push({ start: formatExportHour(from), end: formatExportHour(to) })
  }
  return ranges
}

async function* prepend(first: Buffer, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  yield first
  yield* rest
}

/** Gunzips an entry that starts with the gzip magic; passes anything else through as NDJSON. */
async function* gunzipIfNeeded(content: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  const first = await content.next()
  if (first.done) return
  const all = prepend(first.value, content)
  if (first.value[0] === 0x1f && (first.value.length < 2 || first.value[1] === 0x8b))
    yield* through(createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), all)
  else yield* all
}

/** The state one export run shares across its variants: counters and the progress callback. */
class ExportRun {
  bytes = 0
  files = 0
  events = 0
  request = 0
  requests = 0
  #nextReport = PROGRESS_EVERY_EVENTS
  readonly #onProgress: ((progress: ExportProgress) => void) | undefined

  constructor(onProgress: ((progress: ExportProgress) => void) | undefined) {
    this.#onProgress = onProgress
  }

  report(): void {
    this.#onProgress?.({
      bytes: this.bytes,
      files: this.files,
      events: this.events,
      request: this.request,
      requests: this.requests,
    })
  }

  /** Counts events; reports every 65,536. */
  add(events: number): void {
    this.events += events
    if (this.events >= this.#nextReport) {
      this.#nextReport = this.events + PROGRESS_EVERY_EVENTS
      this.report()
    }
  }
}

function wrapFormatError(error: unknown, url: string, status: number): unknown {
  if (error instanceof AmplitudeApiError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new ProtocolError(
    `GET ${EXPORT_PATH} failed: the archive is malformed (${message})`,
    { method: 'GET', url, status },
    { cause: error },
  )
}

/** The archive files of every request of the range, in order, each decompressed. */
async function* exportFiles(
  transport: Transport,
  options: ExportOptions,
  run: ExportRun,
): AsyncGenerator<ExportFile> {
  exportRanges(options.start, options.end)
  const first = exportHour(options.start, 'start')
  const last = exportHour(options.end, 'end')
  const pending: [number, number][] = []
  for (let from = first; from <= last; from += MAX_EXPORT_RANGE_HOURS)
    pending.push([from, Math.min(last, from + MAX_EXPORT_RANGE_HOURS - 1)])
  run.requests = pending.length
  for (let index = 0; pending.length > 0; index++) {
    const [from, to] = pending.shift() as [number, number]
    run.request = index
    let response: OpenResponse
    try {
      response = await transport.open({
        method: 'GET',
        path: EXPORT_PATH,
        query: [
          ['start', formatExportHour(from)],
          ['end', formatExportHour(to)],
        ],
        acceptStatuses: [404],
        ...(options.signal !== undefined && { signal: options.signal }),
      })
    } catch (error) {
      // Amplitude refuses an export over 4 GB with a 400 (§2.2); the parameters were checked here, so
      // a 400 means "too much": the range is halved, down to single hours, and read half by half.
      if (error instanceof BadRequestError && error.status === 400 && to > from) {
        const middle = from + Math.floor((to - from) / 2)
        pending.unshift([from, middle], [middle + 1, to])
        run.requests++
        continue
      }
      throw error
    }
    const url = safeUrl(response.url)
    if (response.status === 404) {
      const body = await response.text()
      if (!body.includes(NO_DATA_BODY))
        throw errorForFailure(
          'not-found',
          `GET ${EXPORT_PATH}`,
          { method: 'GET', url, status: 404, body: body.slice(0, 512) },
          { bodyText: body },
        )
      run.report()
      continue
    }
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const chunk of readAhead(
        response.chunks(),
        READ_AHEAD_HIGH_BYTES,
        READ_AHEAD_LOW_BYTES,
      )) {
        run.bytes += chunk.byteLength
        yield chunk
      }
    }
    try {
      const zipOptions = options.tmpDir === undefined ? {} : { tmpDir: options.tmpDir }
      for await (const entry of readZipStream(counted(), zipOptions)) {
        if (entry.name.endsWith('/')) continue
        yield { name: entry.name, content: gunzipIfNeeded(entry.content()) }
        run.files++
        run.report()
      }
    } catch (error) {
      throw wrapFormatError(error, url, response.status)
    } finally {
      response.release()
    }
    run.report()
  }
}

/**
 * Parsed events of `[start, end]` (upload hours, UTC), in archive order. The hot loop is inline:
 * lines are found in each whole-line block with `indexOf`, and each is decoded, parsed and yielded
 * from here, so an event costs one decode, one `JSON.parse` and one generator step.
 */
export async function* exportEvents(
  transport: Transport,
  options: ExportOptions,
): AsyncGenerator<ExportedEvent> {
  const run = new ExportRun(options.onProgress)
  for await (const file of exportFiles(transport, options, run)) {
    for await (const { block } of splitLineBlocks(file.content, false)) {
      // Each line is decoded on its own: JSON.parse of a slice of one big decoded block was
      // measured to cost time in proportion to the whole block (100 µs/event on 1M events, against
      // about 5 µs this way).
      const bounds = lineBounds(block)
      for (let i = 0; i < bounds.length; i += 2) {
        let event: ExportedEvent
        try {
          event = JSON.parse(block.toString('utf8', bounds[i], bounds[i + 1])) as ExportedEvent
        } catch (error) {
          throw new ProtocolError(
            `GET ${EXPORT_PATH} failed: ${file.name} holds a line that is not JSON`,
            { method: 'GET' },
            { cause: error },
          )
        }
        yield event
      }
      run.add(bounds.length / 2)
    }
  }
}

/** The NDJSON lines (Buffers without `\n`, not parsed) of `[start, end]`. */
export async function* exportLines(
  transport: Transport,
  options: ExportOptions,
): AsyncGenerator<Buffer> {
  const run = new ExportRun(options.onProgress)
  for await (const file of exportFiles(transport, options, run)) {
    for await (const { block } of splitLineBlocks(file.content, false)) {
      const bounds = lineBounds(block)
      for (let i = 0; i < bounds.length; i += 2) yield block.subarray(bounds[i], bounds[i + 1])
      run.add(bounds.length / 2)
    }
  }
}

/** Whole-line NDJSON blocks of `[start, end]`, each ending with `\n`: for piping into a file. */
export async function* exportNdjson(
  transport: Transport,
  options: ExportOptions,
): AsyncGenerator<Buffer> {
  const run = new ExportRun(options.onProgress)
  for await (const file of exportFiles(transport, options, run)) {
    for await (const { block, lines } of splitLineBlocks(file.content)) {
      run.add(lines)
      yield block
    }
  }
}
