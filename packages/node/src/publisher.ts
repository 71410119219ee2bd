/**
 * @module The delivery engine: owns the timers, the in-flight requests and the retry loop, and acts
 * on `classify()` verdicts. It knows nothing of the facade (events arrive as `QueuedEvent`s with their
 * JSON) and reads them from an `EventStore`, so a durable outbox can sit in between (issue 4).
 *
 * Invariants:
 * - every accepted event is settled exactly once (delivered, or dropped with a reason);
 * - `held` counts every accepted, unsettled event wherever it is (store, ready batches, backoff,
 *   parked, in flight), which is what the memory bound and `flush()` barriers count;
 * - work per event is O(1): no scans of the queue, no per-event timers or closures.
 */

import { type BackoffPolicy, backoffDelayMs } from './backoff.ts'
import {
  type BatchLimits,
  bodyBytes,
  buildBody,
  chunk,
  type Envelope,
  takeBatch,
} from './batcher.ts'
import {
  type BatchMember,
  classify,
  type Outcome,
  type RetryReason,
  type Verdict,
} from './classify.ts'
import { Deque } from './deque.ts'
import type { ClientEventMap, TypedEmitter } from './emitter.ts'
import type { DropReason } from './event-types.ts'
import type { ILogger } from './logger.ts'
import { admit, type DetachedEvents, type EventStore, type QueueBound } from './queue.ts'
import { attemptsOf, idsOf, type QueuedEvent, type Settlement } from './queued-event.ts'
import { redact } from './redact.ts'
import { DELIVERED, failure, MESSAGES, settle } from './result.ts'
import type { ClientStats, Stats } from './stats.ts'
import { Throttle } from './throttle.ts'
import { type Clock, startTimer, type TimerHandle } from './timers.ts'
import { type FetchLike, post } from './transport.ts'

/** Delivery settings, already resolved. */
export interface PublisherConfig {
  apiKey: string
  url: string
  /** Names requests in messages, e.g. `POST /2/httpapi`. */
  operation: string
  limits: BatchLimits
  envelope: Envelope
  /** Queued events that trigger a send without waiting for the interval. */
  flushQueueSize: number
  flushIntervalMs: number
  maxInFlightRequests: number
  requestTimeoutMs: number
  gzip: boolean
  gzipMinBytes: number
  /** Failed sends after which an event fails for good. */
  maxRetries: number
  /** Time after an event's first failed send after which it fails for good, in ms. */
  retryBudgetMs: number
  backoff: BackoffPolicy
  bound: QueueBound
}

/** What the publisher works with. */
export interface PublisherDeps {
  clock: Clock
  fetch: FetchLike
  store: EventStore
  emitter: TypedEmitter<ClientEventMap>
  stats: Stats
  logger: ILogger
  /** Receives every event failed for good (the dead-letter file), except skips the caller asked for. */
  deadLetter?: (records: readonly QueuedEvent[], settlement: Settlement) => void
}

interface InFlight {
  batch: QueuedEvent[]
  bytes: number
  startedMs: number
  requestId: number
  /** Set for a probe: when the batch was due, so a failed probe goes back to waiting uncounted. */
  probeDueMs: number | undefined
}

interface Waiting {
  records: QueuedEvent[]
  timer: TimerHandle
  /** When the batch is due, in ms. */
  dueMs: number
  /** True when no Retry-After asked for this wait: a success elsewhere may end it early. */
  early: boolean
  /** True after a network-level failure: the batch may be sent early to probe the endpoint. */
  probe: boolean
}

/**
 * While batches wait out a network failure and nothing is in flight, one of them is sent every this
 * many ms to learn whether the endpoint is back (a failed probe does not count as a retry). Without
 * it, recovery after an outage would wait for the longest backoff (up to 30 s).
 */
const PROBE_INTERVAL_MS = 2000

const NETWORK_REASONS: ReadonlySet<RetryReason> = new Set([
  'connection_refused',
  'connection_reset',
  'timeout',
  'network',
])

