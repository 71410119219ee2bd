/**
 * @module The import engine: streams every input file record by record (constant memory), turns
 * each record into an event or a reported bad row, paces users and devices, hands events to the
 * tracking client (Batch API, its retries and 429 handling), waits when too many are unsettled
 * (backpressure), and moves each file's checkpoint only on delivery results. On abort it stops
 * reading, lets the client deliver what it holds within a deadline, and writes the checkpoint.
 */
import { stat } from 'node:fs/promises'
import type { AmpkitClient } from '@ampkit/node'
import { type CheckpointData, readCheckpoint, writeCheckpoint } from './checkpoint.ts'
import {
  type CsvMapping,
  compileCsvMapping,
  type parseMapRules,
  type UnmappedPolicy,
} from './csv-mapping.ts'
import { DeliveryWindow } from './delivery-window.ts'
import type { IdPacer } from './id-pacer.ts'
import { detectFormat, type InputFormat } from './input-format.ts'
import { openInput } from './open-input.ts'
import type { ProgressReporter } from './progress.ts'
import {
  parseCsvFields,
  type RawRecord,
  readCsvRecords,
  readJsonArrayElements,
  readLines,
} from './records.ts'
import { rowToEvent } from './row-to-event.ts'

/** One input: where it is and how to name it in reports. */
export interface ImportInput {
  path: string
  name: string
  /** Checkpoint file for this input; none when checkpoints are off (or in a dry run). */
  checkpointPath?: string
}

/** Options of a run. */
export interface ImportRunOptions {
  inputs: readonly ImportInput[]
  /** Forced format. @default detected per file */
  format?: InputFormat
  mapRules: ReturnType<typeof parseMapRules>
  unmapped: UnmappedPolicy
  inferTypes: boolean
  namespace: string
  /** No client: validate and report only. */
  client?: AmpkitClient
  /** Ignore existing checkpoints. */
  restart: boolean
  pacer: IdPacer
  /** Unsettled events at most before reading pauses. */
  maxPendingEvents: number
  /** How long an abort may take to deliver what is queued, in ms. */
  abortTimeoutMs: number
  /** Checkpoint writes at most this often while running, in ms. */
  checkpointIntervalMs: number
  signal: AbortSignal
  progress: ProgressReporter
  /** A bad row or a failed event, for stderr. */
  report(kind: 'invalid' | 'failed' | 'error', file: string, line: number, message: string): void
  sleep(ms: number, signal: AbortSignal): Promise<void>
  now(): number
}

/** What happened to one file. */
export interface FileReport {
  file: string
  format: InputFormat | undefined
  rows: number
  /** Rows before the checkpoint, not read again. */
  resumedRows: number
  /** The checkpoint said the file was done: it was not read. */
  alreadyComplete: boolean
  valid: number
  invalid: number
  sent: number
  delivered: number
  failed: number
  failures: Record<string, number>
  /** A file-level error (unreadable, not a JSON array). */
  error?: string
  /** Every row is done (delivered or reported); the checkpoint says so. */
  complete: boolean
  /** Where a resumed run starts. */
  checkpoint?: { offset: number; line: number }
}

/** What happened overall. */
export interface ImportRunResult {
  files: FileReport[]
  aborted: boolean
  elapsedMs: number
}

interface FileState {
  input: ImportInput
  report: FileReport
  window: DeliveryWindow
  readToEnd: boolean
}

