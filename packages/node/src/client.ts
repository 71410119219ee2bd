/**
 * @module The facade: the drop-in `NodeClient` surface, building events (context fields, sessions,
 * plugins, validation) and handing them, serialized once, to the publisher. Tracking calls never
 * throw and never reject; `init()` throws a `ConfigError` for a bad option or variable.
 */
import { randomUUID } from 'node:crypto'
import { type EventFinding, validateEvent } from '@ampkit/protocol'
import { bodyBytes, createEnvelope, type Envelope } from './batcher.ts'
import type { NodeClient, NodeConfig, Plugin } from './client-types.ts'
import { type ClientEventMap, type Listener, TypedEmitter } from './emitter.ts'
import {
  createGroupEvent,
  createGroupIdentifyEvent,
  createIdentifyEvent,
  createRevenueEvent,
  createTrackEvent,
} from './event-builder.ts'
import type { AmplitudeReturn, BaseEvent, DropReason, Event, EventOptions } from './event-types.ts'
import { type ExitHookTarget, registerExitHooks } from './exit-hooks.ts'
import type { IIdentify } from './identify.ts'
import { type ILogger, Logger } from './logger.ts'
import { type NodeOptions, type ResolvedNodeOptions, resolveNodeOptions } from './options.ts'
import { deadLetterWriter } from './outbox/dead-letter.ts'
import { OutboxStore } from './outbox/outbox-store.ts'
import { PluginTimeline } from './plugins.ts'
import { Publisher, type PublisherDeps, type ShutdownReport } from './publisher.ts'
import { type EventStore, MemoryEventStore } from './queue.ts'
import { createQueuedEvent, type QueuedEvent } from './queued-event.ts'
import { failure, MESSAGES, settle, TrackHandle } from './result.ts'
import type { IRevenue } from './revenue.ts'
import { SessionManager } from './sessions.ts'
import { type ClientStats, Stats } from './stats.ts'
import { createTaxonomyGuard, type TaxonomyGuard } from './taxonomy/guard.ts'
import { type VerifyResult, verifyEndpoint } from './verify.ts'

/** Calls made before `init()` are kept, up to this many, and replayed by `init()`. */
const MAX_CALLS_BEFORE_INIT = 100_000

/** Options of `shutdown()`. */
export interface ShutdownOptions {
  /** Deadline for delivering what is held, in ms. @default 30000 */
  timeoutMs?: number
}

interface Ready {
  options: ResolvedNodeOptions
  publisher: Publisher
  envelope: Envelope
  sessions: SessionManager | undefined
  validation: { minIdLength?: number }
  /** Held here so the exit-hook registry can hold it weakly. */
  exitTarget: ExitHookTarget
  unregisterExitHooks: () => void
  /** The durable outbox, when `persistence` is on (and the client is not disabled). */
  outbox: OutboxStore | undefined
  taxonomy: TaxonomyGuard
}

function describeFindings(findings: readonly EventFinding[]): string {
  return findings.map((f) => `${f.kind.replaceAll('_', ' ')} ${f.field}`).join(', ')
}