interface Barrier {
  seq: number
  remaining: number
  resolve: () => void
}

/** What `shutdown()` reports. */
export interface ShutdownReport {
  /** True when the deadline passed before everything was settled. */
  timedOut: boolean
  /** Events failed with reason `shutdown` because the deadline passed. */
  failed: number
}

const MESSAGE_QUEUE_FULL = 'Event dropped: the client queue is full'
const MESSAGE_SHUTDOWN = 'Event dropped: the client was shut down before it could be delivered'
const MESSAGE_KEPT = 'left in the outbox at shutdown: sent after the next start'

/** Batches, sends, retries. */
export class Publisher {
  readonly #config: PublisherConfig
  readonly #deps: PublisherDeps
  readonly #store: EventStore
  readonly #ready = new Deque<QueuedEvent[]>()
  readonly #waiting = new Set<Waiting>()
  readonly #throttle = new Throttle()
  readonly #inFlight = new Set<InFlight>()
  readonly #abort = new AbortController()
  #barriers: Barrier[] = []
  #held = 0
  #heldBytes = 0
  #inFlightEvents = 0
  #inFlightBytes = 0
  #seq = 0
  #requestId = 0
  #drainRequested = false
  #flushTimer: TimerHandle | undefined
  #throttleTimer: TimerHandle | undefined
  #probeTimer: TimerHandle | undefined
  #closed = false
  #stopped = false
  #overflowWarned = false
  /**
   * Set by a network-level failure, cleared by any HTTP answer: while the endpoint is unreachable,
   * one request at a time is enough to learn when it is back, and holds a quarter of the memory.
   */
  #unreachable = false
  /** Origin of the records' relative `firstFailureMs`. */
  readonly #originMs: number
  readonly #hold = (record: QueuedEvent): boolean =>
    this.#throttle.isHeld(idsOf(record), this.#deps.clock.now())
  readonly #park = (record: QueuedEvent): void => this.#throttle.park(record)

  constructor(config: PublisherConfig, deps: PublisherDeps) {
    this.#config = config
    this.#deps = deps
    this.#store = deps.store
    this.#originMs = deps.clock.now()
    // A durable store opens with the events an earlier process left unacknowledged: they are held
    // (bounds, barriers) and sent at once.
    if (this.#store.length > 0) {
      this.#held = this.#store.length
      this.#heldBytes = this.#store.bytes
      this.#drainRequested = true
      startTimer(deps.clock, () => this.#pump(), 0)
    }
  }

  /** Events accepted and not settled yet. */
  get held(): number {
    return this.#held
  }

  /** True after `shutdown()` began: new events are refused. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Takes an event (its JSON already set). Applies the memory bound: under `dropOldest` the oldest
   * waiting events make room; otherwise, or when nothing waits, the new event is refused. Either way
   * the dropped event is settled with reason `queue_overflow` and emitted, never silently lost.
   */
  accept(record: QueuedEvent): boolean {
    if (this.#closed) {
      this.#dropAll([record], 'shutdown', 0, MESSAGE_SHUTDOWN, false)
      return false
    }
    for (;;) {
      const admission = admit(
        this.#config.bound,
        this.#held,
        this.#heldBytes,
        record.bytes,
        this.#store.length,
      )
      if (admission === 'accept') break
      if (admission === 'refuse') {
        this.#dropAll([record], 'queue_overflow', 0, `${MESSAGE_QUEUE_FULL} (refuseNewest)`, false)
        return false
      }
      const oldest = this.#store.shift()
      if (oldest === undefined) break
      this.#dropAll([oldest], 'queue_overflow', 0, `${MESSAGE_QUEUE_FULL} (dropOldest)`, true)
    }
    record.seq = ++this.#seq
    this.#held++
    this.#heldBytes += record.bytes
    const store = this.#store
    store.push(record)
    if (
      store.length >= this.#config.flushQueueSize ||
      store.bytes >= this.#config.limits.maxBodyBytes
    ) {
      this.#pump()
    } else if (this.#flushTimer === undefined) {
      this.#armFlushTimer()
    }
    return true
  }

  /** Fails an event the facade refused before accepting it (counted, logged, emitted). */
  refuse(record: QueuedEvent, reason: DropReason, message: string): void {
    this.#dropAll([record], reason, 0, message, false)
  }

  /**
   * Resolves when every event accepted before this call is settled: sent now (not at the next
   * interval), including those in flight and those waiting in backoff, with the normal retry policy.
   */
  flush(): Promise<void> {
    if (this.#held === 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      this.#barriers.push({ seq: this.#seq, remaining: this.#held, resolve })
      this.#pump()
    })
  }