export async function runImport(options: ImportRunOptions): Promise<ImportRunResult> {
  const started = options.now()
  const { client, signal } = options
  const checkpoints = new Map<string, CheckpointData>()
  for (const input of options.inputs)
    if (input.checkpointPath !== undefined && !checkpoints.has(input.checkpointPath))
      checkpoints.set(input.checkpointPath, await readCheckpoint(input.checkpointPath))

  const states: FileState[] = []
  let unsettled = 0
  let drained: (() => void) | undefined
  const totalBytes = await totalSize(options.inputs)
  let bytesBefore = 0
  let currentRead = () => 0
  const totals = { rows: 0, delivered: 0, invalid: 0, failed: 0 }
  const snapshot = () => ({
    readBytes: bytesBefore + currentRead(),
    totalBytes,
    ...totals,
  })

  let lastSave = options.now()
  async function save(final: boolean): Promise<void> {
    for (const state of states) {
      const path = state.input.checkpointPath
      if (path === undefined) continue
      const data = checkpoints.get(path) as CheckpointData
      const complete =
        final &&
        state.readToEnd &&
        state.window.pending === 0 &&
        !state.window.blocked &&
        state.report.error === undefined
      state.report.complete = complete || state.report.alreadyComplete
      if (state.report.alreadyComplete) continue
      data.files[state.input.path] = { ...state.window.position, complete }
      state.report.checkpoint = { ...state.window.position }
    }
    for (const [path, data] of checkpoints) await writeCheckpoint(path, data)
    lastSave = options.now()
  }

  const waitForRoom = async (): Promise<void> => {
    if (unsettled < options.maxPendingEvents || client === undefined) return
    // Send what is queued now rather than waiting for the flush timer.
    client.flush()
    await new Promise<void>((resolve) => {
      drained = resolve
      signal.addEventListener('abort', () => resolve(), { once: true })
    })
    drained = undefined
  }

  for (const input of options.inputs) {
    if (signal.aborted) break
    const previous =
      input.checkpointPath === undefined || options.restart
        ? undefined
        : checkpoints.get(input.checkpointPath)?.files[input.path]
    const start =
      previous === undefined
        ? { offset: 0, line: 0 }
        : { offset: previous.offset, line: previous.line }
    const report: FileReport = {
      file: input.name,
      format: undefined,
      rows: 0,
      resumedRows: 0,
      alreadyComplete: previous?.complete === true,
      valid: 0,
      invalid: 0,
      sent: 0,
      delivered: 0,
      failed: 0,
      failures: {},
      complete: false,
    }
    const window = new DeliveryWindow(start)
    const state: FileState = { input, report, window, readToEnd: false }
    states.push(state)
    if (report.alreadyComplete) {
      report.complete = true
      bytesBefore += (await fileSize(input.path)) ?? 0
      continue
    }
    try {
      const format = options.format ?? (await detectFormat(input.path))
      report.format = format
      // Plain NDJSON seeks straight to the checkpoint; the other cases re-read and skip records
      // (gzip cannot seek; a CSV needs its header; a JSON array its structure).
      const opened = await openInput(input.path, format === 'ndjson' ? start.offset : 0)
      const seeked = format === 'ndjson' && !opened.gzip && start.offset > 0
      if (!opened.gzip && opened.fileBytes < start.offset) {
        opened.bytes.destroy()
        throw new Error(
          `the file is shorter than its checkpoint (${start.offset} bytes done): it changed; use --restart`,
        )
      }
      currentRead = opened.readBytes
      if (seeked) report.resumedRows = start.line
      let records: AsyncGenerator<RawRecord>
      let mapping: CsvMapping | undefined
      if (format === 'ndjson') records = readLines(opened.bytes, seeked ? start : undefined)
      else if (format === 'json') records = readJsonArrayElements(opened.bytes)
      else records = readCsvRecords(opened.bytes)
      try {
        for await (const record of records) {
          if (signal.aborted) break
          if (format === 'csv' && mapping === undefined) {
            const header = parseCsvFields(record.text.replace(/^\uFEFF/, ''))
            mapping = compileCsvMapping(header, options.mapRules, {
              unmapped: options.unmapped,
              inferTypes: options.inferTypes,
            })
            if (record.endOffset > start.offset) window.addDone(record.endOffset, record.line)
            continue
          }
          if (record.endOffset <= start.offset) {
            report.resumedRows++
            continue
          }
          if (format === 'ndjson' && record.text.trim() === '') {
            window.addDone(record.endOffset, record.line)
            continue
          }
          report.rows++
          totals.rows++
          let row: unknown
          let error: string | undefined
          try {
            if (format === 'csv') {
              const cells = parseCsvFields(record.text)
              row = (mapping as CsvMapping).toObject(cells)
            } else row = JSON.parse(record.text)
          } catch (cause) {
            error = `not ${format === 'csv' ? 'CSV' : 'JSON'}: ${cause instanceof Error ? cause.message : String(cause)}`
          }
          const result = error === undefined ? rowToEvent(row, options.namespace) : undefined
          if (result === undefined || !result.ok) {
            report.invalid++
            totals.invalid++
            options.report(
              'invalid',
              input.name,
              record.line,
              result === undefined ? (error as string) : result.error,
            )
            window.addDone(record.endOffset, record.line)
            continue
          }
          report.valid++
          if (client === undefined) {
            window.addDone(record.endOffset, record.line)
            options.progress.update(snapshot())
            continue
          }
          const event = result.event
          const ids: string[] = []
          if (typeof event.user_id === 'string') ids.push(`u:${event.user_id}`)
          if (typeof event.device_id === 'string') ids.push(`d:${event.device_id}`)
          const wait = options.pacer.take(ids)
          if (wait > 0) await options.sleep(wait, signal)
          const settle = window.addPending(record.endOffset, record.line)
          unsettled++
          report.sent++
          const line = record.line
          client.track(event as { event_type: string }).promise.then((outcome) => {
            unsettled--
            const delivered = outcome.code >= 200 && outcome.code < 300
            if (delivered) {
              report.delivered++
              totals.delivered++
            } else {
              report.failed++
              totals.failed++
              const reason = outcome.reason ?? String(outcome.code)
              report.failures[reason] = (report.failures[reason] ?? 0) + 1
              // An abort's own leftovers are not failures worth a line each.
              if (reason !== 'shutdown')
                options.report(
                  'failed',
                  input.name,
                  line,
                  `${outcome.code} ${outcome.message} (${reason})`,
                )
            }
            settle(delivered)
            if (drained !== undefined && unsettled <= options.maxPendingEvents / 2) drained()
          })
          await waitForRoom()
          options.progress.update(snapshot())
          if (options.now() - lastSave >= options.checkpointIntervalMs) await save(false)
        }
        if (!signal.aborted) state.readToEnd = true
      } finally {
        opened.bytes.destroy()
      }
    } catch (cause) {
      report.error = cause instanceof Error ? cause.message : String(cause)
      options.report('error', input.name, 0, report.error)
    }
    bytesBefore += (await fileSize(input.path)) ?? 0
    currentRead = () => 0
  }

  if (client !== undefined) {
    // An abort during the final flush cuts it short: shutdown then delivers within its deadline.
    if (!signal.aborted)
      await Promise.race([
        client.flush().promise,
        new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
      ])
    await client.shutdown({ timeoutMs: options.abortTimeoutMs })
    // Let the delivery callbacks of the last settlements run before the final checkpoint.
    await new Promise((resolve) => setImmediate(resolve))
  }
  await save(true)
  options.progress.update(snapshot(), true)
  return {
    files: states.map((s) => s.report),
    aborted: signal.aborted,
    elapsedMs: options.now() - started,
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size
  } catch {
    return undefined
  }
}

async function totalSize(inputs: readonly ImportInput[]): Promise<number> {
  let total = 0
  for (const input of inputs) total += (await fileSize(input.path)) ?? 0
  return total
}
