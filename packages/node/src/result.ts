/**
 * @module Per-call results. Every tracking call returns a `TrackHandle` at once, with the event's
 * `insertId` (accepted) and a lazy `promise` of its `Result` (delivered or failed): the promise and
 * its resolver are created only if the caller reads `promise`, so a fire-and-forget burst records
 * nothing per event for delivery.
 */
import type { AmplitudeReturn, DropReason, Event, Result } from './event-types.ts'
import { LIBRARY } from './library.ts'
import type { QueuedEvent, Settlement } from './queued-event.ts'

/** The messages `@amplitude/analytics-node` uses, so code that matches them keeps working. */
export const MESSAGES = {
  success: 'Event tracked successfully',
  optOut: 'Event skipped due to optOut config',
  emptyEventType: 'Event skipped due to empty event type',
  retriesExhausted: 'Event rejected due to exceeded retry count',
  notInitialized: 'Client not initialized',
} as const

/**
 * Builds the result of a settled event; the event is rebuilt from its JSON only now. `known` stands
 * in for the event when its JSON is gone: an event the durable outbox spilled to disk keeps no copy
 * in memory (that is what bounds memory in an outage), so its 202 result names it by type and id.
 */
export function buildResult(
  record: QueuedEvent,
  known?: Pick<Event, 'event_type' | 'insert_id'>,
): Result {
  let event = record.event
  if (event === undefined && record.json !== '') {
    event = JSON.parse(record.json) as Event
    // The shared fields were left out of the stored JSON (see Envelope.eventHead).
    event.library = LIBRARY
  }
  const settled = record.settled
  const result: Result = {
    event: event ?? ({ ...known, event_type: known?.event_type ?? '' } as Event),
    code: settled?.code ?? 0,
    message: settled?.message ?? '',
  }
  if (settled?.reason !== undefined) result.reason = settled.reason
  const insertId = event?.insert_id ?? known?.insert_id
  if (insertId !== undefined) result.insertId = insertId
  return result
}

/** The settlement of every delivered event. */
export const DELIVERED: Settlement = { code: 200, message: MESSAGES.success, reason: undefined }

/** A settlement for a failure. */
export function failure(code: number, message: string, reason: DropReason): Settlement {
  return { code, message, reason }
}

/** Settles an event once; later calls are ignored (every path settles exactly once). */
export function settle(record: QueuedEvent, settlement: Settlement): boolean {
  if (record.settled !== undefined) return false
  record.settled = settlement
  const resolve = record.resolve
  if (resolve !== undefined) {
    record.resolve = undefined
    resolve(buildResult(record))
  }
  return true
}

/**
 * What `track()` and friends return: `{ promise }` like the official SDK, plus `insertId` at once.
 * The promise resolves when the event is delivered or definitively failed, and never rejects.
 */
export class TrackHandle implements AmplitudeReturn<Result> {
  /** The event's `insert_id`, known as soon as the call returns. */
  readonly insertId: string | undefined
  readonly #record: QueuedEvent
  /** The event's type, for a result whose event JSON is no longer in memory. */
  readonly #eventType: string
  #promise: Promise<Result> | undefined

  constructor(record: QueuedEvent, insertId: string | undefined, eventType = '') {
    this.#record = record
    this.insertId = insertId
    this.#eventType = eventType
  }

  /** Resolves to `{ event, code, message }` at delivery (or failure); created on first read. */
  get promise(): Promise<Result> {
    if (this.#promise !== undefined) return this.#promise
    const record = this.#record
    this.#promise =
      record.settled !== undefined
        ? Promise.resolve(
            buildResult(record, {
              event_type: this.#eventType,
              ...(this.insertId === undefined ? {} : { insert_id: this.insertId }),
            }),
          )
        : new Promise<Result>((resolve) => {
            record.resolve = resolve
          })
    return this.#promise
  }

  /** True once the event is delivered or has failed for good. */
  get settled(): boolean {
    return this.#record.settled !== undefined
  }
}
