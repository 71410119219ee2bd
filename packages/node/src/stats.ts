/**
 * @module Counters of what the client did, for dashboards and tests. Updated inline (plain number
 * fields); `snapshot()` copies them.
 */
import type { DropReason } from './event-types.ts'
import type { OutboxStats } from './outbox/outbox-store.ts'
import type { TaxonomyStats } from './taxonomy/guard.ts'

/** A point-in-time copy of the counters. */
export interface ClientStats {
  /** Events accepted into the queue. */
  tracked: number
  /** Events Amplitude accepted (2xx). */
  delivered: number
  /** Event sends that were retries of a failed send. */
  retried: number
  /** Events not delivered, by reason. */
  dropped: Partial<Record<DropReason, number>>
  /** Sum of `dropped`. */
  droppedTotal: number
  /** Events held and not in flight: queued, in backoff, or parked behind a throttled user. */
  queuedEvents: number
  /** Bytes (JSON) of `queuedEvents`. */
  queuedBytes: number
  /** Events in requests that have not answered yet. */
  inFlightEvents: number
  /** Requests that have not answered yet. */
  inFlightRequests: number
  /** Requests sent. */
  requests: number
  /** The durable outbox's figures, when `persistence` is on. */
  outbox?: OutboxStats
  /** The taxonomy guard's counters (after `init()`). */
  taxonomy?: TaxonomyStats
}

/** The live counters. */
export class Stats {
  tracked = 0
  delivered = 0
  retried = 0
  requests = 0
  droppedTotal = 0
  readonly dropped: Partial<Record<DropReason, number>> = {}

  drop(reason: DropReason, count: number): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + count
    this.droppedTotal += count
  }
}
