/**
 * @module The record the client keeps per event between `track()` and delivery. It is deliberately
 * tiny because a burst of a million events lives in memory as a million of these (issue 2: at most
 * 600 bytes per queued event): the event is kept only as its JSON string, ids are read back from
 * that JSON in the rare paths that need them (429, 400, throttling), and the settled outcome is a
 * shared object rather than three fields.
 */
import type { BatchMember } from './classify.ts'
import type { DropReason, Event, Result } from './event-types.ts'

/** How an event ended. Shared between events (one object per batch outcome). */
export interface Settlement {
  code: number
  message: string
  reason: DropReason | undefined
}

/** One event on its way to Amplitude. Fields are public for speed; only the client touches them. */
export interface QueuedEvent {
  /**
   * The wire event, serialized once at enqueue, without the fields every event shares (`library`,
   * added when the body is written); request bodies are built from these strings.
   */
  json: string
  /** UTF-8 bytes the event takes in a request body (shared fields included). */
  bytes: number
  /** Enqueue order; `flush()` waits for every event with a sequence number up to its own. */
  seq: number
  /** Failed sends so far (retry budget). */
  attempts: number
  /**
   * When the first send failed, in ms since the publisher started (a small integer, so V8 keeps it
   * unboxed); -1 while no send failed (time budget).
   */
  firstFailureMs: number
  /** Set once, when the event is delivered or fails for good. */
  settled: Settlement | undefined
  /** The event object, kept only when it was refused before it could be serialized. */
  event: Event | undefined
  /** Set only when someone asked for the promise; settling calls it. */
  resolve: ((result: Result) => void) | undefined
  /**
   * The durable outbox's handle of the event's log position while the event is in memory (a small
   * integer index into the outbox's own table, so the field stays unboxed); -1 without the outbox.
   */
  slot: number
}

/**
 * A new record. An object literal rather than a class instance: V8 tracks survival per literal
 * allocation site and can allocate long-lived records directly in old space (pretenuring), which
 * measurably cut scavenge time in a million-event burst where every record survives.
 */
export function createQueuedEvent(json = '', bytes = 0): QueuedEvent {
  return {
    json,
    bytes,
    seq: 0,
    attempts: 0,
    firstFailureMs: -1,
    settled: undefined,
    event: undefined,
    resolve: undefined,
    slot: -1,
  }
}

const NO_IDS: BatchMember = { userId: undefined, deviceId: undefined }

/** The user and device id of a queued event, read back from its JSON. */
export function idsOf(record: QueuedEvent): BatchMember {
  const event =
    record.event ?? (record.json === '' ? undefined : (JSON.parse(record.json) as Event))
  if (event === undefined) return NO_IDS
  const userId = typeof event.user_id === 'string' ? event.user_id : undefined
  const deviceId = typeof event.device_id === 'string' ? event.device_id : undefined
  return { userId, deviceId }
}

/** Failed sends of an event so far. */
export function attemptsOf(record: QueuedEvent): number {
  return record.attempts
}