  /**
   * Stops the timers and refuses new events, delivers what it can within `timeoutMs`, then fails the
   * rest (reason `shutdown`) and aborts requests still in flight. The deadline timer is not unref'd:
   * a process awaiting shutdown stays alive until it resolves, and no longer than the deadline.
   */
  async shutdown(timeoutMs: number): Promise<ShutdownReport> {
    this.#closed = true
    this.#clearFlushTimer()
    const { clock } = this.#deps
    let timer: TimerHandle | undefined
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = clock.setTimeout(() => resolve('deadline'), timeoutMs)
    })
    const first = await Promise.race([this.flush().then(() => 'done' as const), deadline])
    clock.clearTimeout(timer)
    if (first === 'done') {
      this.#stop()
      return { timedOut: false, failed: 0 }
    }
    const failedBefore = this.#deps.stats.dropped.shutdown ?? 0
    // Everything still held settles now: queued events at once, in-flight ones when their aborted
    // requests return. An empty barrier would never resolve, hence the check.
    const drained =
      this.#held === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#barriers.push({ seq: this.#seq, remaining: this.#held, resolve })
          })
    this.#stop()
    await drained
    return { timedOut: true, failed: (this.#deps.stats.dropped.shutdown ?? 0) - failedBefore }
  }

  /** A copy of the counters, with the queue figures. */
  stats(): ClientStats {
    const { stats } = this.#deps
    return {
      tracked: stats.tracked,
      delivered: stats.delivered,
      retried: stats.retried,
      dropped: { ...stats.dropped },
      droppedTotal: stats.droppedTotal,
      queuedEvents: this.#held - this.#inFlightEvents,
      queuedBytes: this.#heldBytes - this.#inFlightBytes,
      inFlightEvents: this.#inFlightEvents,
      inFlightRequests: this.#inFlight.size,
      requests: stats.requests,
    }
  }

  /** Fails everything not in flight and aborts what is; nothing is sent afterwards. */
  #stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#closed = true
    this.#clearFlushTimer()
    const { clock } = this.#deps
    if (this.#throttleTimer !== undefined) clock.clearTimeout(this.#throttleTimer)
    this.#throttleTimer = undefined
    if (this.#probeTimer !== undefined) clock.clearTimeout(this.#probeTimer)
    this.#probeTimer = undefined
    const rest: QueuedEvent[] = []
    for (const waiting of this.#waiting) {
      clock.clearTimeout(waiting.timer)
      rest.push(...waiting.records)
    }
    this.#waiting.clear()
    for (let batch = this.#ready.shift(); batch !== undefined; batch = this.#ready.shift()) {
      rest.push(...batch)
    }
    rest.push(...this.#throttle.drain())
    const detached = this.#store.detach?.()
    if (detached !== undefined && detached.events > 0) this.#settleDetached(detached)
    for (let record = this.#store.shift(); record !== undefined; record = this.#store.shift()) {
      rest.push(record)
    }
    if (rest.length > 0) this.#dropAll(rest, 'shutdown', 0, MESSAGE_SHUTDOWN, true)
    this.#abort.abort('shutdown')
  }

  /**
   * Events the store kept on disk at a shutdown deadline: no longer held by this client (they are
   * delivered after the next start), counted and reported as `shutdown` like any event the deadline
   * cut off, without loading them into memory.
   */
  #settleDetached(detached: DetachedEvents): void {
    this.#held -= detached.events
    this.#heldBytes -= detached.bytes
    if (this.#barriers.length > 0) {
      for (const barrier of this.#barriers) {
        barrier.remaining -= detached.upTo(barrier.seq)
        if (barrier.remaining <= 0) barrier.resolve()
      }
      this.#barriers = this.#barriers.filter((barrier) => barrier.remaining > 0)
    }
    const { stats, emitter, logger } = this.#deps
    stats.drop('shutdown', detached.events)
    logger.warn(`${detached.events} event(s) ${MESSAGE_KEPT}`)
    if (emitter.has('drop')) {
      emitter.emit('drop', {
        events: detached.events,
        reason: 'shutdown',
        code: 0,
        message: `Events ${MESSAGE_KEPT}`,
        insertIds: [],
      })
    }
  }

  #armFlushTimer(): void {
    this.#flushTimer = startTimer(
      this.#deps.clock,
      () => {
        this.#flushTimer = undefined
        this.#drainRequested = true
        this.#pump()
      },
      this.#config.flushIntervalMs,
    )
  }

  #clearFlushTimer(): void {
    if (this.#flushTimer !== undefined) this.#deps.clock.clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
  }

  /** Sends while there is room in flight and something is due. */
  #pump(): void {
    if (this.#stopped) return
    const config = this.#config
    const store = this.#store
    const maxInFlight = this.#unreachable ? 1 : config.maxInFlightRequests
    while (this.#inFlight.size < maxInFlight) {
      let batch = this.#ready.shift()
      if (batch === undefined) {
        if (store.length === 0) break
        const due =
          this.#drainRequested ||
          this.#barriers.length > 0 ||
          this.#closed ||
          store.length >= config.flushQueueSize ||
          store.bytes >= config.limits.maxBodyBytes
        if (!due) break
        const throttled = this.#throttle.active
        batch = takeBatch(
          store,
          config.limits,
          config.envelope,
          throttled ? this.#hold : undefined,
          this.#park,
        )
        if (throttled) this.#armThrottleTimer()
        if (batch.length === 0) {
          // All taken events were parked (go on), or the store pauses handing out events (stop).
          if (store.peek() === undefined) break
          continue
        }
      }
      this.#send(batch)
    }
    if (store.length === 0) this.#drainRequested = false
    else if (this.#flushTimer === undefined && !this.#closed) this.#armFlushTimer()
  }

  #send(batch: QueuedEvent[], probeDueMs?: number): void {
    const config = this.#config
    const { clock, stats, emitter } = this.#deps
    let eventBytes = 0
    for (const record of batch) {
      eventBytes += record.bytes
      if (record.attempts > 0) stats.retried++
    }
    const size = bodyBytes(config.envelope, batch.length, eventBytes)
    const gzip = config.gzip && size >= config.gzipMinBytes
    const entry: InFlight = {
      batch,
      bytes: eventBytes,
      startedMs: clock.now(),
      requestId: ++this.#requestId,
      probeDueMs,
    }
    this.#inFlight.add(entry)
    this.#inFlightEvents += batch.length
    this.#inFlightBytes += eventBytes
    stats.requests++
    if (emitter.has('request')) {
      emitter.emit('request', {
        requestId: entry.requestId,
        url: config.url,
        events: batch.length,
        bodyBytes: size,
        gzip,
      })
    }
    post(this.#deps.fetch, clock, {
      url: config.url,
      body: buildBody(config.envelope, batch),
      gzip,
      timeoutMs: config.requestTimeoutMs,
      signal: this.#abort.signal,
    }).then(
      (outcome) => this.#complete(entry, outcome),
      (error: unknown) =>
        this.#complete(entry, { kind: 'error', error: 'network', message: String(error) }),
    )
  }

  #complete(entry: InFlight, raw: Outcome): void {
    const config = this.#config
    const { clock, emitter } = this.#deps
    const { batch } = entry
    this.#inFlight.delete(entry)
    this.#inFlightEvents -= batch.length
    this.#inFlightBytes -= entry.bytes
    // Amplitude echoes an unknown key (`Invalid API key: <key>`): redact before anything reads it.
    const outcome: Outcome =
      raw.kind === 'response'
        ? { ...raw, body: redact(raw.body, config.apiKey) }
        : { ...raw, message: redact(raw.message, config.apiKey) }
    const now = clock.now()
    this.#unreachable = raw.kind === 'error'
    // Ids are read back from the JSON only when the answer may name users or devices.
    const members =
      outcome.kind === 'response' && (outcome.status === 400 || outcome.status === 429)
        ? batch.map(idsOf)
        : new Array<BatchMember>(batch.length).fill(NO_MEMBER)
    let verdict: Verdict = classify({
      outcome,
      batch: members,
      nowMs: now,
      operation: config.operation,
    })
    if (this.#stopped && verdict.kind !== 'ok' && verdict.kind !== 'drop') {
      verdict = {
        kind: 'drop',
        status: verdict.status,
        reason: 'shutdown',
        message: MESSAGE_SHUTDOWN,
      }
    }
    if (emitter.has('response')) {
      const info: ClientEventMap['response'] = {
        requestId: entry.requestId,
        status: verdict.status,
        verdict: verdict.kind,
        events: batch.length,
        durationMs: now - entry.startedMs,
      }
      if (verdict.kind !== 'ok') info.message = verdict.message
      emitter.emit('response', info)
    }
    switch (verdict.kind) {
      case 'ok':
        this.#deliver(batch, verdict.status)
        this.#endEarlyWaits()
        break
      case 'retry':
        if (entry.probeDueMs !== undefined && NETWORK_REASONS.has(verdict.reason)) {
          // A failed probe is not a retry: the batch waits out the rest of its backoff.
          this.#wait(batch, Math.max(0, entry.probeDueMs - now), true, true)
        } else this.#retry(batch, verdict.afterMs, verdict.reason, verdict.message, true)
        break
      case 'split': {
        // Split this batch only; the configured batch size stays as it is (never shrinks forever).
        const middle = Math.ceil(batch.length / 2)
        this.#ready.unshift(batch.slice(middle))
        this.#ready.unshift(batch.slice(0, middle))
        break
      }
      case 'drop':
        this.#dropAll(batch, verdict.reason, verdict.status, verdict.message, true)
        break
      case 'partial':
        this.#partial(batch, verdict, now)
        break
    }
    this.#pump()
  }

  #deliver(batch: QueuedEvent[], status: number): void {
    const settlement: Settlement =
      status === 200 ? DELIVERED : { code: status, message: MESSAGES.success, reason: undefined }
    for (const record of batch) this.#finish(record, settlement)
    this.#deps.stats.delivered += batch.length
  }

  #partial(
    batch: QueuedEvent[],
    verdict: Extract<Verdict, { kind: 'partial' }>,
    now: number,
  ): void {
    const fate = new Array<0 | 1 | 2>(batch.length).fill(0)
    const byReason = new Map<DropReason, QueuedEvent[]>()
    for (const { index, reason } of verdict.drops) {
      const record = batch[index]
      if (record === undefined || fate[index] !== 0) continue
      fate[index] = 1
      const list = byReason.get(reason) ?? []
      list.push(record)
      byReason.set(reason, list)
    }
    for (const [reason, records] of byReason) {
      this.#dropAll(records, reason, verdict.status, verdict.message, true)
    }
    const throttled: QueuedEvent[] = []
    for (const index of verdict.throttled) {
      const record = batch[index]
      if (record === undefined || fate[index] !== 0) continue
      fate[index] = 2
      throttled.push(record)
    }
    const rest = batch.filter((_, index) => fate[index] === 0)
    // The events Amplitude did not object to go again at once, in the same flush.
    if (rest.length > 0) this.#ready.unshift(rest)
    if (throttled.length > 0) {
      const kept = this.#countFailure(throttled, verdict.message, now)
      this.#throttle.hold(
        verdict.throttledUsers,
        verdict.throttledDevices,
        now + verdict.throttleAfterMs,
      )
      for (const record of kept) this.#throttle.park(record)
      this.#armThrottleTimer()
      this.#emitRetry(kept, verdict.throttleAfterMs, 'throttled', verdict.message)
    }
  }

  /** Counts a failed send; returns the events still within budget, fails the others. */
  #countFailure(records: QueuedEvent[], message: string, now: number): QueuedEvent[] {
    const config = this.#config
    const kept: QueuedEvent[] = []
    const exhausted: QueuedEvent[] = []
    const relativeNow = now - this.#originMs
    for (const record of records) {
      record.attempts++
      if (record.firstFailureMs < 0) record.firstFailureMs = relativeNow
      if (
        record.attempts > config.maxRetries ||
        relativeNow - record.firstFailureMs >= config.retryBudgetMs
      ) {
        exhausted.push(record)
      } else kept.push(record)
    }
    if (exhausted.length > 0) {
      this.#dropAll(
        exhausted,
        'retries_exhausted',
        500,
        `${MESSAGES.retriesExhausted} (last: ${message})`,
        true,
      )
    }
    return kept
  }

  #retry(
    batch: QueuedEvent[],
    afterMs: number | undefined,
    reason: RetryReason,
    message: string,
    countsAsFailure: boolean,
  ): void {
    const { clock } = this.#deps
    const now = clock.now()
    const kept = countsAsFailure ? this.#countFailure(batch, message, now) : batch
    if (kept.length === 0) return
    let attempt = 0
    for (const record of kept) attempt = Math.max(attempt, attemptsOf(record))
    const delayMs = afterMs ?? backoffDelayMs(this.#config.backoff, attempt, clock.random)
    this.#wait(
      kept,
      delayMs,
      afterMs === undefined,
      afterMs === undefined && NETWORK_REASONS.has(reason),
    )
    this.#emitRetry(kept, delayMs, reason, message)
  }

  #wait(records: QueuedEvent[], delayMs: number, early: boolean, probe: boolean): void {
    const { clock } = this.#deps
    const waiting: Waiting = {
      records,
      timer: undefined,
      dueMs: clock.now() + delayMs,
      early,
      probe,
    }
    waiting.timer = startTimer(
      clock,
      () => {
        this.#waiting.delete(waiting)
        this.#ready.push(records)
        this.#pump()
      },
      delayMs,
    )
    this.#waiting.add(waiting)
    if (probe) this.#armProbeTimer()
  }

  #armProbeTimer(): void {
    if (this.#probeTimer !== undefined || this.#stopped) return
    this.#probeTimer = startTimer(this.#deps.clock, () => this.#probe(), PROBE_INTERVAL_MS)
  }

  /** Sends the batch due soonest, early, when nothing is in flight, to find out if the endpoint is back. */
  #probe(): void {
    this.#probeTimer = undefined
    if (this.#stopped) return
    let candidate: Waiting | undefined
    let waitingProbes = false
    for (const waiting of this.#waiting) {
      if (!waiting.probe) continue
      waitingProbes = true
      if (candidate === undefined || waiting.dueMs < candidate.dueMs) candidate = waiting
    }
    if (!waitingProbes || candidate === undefined) return
    const now = this.#deps.clock.now()
    if (this.#inFlight.size === 0 && candidate.dueMs - now > PROBE_INTERVAL_MS) {
      this.#deps.clock.clearTimeout(candidate.timer)
      this.#waiting.delete(candidate)
      this.#send(candidate.records, candidate.dueMs)
    }
    this.#armProbeTimer()
  }

  #emitRetry(
    records: QueuedEvent[],
    delayMs: number,
    reason: RetryReason | 'throttled',
    message: string,
  ): void {
    const { emitter, logger } = this.#deps
    let attempt = 0
    for (const record of records) attempt = Math.max(attempt, attemptsOf(record))
    logger.debug(`${records.length} event(s) retry in ${delayMs} ms (${reason}): ${message}`)
    if (emitter.has('retry')) {
      emitter.emit('retry', { events: records.length, attempt, delayMs, reason, message })
    }
  }

  /** The endpoint answered: batches waiting out a network failure need not wait any longer. */
  #endEarlyWaits(): void {
    if (this.#waiting.size === 0) return
    for (const waiting of this.#waiting) {
      if (!waiting.early) continue
      this.#deps.clock.clearTimeout(waiting.timer)
      this.#waiting.delete(waiting)
      this.#ready.push(waiting.records)
    }
  }

  #armThrottleTimer(): void {
    if (this.#throttleTimer !== undefined || this.#stopped) return
    const next = this.#throttle.nextReleaseMs()
    if (next === undefined) return
    const { clock } = this.#deps
    this.#throttleTimer = startTimer(
      clock,
      () => {
        this.#throttleTimer = undefined
        const free = this.#throttle.release(clock.now())
        if (free.length > 0) {
          const chunks = chunk(free, this.#config.limits, this.#config.envelope)
          // Parked events are older than anything in the store: they go first, in order.
          for (let i = chunks.length - 1; i >= 0; i--)
            this.#ready.unshift(chunks[i] as QueuedEvent[])
        }
        this.#armThrottleTimer()
        this.#pump()
      },
      Math.max(0, next - clock.now()),
    )
  }

  /** Settles one event and updates the holdings and barriers. */
  #finish(record: QueuedEvent, settlement: Settlement): void {
    if (!settle(record, settlement)) return
    this.#store.release?.(record, settlement)
    this.#held--
    this.#heldBytes -= record.bytes
    if (this.#barriers.length === 0) return
    let resolved = false
    for (const barrier of this.#barriers) {
      if (record.seq <= barrier.seq && --barrier.remaining === 0) {
        barrier.resolve()
        resolved = true
      }
    }
    if (resolved) this.#barriers = this.#barriers.filter((barrier) => barrier.remaining > 0)
  }

  /**
   * Fails events for good: settles them, counts them by reason, logs once and emits once.
   * `held` is false for an event that was never accepted (refused at the door).
   */
  #dropAll(
    records: QueuedEvent[],
    reason: DropReason,
    code: number,
    message: string,
    held: boolean,
  ): void {
    const { stats, emitter, logger } = this.#deps
    const settlement = failure(code, message, reason)
    for (const record of records) {
      if (held) this.#finish(record, settlement)
      else settle(record, settlement)
    }
    stats.drop(reason, records.length)
    if (this.#deps.deadLetter !== undefined && !QUIET_REASONS.has(reason)) {
      this.#deps.deadLetter(records, settlement)
    }
    // Overflow under sustained load would log once per event; the first one is a warning, the
    // rest are counted in stats and emitted.
    if (QUIET_REASONS.has(reason)) {
      logger.debug(`${records.length} event(s) skipped (${reason}): ${message}`)
    } else if (reason !== 'queue_overflow' || !this.#overflowWarned) {
      logger.warn(`${records.length} event(s) dropped (${reason}): ${message}`)
      if (reason === 'queue_overflow') this.#overflowWarned = true
    }
    if (emitter.has('drop')) {
      emitter.emit('drop', {
        events: records.length,
        reason,
        code,
        message,
        insertIds: records.map(insertIdOf).filter((id): id is string => id !== undefined),
      })
    }
  }
}

/** Skips the caller asked for (opt-out, disabled, a plugin's filter): not worth a warning each. */
const QUIET_REASONS: ReadonlySet<DropReason> = new Set(['opt_out', 'disabled', 'filtered'])

const NO_MEMBER: BatchMember = { userId: undefined, deviceId: undefined }

function insertIdOf(record: QueuedEvent): string | undefined {
  if (record.event !== undefined) return record.event.insert_id
  if (record.json === '') return undefined
  const insertId = (JSON.parse(record.json) as { insert_id?: unknown }).insert_id
  return typeof insertId === 'string' ? insertId : undefined
}
