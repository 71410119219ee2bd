/**
 * @module Where accepted events wait to be batched. `EventStore` is the internal seam between the
 * facade and the publisher: the in-memory store is the default, and a durable on-disk outbox
 * (issue 4) can implement the same interface. The bound (events and bytes) and the overflow policy
 * are decided by `admit()`, a pure function, so the policy is tested without a client.
 */
import { Deque } from './deque.ts'
import type { QueuedEvent, Settlement } from './queued-event.ts'

/** FIFO storage of events that are ready to send. */
export interface EventStore {
  /** Events held. */
  readonly length: number
  /** Sum of `bytes` of the events held. */
  readonly bytes: number
  /** Appends a newly accepted event. */
  push(record: QueuedEvent): void
  /** Puts an event back at the front (it was taken but must go first, e.g. after a release). */
  unshift(record: QueuedEvent): void
  /** Removes and returns the oldest event. */
  shift(): QueuedEvent | undefined
  /**
   * The oldest event, left in place. A store may return `undefined` while it still holds events
   * (the outbox does while its memory window is full); batching then pauses until `release()`.
   */
  peek(): QueuedEvent | undefined
  /** Called once per event taken from this store when the event is settled (the outbox acknowledges it). */
  release?(record: QueuedEvent, settlement: Settlement): void
  /**
   * Gives up, without reading them back, the events that wait outside memory (the outbox at a
   * shutdown deadline: they stay in its log for the next start), so stopping never loads a backlog
   * of millions into the heap. Afterwards `shift()` returns only what was in memory.
   */
  detach?(): DetachedEvents
}

/** What `EventStore.detach()` gave up. */
export interface DetachedEvents {
  events: number
  bytes: number
  /** How many of them have a sequence number up to `seq` (for `flush()` barriers). */
  upTo(seq: number): number
}

/** The default store: a ring buffer in memory. */
export class MemoryEventStore implements EventStore {
  readonly #items = new Deque<QueuedEvent>()
  #bytes = 0

  get length(): number {
    return this.#items.length
  }

  get bytes(): number {
    return this.#bytes
  }

  push(record: QueuedEvent): void {
    this.#items.push(record)
    this.#bytes += record.bytes
  }

  unshift(record: QueuedEvent): void {
    this.#items.unshift(record)
    this.#bytes += record.bytes
  }

  shift(): QueuedEvent | undefined {
    const record = this.#items.shift()
    if (record !== undefined) this.#bytes -= record.bytes
    return record
  }

  peek(): QueuedEvent | undefined {
    return this.#items.peek()
  }
}

/** What to do when the bound is reached. */
export type OverflowPolicy = 'dropOldest' | 'refuseNewest'

/** The memory bound. */
export interface QueueBound {
  maxQueuedEvents: number
  maxQueuedBytes: number
  overflowPolicy: OverflowPolicy
}

/** What `admit()` decided for one incoming event. */
export type Admission = 'accept' | 'refuse' | 'evictOldest'

/**
 * Decides whether an event of `incomingBytes` fits next to `heldEvents`/`heldBytes` (everything the
 * client holds: queued, in flight, in backoff). `evictOldest` means: drop the oldest waiting event
 * and ask again. When nothing can be evicted (`evictable` 0: all held events are in flight or in
 * backoff), the newest is refused even under `dropOldest`, so the bound always holds.
 */
export function admit(
  bound: QueueBound,
  heldEvents: number,
  heldBytes: number,
  incomingBytes: number,
  evictable: number,
): Admission {
  const fits =
    heldEvents + 1 <= bound.maxQueuedEvents && heldBytes + incomingBytes <= bound.maxQueuedBytes
  if (fits) return 'accept'
  if (bound.overflowPolicy === 'dropOldest' && evictable > 0) return 'evictOldest'
  return 'refuse'
}