/** The tracking client. `createInstance()` returns one; the package's functions use a default one. */
export class AmpkitClient implements NodeClient {
  #ready: Ready | undefined
  #replaying = false
  readonly #beforeInit: Array<() => void | Promise<void>> = []
  readonly #stats = new Stats()
  #logger: ILogger = new Logger()
  readonly #emitter = new TypedEmitter<ClientEventMap>((error) =>
    this.#logger.error(`A listener threw: ${String(error)}`),
  )
  #plugins = new PluginTimeline(this.#logger)
  #eventId = 0
  #optOut = false
  #chain: Promise<void> = Promise.resolve()

  /**
   * Configures the client. Throws `ConfigError` for a bad option or `AMPLITUDE_*` variable; resolves
   * once calls made before it (and plugins added before it) are processed.
   */
  init(apiKey?: string, options: NodeOptions = {}): AmplitudeReturn<void> {
    if (this.#ready !== undefined) {
      this.#ready.options.loggerProvider.warn('init() was already called; ignoring this call')
      return { promise: Promise.resolve() }
    }
    const resolved = resolveNodeOptions(apiKey, options)
    // Built before anything starts, so a bad `taxonomy` option throws its ConfigError cleanly.
    const taxonomy = createTaxonomyGuard(
      options.taxonomy,
      (violation) => {
        resolved.loggerProvider.warn(violation.message)
        this.#emitter.emit('taxonomy', violation)
      },
      options.env ?? process.env,
    )
    this.#logger = resolved.loggerProvider
    this.#plugins.logger = resolved.loggerProvider
    this.#optOut = resolved.optOut
    const envelope = createEnvelope(resolved.apiKey, resolved.minIdLength, resolved.library)
    const url = new URL(resolved.serverUrl)
    const persistence = resolved.disabledBy === undefined ? resolved.persistence : undefined
    const outbox =
      persistence === undefined ? undefined : this.#openOutbox(resolved, envelope, persistence)
    const store: EventStore = outbox ?? new MemoryEventStore()
    const deps: PublisherDeps = {
      clock: resolved.clock,
      fetch: resolved.fetch,
      store,
      emitter: this.#emitter,
      stats: this.#stats,
      logger: resolved.loggerProvider,
    }
    if (resolved.deadLetterFile !== undefined) {
      const write = deadLetterWriter(
        resolved.deadLetterFile,
        resolved.loggerProvider,
        resolved.clock.now,
      )
      // With the outbox, a shutdown leaves events in the log for the next start: not dead.
      deps.deadLetter =
        outbox === undefined
          ? write
          : (records, settlement) => {
              if (settlement.reason !== 'shutdown') write(records, settlement)
            }
    }
    const publisher = new Publisher(
      {
        apiKey: resolved.apiKey,
        url: resolved.serverUrl,
        operation: `POST ${url.pathname}`,
        limits: { maxEvents: resolved.flushQueueSize, maxBodyBytes: resolved.maxBatchBytes },
        envelope,
        flushQueueSize: resolved.flushQueueSize,
        flushIntervalMs: resolved.flushIntervalMillis,
        maxInFlightRequests: resolved.maxInFlightRequests,
        requestTimeoutMs: resolved.requestTimeoutMillis,
        gzip: resolved.gzip,
        gzipMinBytes: resolved.gzipMinBytes,
        maxRetries: resolved.flushMaxRetries,
        retryBudgetMs: resolved.retryBudgetMs,
        backoff: { baseDelayMs: resolved.retryBaseDelayMs, maxDelayMs: resolved.retryMaxDelayMs },
        bound: {
          maxQueuedEvents: persistence?.maxDiskEvents ?? resolved.maxQueuedEvents,
          maxQueuedBytes: persistence?.maxDiskBytes ?? resolved.maxQueuedBytes,
          overflowPolicy: resolved.overflowPolicy,
        },
      },
      deps,
    )
    const exitTarget = {
      pendingEvents: () => publisher.held,
      flush: () => this.flush().promise,
      shutdown: (o: { timeoutMs: number }) => this.shutdown(o),
    }
    const unregisterExitHooks =
      resolved.process !== undefined && resolved.disabledBy === undefined
        ? registerExitHooks(resolved.process, exitTarget, resolved.exitHooks, resolved.clock)
        : () => undefined
    this.#ready = {
      options: resolved,
      publisher,
      envelope,
      sessions: resolved.sessions === undefined ? undefined : new SessionManager(resolved.sessions),
      validation: resolved.minIdLength === undefined ? {} : { minIdLength: resolved.minIdLength },
      exitTarget,
      unregisterExitHooks,
      outbox,
      taxonomy,
    }
    for (const name of ['transportProvider', 'storageProvider', 'offline', 'identify'] as const) {
      if (options[name] !== undefined) {
        resolved.loggerProvider.warn(
          `init(): option ${name} is accepted for compatibility but not used`,
        )
      }
    }
    if (resolved.disabledBy !== undefined) {
      resolved.loggerProvider.log(
        `ampkit is disabled by ${resolved.disabledBy}: events are not sent`,
      )
    }
    return { promise: this.#replay() ?? Promise.resolve() }
  }

  /** Tracks an event: `track('Type', props?, options?)` or `track({ event_type, … }, …)`. */
  track(
    eventInput: BaseEvent | string,
    // biome-ignore lint/suspicious/noExplicitAny: the official signature
    eventProperties?: Record<string, any>,
    eventOptions?: EventOptions,
  ): TrackHandle {
    return this.#dispatch(createTrackEvent(eventInput, eventProperties, eventOptions))
  }

  /** Alias of `track()`. */
  logEvent(
    eventInput: BaseEvent | string,
    // biome-ignore lint/suspicious/noExplicitAny: the official signature
    eventProperties?: Record<string, any>,
    eventOptions?: EventOptions,
  ): TrackHandle {
    return this.track(eventInput, eventProperties, eventOptions)
  }

  /** Sends user-property operations (`$identify`). */
  identify(identify: IIdentify, eventOptions?: EventOptions): TrackHandle {
    return this.#dispatch(createIdentifyEvent(identify, eventOptions))
  }

  /** Sends group-property operations (`$groupidentify`). */
  groupIdentify(
    groupType: string,
    groupName: string | string[],
    identify: IIdentify,
    eventOptions?: EventOptions,
  ): TrackHandle {
    return this.#dispatch(createGroupIdentifyEvent(groupType, groupName, identify, eventOptions))
  }

  /** Puts the user in a group. */
  setGroup(
    groupType: string,
    groupName: string | string[],
    eventOptions?: EventOptions,
  ): TrackHandle {
    return this.#dispatch(createGroupEvent(groupType, groupName, eventOptions))
  }

  /** Sends a `revenue_amount` event. */
  revenue(revenue: IRevenue, eventOptions?: EventOptions): TrackHandle {
    return this.#dispatch(createRevenueEvent(revenue, eventOptions))
  }

  /** Registers a plugin; resolves after its `setup()`. */
  add(plugin: Plugin): AmplitudeReturn<void> {
    if (this.#ready === undefined || this.#replaying) {
      let done!: () => void
      const promise = new Promise<void>((resolve) => {
        done = resolve
      })
      this.#beforeInit.push(() => this.add(plugin).promise.then(done))
      return { promise }
    }
    const promise = this.#plugins
      .register(plugin, this.#config(), this)
      .catch((error: unknown) => this.#logger.error(`Plugin setup failed: ${String(error)}`))
    return { promise }
  }

  /** Removes a plugin by name; resolves after its `teardown()`. */
  remove(pluginName: string): AmplitudeReturn<void> {
    if (this.#ready === undefined || this.#replaying) {
      this.#beforeInit.push(() => this.remove(pluginName).promise)
      return { promise: Promise.resolve() }
    }
    const promise = this.#plugins
      .deregister(pluginName)
      .catch((error: unknown) => this.#logger.error(`Plugin teardown failed: ${String(error)}`))
    return { promise }
  }

  /** Turns tracking off (events resolve with code 0) or back on. */
  setOptOut(optOut: boolean): void {
    if (this.#ready === undefined || this.#replaying) {
      this.#beforeInit.push(() => this.setOptOut(optOut))
      return
    }
    const next = Boolean(optOut)
    if (next === this.#optOut) return
    this.#optOut = next
    this.#plugins.optOutChanged(next)
  }

  /**
   * A barrier: resolves when every event tracked before the call is delivered or failed for good,
   * including events in flight and in retry backoff (with the normal retry policy).
   */
  flush(): AmplitudeReturn<void> {
    const ready = this.#ready
    if (ready === undefined) return { promise: Promise.resolve() }
    const promise = this.#chain
      .then(() => ready.publisher.flush())
      .then(() => this.#plugins.flush())
      .catch((error: unknown) => this.#logger.error(`flush failed: ${String(error)}`))
    return { promise }
  }

  /**
   * With `persistence`: resolves `true` once every event accepted before the call is written to the
   * outbox log with the configured durability (the group commit at the end of the current
   * event-loop turn), `false` if that write failed (logged, retried). An event persisted this way is
   * delivered after a crash and restart. Without `persistence` (or before `init()`), resolves
   * `false` at once: nothing is persisted.
   */
  persisted(): Promise<boolean> {
    const outbox = this.#ready?.outbox
    if (outbox === undefined) return Promise.resolve(false)
    return this.#chain.then(() => outbox.persisted())
  }

  /**
   * Stops timers, refuses new events, delivers what it holds within `timeoutMs` and fails the rest
   * (reason `shutdown`), aborting requests still in flight. Safe to call more than once.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport> {
    const ready = this.#ready
    if (ready === undefined) return { timedOut: false, failed: 0 }
    ready.unregisterExitHooks()
    await this.#chain
    const report = await ready.publisher.shutdown(options.timeoutMs ?? 30_000)
    // Events failed by the deadline stay unacknowledged in the log: the next start sends them.
    ready.outbox?.close()
    await this.#plugins.teardown()
    return report
  }

  /** Counters: tracked, delivered, retried, dropped by reason, queued, in flight. */
  stats(): ClientStats {
    const ready = this.#ready
    if (ready !== undefined) {
      const stats = ready.publisher.stats()
      if (ready.outbox !== undefined) stats.outbox = ready.outbox.stats()
      stats.taxonomy = ready.taxonomy.stats()
      return stats
    }
    const stats = this.#stats
    return {
      tracked: stats.tracked,
      delivered: 0,
      retried: 0,
      dropped: { ...stats.dropped },
      droppedTotal: stats.droppedTotal,
      queuedEvents: this.#beforeInit.length,
      queuedBytes: 0,
      inFlightEvents: 0,
      inFlightRequests: 0,
      requests: 0,
    }
  }

  /** Listens to `request`, `response`, `retry` or `drop`. */
  on<K extends keyof ClientEventMap>(name: K, listener: Listener<ClientEventMap[K]>): this {
    this.#emitter.on(name, listener)
    return this
  }

  /** Stops listening. */
  off<K extends keyof ClientEventMap>(name: K, listener: Listener<ClientEventMap[K]>): this {
    this.#emitter.off(name, listener)
    return this
  }

  /** Listens once. */
  once<K extends keyof ClientEventMap>(name: K, listener: Listener<ClientEventMap[K]>): this {
    this.#emitter.once(name, listener)
    return this
  }

  /** Checks the API key and the endpoint without ingesting anything (see verify.ts). */
  async verify(): Promise<VerifyResult> {
    const ready = this.#ready
    if (ready === undefined) {
      return {
        ok: false,
        reason: 'unexpected_response',
        status: 0,
        message: MESSAGES.notInitialized,
      }
    }
    const { options } = ready
    if (options.disabledBy !== undefined) {
      return {
        ok: false,
        reason: 'disabled',
        status: 0,
        message: `disabled by ${options.disabledBy}`,
      }
    }
    return verifyEndpoint(options.fetch, options.clock, {
      url: options.serverUrl,
      apiKey: options.apiKey,
      timeoutMs: options.requestTimeoutMillis,
      operation: `POST ${new URL(options.serverUrl).pathname}`,
    })
  }

  /** Opens the outbox, reporting what it recovered or had to skip (logger and `outbox` event). */
  #openOutbox(
    resolved: ResolvedNodeOptions,
    envelope: Envelope,
    persistence: NonNullable<ResolvedNodeOptions['persistence']>,
  ): OutboxStore {
    const logger = resolved.loggerProvider
    const emitter = this.#emitter
    const outbox = OutboxStore.open(
      persistence,
      {
        onCorruption: (c) => {
          const message = `outbox: skipped ${c.bytes} ${c.kind} byte(s) of ${c.file} at offset ${c.offset}`
          logger.warn(message)
          emitter.emit('outbox', { kind: c.kind, message, file: c.file, bytes: c.bytes })
        },
        onWriteError: (error) => {
          const message = `outbox: write to ${persistence.dir} failed: ${String(error)}`
          logger.error(message)
          emitter.emit('outbox', { kind: 'write_error', message })
        },
      },
      envelope.eventHeadExtraBytes,
    )
    const recovered = outbox.stats().recoveredEvents
    if (recovered > 0) {
      const message = `outbox: replaying ${recovered} event(s) left by an earlier process in ${persistence.dir}`
      logger.log(message)
      emitter.emit('outbox', { kind: 'recovered', message, events: recovered })
    }
    return outbox
  }

  #config(): NodeConfig {
    const options = (this.#ready as Ready).options
    const config: NodeConfig = {
      apiKey: options.apiKey,
      flushIntervalMillis: options.flushIntervalMillis,
      flushMaxRetries: options.flushMaxRetries,
      flushQueueSize: options.flushQueueSize,
      instanceName: options.instanceName,
      logLevel: options.logLevel,
      loggerProvider: options.loggerProvider,
      minIdLength: options.minIdLength,
      optOut: this.#optOut,
      plan: options.plan,
      ingestionMetadata: options.ingestionMetadata,
      serverUrl: options.serverUrl,
      serverZone: options.serverZone,
      useBatch: options.useBatch,
      requestTimeoutMillis: options.requestTimeoutMillis,
    }
    return config
  }

  /** Runs the calls made before init, in order, waiting for plugin setups among them. */
  #replay(): Promise<void> | undefined {
    this.#replaying = true
    while (this.#beforeInit.length > 0) {
      const call = this.#beforeInit.shift() as () => void | Promise<void>
      const pending = call()
      if (pending instanceof Promise) return pending.then(() => this.#replay())
    }
    this.#replaying = false
    return undefined
  }

  #dispatch(event: Event): TrackHandle {
    const record = createQueuedEvent()
    const ready = this.#ready
    if (ready === undefined || this.#replaying) {
      if (this.#beforeInit.length >= MAX_CALLS_BEFORE_INIT) {
        record.event = event
        settle(record, failure(0, MESSAGES.notInitialized, 'queue_overflow'))
        this.#stats.drop('queue_overflow', 1)
        return new TrackHandle(record, undefined)
      }
      // The insert_id is fixed now so the handle can report it before init runs.
      if (event.insert_id === undefined) event.insert_id = randomUUID()
      this.#beforeInit.push(() => {
        this.#process(ready ?? (this.#ready as Ready), record, event)
      })
      return new TrackHandle(record, event.insert_id, event.event_type)
    }
    return this.#process(ready, record, event)
  }

  #process(ready: Ready, record: QueuedEvent, event: Event): TrackHandle {
    const { options } = ready
    this.#stats.tracked++
    if (this.#optOut) return this.#refuse(ready, record, event, 'opt_out', MESSAGES.optOut)
    if (options.disabledBy !== undefined) {
      return this.#refuse(
        ready,
        record,
        event,
        'disabled',
        `Event skipped: ampkit is disabled by ${options.disabledBy}`,
      )
    }
    const eventType = event.event_type
    if (typeof eventType !== 'string' || eventType.trim().length === 0) {
      return this.#refuse(ready, record, event, 'empty_event_type', MESSAGES.emptyEventType)
    }
    // The caller's own time/insert_id win; event_id and library always come from the client (the
    // official Context plugin's rules). `event` is already the client's own copy, so it is
    // completed in place: one object less per event in a burst.
    const now = options.clock.now()
    const wire = event
    if (wire.time === undefined) wire.time = now
    if (wire.insert_id === undefined) wire.insert_id = options.randomUUID()
    if (options.plan !== undefined && wire.plan === undefined) wire.plan = options.plan
    if (options.ingestionMetadata !== undefined && wire.ingestion_metadata === undefined) {
      wire.ingestion_metadata = {
        source_name: options.ingestionMetadata.sourceName,
        source_version: options.ingestionMetadata.sourceVersion,
      } as Event['ingestion_metadata'] & object
    }
    wire.event_id = this.#eventId++
    // `library` is always the client's (as in the official SDK); it is written into each request
    // body rather than stored per event (Envelope.eventHead).
    if (wire.library !== undefined) delete wire.library
    const sessions = ready.sessions
    if (
      sessions !== undefined &&
      wire.session_id === undefined &&
      wire.event_type !== '$groupidentify'
    ) {
      const sessionId = sessions.sessionFor(wire.device_id, wire.user_id, wire.time ?? now)
      if (sessionId !== undefined) wire.session_id = sessionId
    }
    const handle = new TrackHandle(record, wire.insert_id, wire.event_type)
    if (this.#plugins.transforms) {
      // Plugins are async; chaining keeps events in call order.
      this.#chain = this.#chain.then(() => this.#transformThenEnqueue(ready, record, wire))
      return handle
    }
    this.#enqueue(ready, record, wire)
    return handle
  }

  async #transformThenEnqueue(ready: Ready, record: QueuedEvent, event: Event): Promise<void> {
    try {
      const { event: transformed, by } = await this.#plugins.transform(event)
      if (transformed === null) {
        this.#refuse(ready, record, event, 'filtered', `Event filtered out by plugin ${by ?? ''}`)
        return
      }
      this.#enqueue(ready, record, transformed)
    } catch (error) {
      this.#refuse(ready, record, event, 'filtered', `Plugin failed: ${String(error)}`)
    }
  }

  #enqueue(ready: Ready, record: QueuedEvent, input: Event): void {
    const verdict = ready.taxonomy.check(input)
    if (verdict.action === 'refuse') {
      input.library = ready.options.library
      this.#refuse(ready, record, input, 'taxonomy', verdict.message)
      return
    }
    // The guard's copy when it redacted or fixed a value; the input itself otherwise.
    const event = verdict.event
    const findings = validateEvent(event, ready.validation)
    if (findings.length > 0) {
      event.library = ready.options.library
      this.#refuse(
        ready,
        record,
        event,
        'invalid',
        `Event rejected before sending: ${describeFindings(findings)}`,
      )
      return
    }
    let json: string
    try {
      json = JSON.stringify(event)
    } catch (error) {
      this.#refuse(
        ready,
        record,
        event,
        'invalid',
        `Event rejected before sending: not serializable (${String(error)})`,
      )
      return
    }
    const bytes = Buffer.byteLength(json) + ready.envelope.eventHeadExtraBytes
    if (bodyBytes(ready.envelope, 1, bytes) > ready.options.maxBatchBytes) {
      this.#refuse(
        ready,
        record,
        event,
        'payload_too_large',
        `Event rejected before sending: ${bytes} bytes do not fit in a ${ready.options.maxBatchBytes}-byte request`,
      )
      return
    }
    record.json = json
    record.bytes = bytes
    ready.publisher.accept(record)
    if (this.#plugins.hasDestinations) {
      event.library = ready.options.library
      this.#plugins.deliver(event)
    }
  }

  #refuse(
    ready: Ready,
    record: QueuedEvent,
    event: Event,
    reason: DropReason,
    message: string,
  ): TrackHandle {
    record.event = event
    ready.publisher.refuse(record, reason, message)
    return new TrackHandle(record, event.insert_id, event.event_type)
  }
}

/** A new, independent client (the official `createInstance()`). */
export function createInstance(): AmpkitClient {
  return new AmpkitClient()
}
