/**
 * @module The dead-letter file: every event that failed for good (rejected by the server, retry
 * budget spent, daily quota, queue overflow, refused as invalid, or lost to a shutdown without an
 * outbox) is appended as one NDJSON line `{ reason, code, message, failedAt, event }`, and
 * `replayDeadLetters()` sends them again with their original `insert_id`s and times, so Amplitude
 * de-duplicates any that did arrive. Writing never throws into the delivery path: a failed append is
 * logged.
 */
import { appendFileSync, readFileSync } from 'node:fs'
import type { AmpkitClient } from '../client.ts'
import type { BaseEvent, DropReason, Result } from '../event-types.ts'
import type { ILogger } from '../logger.ts'
import type { QueuedEvent, Settlement } from '../queued-event.ts'

/** One line of the dead-letter file. */
export interface DeadLetter {
  reason: DropReason
  /** The result code (HTTP status, or 0 when no request was answered). */
  code: number
  message: string
  /** ISO 8601 time of the failure. */
  failedAt: string
  /** The event as it was sent (`library` is added by the request, so absent here). */
  event: BaseEvent & { insert_id?: string; time?: number }
}

/** Returns the appender given to the publisher. */
export function deadLetterWriter(
  file: string,
  logger: ILogger,
  now: () => number,
): (records: readonly QueuedEvent[], settlement: Settlement) => void {
  return (records, settlement) => {
    const head = `{"reason":${JSON.stringify(settlement.reason)},"code":${settlement.code},"message":${JSON.stringify(settlement.message)},"failedAt":"${new Date(now()).toISOString()}","event":`
    let text = ''
    for (const record of records) {
      // The stored JSON is written as is: no parse and re-serialization per event.
      const event = record.json !== '' ? record.json : JSON.stringify(record.event ?? {})
      text += `${head}${event}}\n`
    }
    try {
      appendFileSync(file, text)
    } catch (error) {
      logger.error(`dead-letter append to ${file} failed: ${String(error)}`)
    }
  }
}

/** Options of `replayDeadLetters()`. */
export interface ReplayOptions {
  /** Replay only lines with these reasons. @default every reason */
  reasons?: readonly DropReason[]
}

/** What `replayDeadLetters()` did. */
export interface ReplayReport {
  /** Lines read. */
  lines: number
  /** Lines that were not a dead letter (malformed JSON, no event): skipped. */
  malformed: number
  /** Lines left out by `reasons`. */
  skipped: number
  /** Events tracked again. */
  sent: number
  /** Of those, delivered (code 200). */
  delivered: number
  /** Of those, accepted into the client's outbox and delivered from disk later (code 202). */
  persisted: number
  /** Of those, failed again (their reason is in `failures` and, if configured, in the dead-letter file). */
  failed: number
  /** Count of new failures by reason. */
  failures: Partial<Record<DropReason, number>>
}

/**
 * Reads a dead-letter file and tracks every event in it again through `client`, keeping each
 * event's `insert_id` and `time`, then flushes. The file is read whole before anything is sent, so a
 * client whose `deadLetter.file` is the same file appends new failures safely; the file itself is
 * left as it is (rename or delete it after a successful replay).
 */
export async function replayDeadLetters(
  file: string,
  client: AmpkitClient,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const text = readFileSync(file, 'utf8')
  const report: ReplayReport = {
    lines: 0,
    malformed: 0,
    skipped: 0,
    sent: 0,
    delivered: 0,
    persisted: 0,
    failed: 0,
    failures: {},
  }
  const reasons = options.reasons === undefined ? undefined : new Set(options.reasons)
  const pending: Array<Promise<Result>> = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    report.lines++
    let letter: Partial<DeadLetter>
    try {
      letter = JSON.parse(line) as Partial<DeadLetter>
    } catch {
      report.malformed++
      continue
    }
    const event = letter.event
    if (event === null || typeof event !== 'object' || typeof event.event_type !== 'string') {
      report.malformed++
      continue
    }
    if (reasons !== undefined && !reasons.has(letter.reason as DropReason)) {
      report.skipped++
      continue
    }
    // The client assigns event_id and library afresh; insert_id and time are the original ones.
    const {
      event_id: _eventId,
      library: _library,
      ...rest
    } = event as BaseEvent & {
      event_id?: unknown
      library?: unknown
    }
    pending.push(client.track(rest as BaseEvent).promise)
    report.sent++
  }
  await client.flush().promise
  for (const result of await Promise.all(pending)) {
    if (result.code === 200) report.delivered++
    else if (result.code === 202 && result.reason === undefined) report.persisted++
    else {
      report.failed++
      const reason = result.reason ?? 'rejected'
      report.failures[reason] = (report.failures[reason] ?? 0) + 1
    }
  }
  return report
}
