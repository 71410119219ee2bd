/**
 * @module Client options: the option names of `@amplitude/analytics-node` (so `init(key, options)`
 * calls carry over unchanged) plus ampkit's own, and `resolveNodeOptions()`, the one place that
 * fills defaults and throws a `ConfigError` naming a bad option or environment variable.
 * Precedence: an explicit option, then the environment, then the default.
 */
import { randomUUID } from 'node:crypto'
import {
  MAX_BATCH_REQUEST_BYTES,
  MAX_EVENTS_PER_REQUEST,
  MAX_HTTP_V2_REQUEST_BYTES,
  SERVER_URLS,
  type ServerZone,
} from '@ampkit/protocol'
import { type Environment, isHttpUrl, readEnvironment } from './environment.ts'
import { ConfigError } from './errors.ts'
import type { IngestionMetadata, Plan } from './event-types.ts'
import { LIBRARY } from './library.ts'
import { type ILogger, Logger, LogLevel } from './logger.ts'
import {
  type DeadLetterOptions,
  type PersistenceOptions,
  type ResolvedPersistence,
  resolveDeadLetter,
  resolvePersistence,
} from './outbox/options.ts'
import type { OverflowPolicy } from './queue.ts'
import type { SessionOptions } from './sessions.ts'
import type { TaxonomyMode, TaxonomyOptions } from './taxonomy/options.ts'
import type { Clock, TimerHandle } from './timers.ts'
import type { FetchLike } from './transport.ts'

export { LIBRARY }

/** Signals the exit hooks can handle. */
export type ExitSignal = 'SIGTERM' | 'SIGINT'

/** Exit hooks: flush (or shut down) when the process is about to end. */
export interface ExitHookOptions {
  /** Flush on `beforeExit` (the event loop emptied with events still queued). @default true */
  beforeExit?: boolean
  /**
   * Shut down on these signals, then re-raise the signal so the process ends as it would have.
   * @default [] (signals are opt-in: handling one changes how the process exits)
   */
  signals?: readonly ExitSignal[]
  /** Deadline for the flush or shutdown, in ms. @default 10000 */
  timeoutMs?: number
}

/** The parts of `process` the exit hooks use (tests pass a fake). */
export interface ProcessLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown
  listenerCount(event: string): number
  kill(pid: number, signal: string): unknown
  readonly pid: number
}

/** Injected time, randomness, network and process, for deterministic tests. */
export interface ClientHooks {
  /** @default Date.now */
  now?: () => number
  /** @default globalThis.setTimeout */
  setTimeout?: (callback: () => void, delayMs: number) => TimerHandle
  /** @default globalThis.clearTimeout */
  clearTimeout?: (handle: TimerHandle) => void
  /** @default Math.random */
  random?: () => number
  /** @default globalThis.fetch (Node's undici, keep-alive) */
  fetch?: FetchLike
  /** Generates `insert_id`s. @default crypto.randomUUID */
  randomUUID?: () => string
  /** @default globalThis.process */
  process?: ProcessLike
}

/** Options of `init(apiKey, options)`. */
export interface NodeOptions {
  /** Max time between a tracked event and its send, in ms. @default 10000 */
  flushIntervalMillis?: number
  /**
   * Failed sends after which an event fails for good (5xx, timeouts, network errors, 429). 0 means
   * the default, as in the official SDK. @default 12; with `persistence`, no limit (the time budget
   * and the disk bound apply)
   */
  flushMaxRetries?: number
  /**
   * Events per request, and the queue length that triggers a send before the interval. Capped at
   * Amplitude's 2,000. @default 2000 (the official SDK's is 200; larger batches mean fewer requests)
   */
  flushQueueSize?: number
  /** A name for this instance, for logs. @default '$default_instance' */
  instanceName?: string
  /** @default LogLevel.Warn */
  logLevel?: LogLevel
  /** @default a console logger */
  loggerProvider?: ILogger
  /** Minimum `user_id`/`device_id` length, sent as `options.min_id_length`. @default Amplitude's 5 */
  minIdLength?: number
  /** Skip every event (resolved with code 0). @default false */
  optOut?: boolean
  /** Tracking plan, sent as `plan` on every event. @default none */
  plan?: Plan
  /** Sent as `ingestion_metadata` on every event. @default none */
  ingestionMetadata?: IngestionMetadata
  /**
   * Gzip request bodies to a custom `serverUrl` (as in the official SDK). Amplitude's own URLs are
   * always compressed unless `gzip: false`. @default false
   */
  enableRequestBodyCompression?: boolean
  /** Endpoint; overrides `serverZone`. Env `AMPLITUDE_SERVER_URL`. @default by zone */
  serverUrl?: string
  /** 'US' or 'EU'. Env `AMPLITUDE_SERVER_ZONE`. @default 'US' */
  serverZone?: ServerZone
  /** Use the Batch API (`/batch`, 20 MB requests) instead of HTTP V2. @default false */
  useBatch?: boolean
  /** Deadline of one request (headers and body), in ms. Env `AMPLITUDE_TIMEOUT`. @default 10000 */
  requestTimeoutMillis?: number
  /** Accepted for compatibility; not used (ampkit's transport is built in). */
  transportProvider?: unknown
  /** Accepted for compatibility; not used (a durable outbox is planned, issue 4). */
  storageProvider?: unknown
  /** Accepted for compatibility; not used. */
  offline?: unknown
  /** Accepted for compatibility; not used (call `identify()` after `init()`). */
  identify?: unknown

  /** Requests in flight at once. @default 4 */
  maxInFlightRequests?: number
  /** Request body limit, in bytes. @default 1000000 (HTTP V2), 20000000 (Batch API) */
  maxBatchBytes?: number
  /** Gzip bodies of at least `gzipMinBytes`. @default true for Amplitude's URLs, else `enableRequestBodyCompression` */
  gzip?: boolean
  /** Smallest body that is gzipped, in bytes. @default 2048 */
  gzipMinBytes?: number
  /** First retry delay before jitter, in ms. @default 1000 */
  retryBaseDelayMs?: number
  /** Largest retry delay before jitter, in ms. @default 30000 */
  retryMaxDelayMs?: number
  /**
   * Time after an event's first failed send after which it fails for good, in ms.
   * @default 600000 (10 min); with `persistence`, 604800000 (7 days)
   */
  retryBudgetMs?: number
  /** Events held (queued, in flight, in backoff) before `overflowPolicy` applies. @default 2000000 */
  maxQueuedEvents?: number
  /** JSON bytes held before `overflowPolicy` applies. @default 1073741824 (1 GiB) */
  maxQueuedBytes?: number
  /** What to drop when full. @default 'dropOldest' */
  overflowPolicy?: OverflowPolicy
  /** Assign `session_id` per device/user, ended by inactivity. @default false */
  sessions?: boolean | SessionOptions
  /**
   * The durable outbox (issue 4): accepted events are logged on disk and replayed after a restart
   * until delivered or failed for good. With it, `maxDiskBytes`/`maxDiskEvents` replace
   * `maxQueuedBytes`/`maxQueuedEvents` as the bound (same `overflowPolicy`), and memory holds only a
   * window of events. `false` turns off `AMPLITUDE_OUTBOX_DIR`. See `PersistenceOptions`.
   * @default off, or `{ dir: AMPLITUDE_OUTBOX_DIR }` when that variable is set
   */
  persistence?: PersistenceOptions | false
  /** Append events that failed for good to this NDJSON file (`replayDeadLetters()`). @default off */
  deadLetter?: DeadLetterOptions
  /** Flush on exit. `true`: beforeExit, SIGTERM and SIGINT. @default { beforeExit: true } */
  exitHooks?: boolean | ExitHookOptions
  /**
   * The taxonomy guard (event and property naming, PII, values, cardinality, an optional tracking
   * plan): `false` turns it off, a mode string sets the mode, an object sets everything.
   * @default 'warn', or 'strict' when NODE_ENV or ENV is `test` (read from `env`)
   */
  taxonomy?: boolean | TaxonomyMode | TaxonomyOptions
  /** Environment to read `AMPLITUDE_*` from. @default process.env */
  env?: Environment
  /** Injected clock, fetch and process. */
  hooks?: ClientHooks
}

/** Options with every default filled in. */
export interface ResolvedNodeOptions {
  apiKey: string
  /** Why the client does not send, when it is disabled. */
  disabledBy: string | undefined
  serverUrl: string
  serverZone: ServerZone | undefined
  useBatch: boolean
  flushQueueSize: number
  flushIntervalMillis: number
  flushMaxRetries: number
  requestTimeoutMillis: number
  minIdLength: number | undefined
  optOut: boolean
  logLevel: LogLevel
  loggerProvider: ILogger
  instanceName: string
  plan: Plan | undefined
  ingestionMetadata: IngestionMetadata | undefined
  maxInFlightRequests: number
  maxBatchBytes: number
  gzip: boolean
  gzipMinBytes: number
  retryBaseDelayMs: number
  retryMaxDelayMs: number
  retryBudgetMs: number
  maxQueuedEvents: number
  maxQueuedBytes: number
  overflowPolicy: OverflowPolicy
  sessions: Required<SessionOptions> | undefined
  persistence: ResolvedPersistence | undefined
  deadLetterFile: string | undefined
  exitHooks: Required<ExitHookOptions>
  library: string
  clock: Clock
  fetch: FetchLike
  randomUUID: () => string
  process: ProcessLike | undefined
}

function number(
  name: string,
  value: unknown,
  {
    min,
    max = Number.MAX_SAFE_INTEGER,
    integer = true,
  }: { min: number; max?: number; integer?: boolean },
): number | undefined {
  if (value === undefined) return undefined
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    value >= min &&
    value <= max
  if (!ok) {
    throw new ConfigError(
      name,
      `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`,
    )
  }
  return value as number
}

function boolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean')
    throw new ConfigError(name, `must be true or false, got ${String(value)}`)
  return value
}

const DEFAULT_URLS: ReadonlySet<string> = new Set(
  Object.values(SERVER_URLS).flatMap((urls) => [urls.httpV2, urls.batch]),
)

/** Fills defaults and validates; throws `ConfigError` naming the bad option or variable. */
export function resolveNodeOptions(
  apiKeyArgument: string | undefined,
  options: NodeOptions = {},
): ResolvedNodeOptions {
  const env = readEnvironment(options.env ?? process.env)
  const hooks = options.hooks ?? {}

  const apiKey = apiKeyArgument !== undefined && apiKeyArgument !== '' ? apiKeyArgument : env.apiKey
  if (typeof apiKey !== 'string' && env.disabledBy === undefined) {
    throw new ConfigError('apiKey', 'is missing: pass init(apiKey) or set AMPLITUDE_API_KEY')
  }

  const useBatch = boolean('useBatch', options.useBatch) ?? false
  let serverZone: ServerZone | undefined = options.serverZone ?? env.serverZone ?? 'US'
  if (serverZone !== 'US' && serverZone !== 'EU') {
    throw new ConfigError('serverZone', `must be 'US' or 'EU', got ${JSON.stringify(serverZone)}`)
  }
  let serverUrl = options.serverUrl ?? env.serverUrl
  if (serverUrl !== undefined && serverUrl !== '') {
    if (!isHttpUrl(serverUrl)) {
      throw new ConfigError('serverUrl', `must be an http(s) URL, got ${JSON.stringify(serverUrl)}`)
    }
    // A custom URL replaces the zone, as in the official SDK.
    serverZone = undefined
  } else {
    serverUrl = SERVER_URLS[serverZone][useBatch ? 'batch' : 'httpV2']
  }

  const requestLimit = useBatch ? MAX_BATCH_REQUEST_BYTES : MAX_HTTP_V2_REQUEST_BYTES
  // 0 means the default for these two, as `||` does in the official SDK.
  const flushQueueSize =
    number('flushQueueSize', options.flushQueueSize, { min: 0 }) ||
    env.batchSize ||
    MAX_EVENTS_PER_REQUEST
  const maxInFlightRequests =
    number('maxInFlightRequests', options.maxInFlightRequests, { min: 1, max: 64 }) ?? 4
  const cappedQueueSize = Math.min(flushQueueSize, MAX_EVENTS_PER_REQUEST)
  const persistence = resolvePersistence(
    options.persistence,
    env.outboxDir,
    cappedQueueSize * maxInFlightRequests,
  )
  // With the outbox, an outage ends only when the disk bound is reached, not after 12 retries or
  // 10 minutes: keeping events through long outages is what the outbox is for.
  const flushMaxRetries =
    number('flushMaxRetries', options.flushMaxRetries, { min: 0, max: 1000 }) ||
    (persistence === undefined ? 12 : Number.MAX_SAFE_INTEGER)

  const logLevel = (number('logLevel', options.logLevel, { min: 0, max: 4 }) ??
    LogLevel.Warn) as LogLevel
  const loggerProvider = options.loggerProvider ?? new Logger()
  loggerProvider.enable(logLevel)

  const explicitGzip = boolean('gzip', options.gzip)
  const gzip =
    explicitGzip ??
    (DEFAULT_URLS.has(serverUrl) ||
      (boolean('enableRequestBodyCompression', options.enableRequestBodyCompression) ?? false))

  const overflowPolicy = options.overflowPolicy ?? 'dropOldest'
  if (overflowPolicy !== 'dropOldest' && overflowPolicy !== 'refuseNewest') {
    throw new ConfigError(
      'overflowPolicy',
      `must be 'dropOldest' or 'refuseNewest', got ${String(overflowPolicy)}`,
    )
  }

  let sessions: Required<SessionOptions> | undefined
  if (options.sessions !== undefined && options.sessions !== false) {
    const given = options.sessions === true ? {} : options.sessions
    sessions = {
      timeoutMs: number('sessions.timeoutMs', given.timeoutMs, { min: 1 }) ?? 300_000,
      maxSessions: number('sessions.maxSessions', given.maxSessions, { min: 1 }) ?? 100_000,
    }
  }

  const hookOptions: ExitHookOptions =
    options.exitHooks === true
      ? { beforeExit: true, signals: ['SIGTERM', 'SIGINT'] }
      : options.exitHooks === false
        ? { beforeExit: false, signals: [] }
        : (options.exitHooks ?? {})
  const signals = hookOptions.signals ?? []
  for (const signal of signals) {
    if (signal !== 'SIGTERM' && signal !== 'SIGINT') {
      throw new ConfigError(
        'exitHooks.signals',
        `may hold SIGTERM and SIGINT, got ${String(signal)}`,
      )
    }
  }

  const clock: Clock = {
    now: hooks.now ?? Date.now,
    setTimeout: hooks.setTimeout ?? ((callback, delayMs) => setTimeout(callback, delayMs)),
    clearTimeout: hooks.clearTimeout ?? ((handle) => clearTimeout(handle as NodeJS.Timeout)),
    random: hooks.random ?? Math.random,
  }

  return {
    apiKey: apiKey ?? '',
    disabledBy: env.disabledBy,
    serverUrl,
    serverZone,
    useBatch,
    flushQueueSize: cappedQueueSize,
    flushIntervalMillis:
      number('flushIntervalMillis', options.flushIntervalMillis, { min: 0 }) ??
      env.flushIntervalMs ??
      10_000,
    flushMaxRetries,
    requestTimeoutMillis:
      number('requestTimeoutMillis', options.requestTimeoutMillis, { min: 1 }) ??
      env.requestTimeoutMs ??
      10_000,
    minIdLength: number('minIdLength', options.minIdLength, { min: 1 }),
    optOut: boolean('optOut', options.optOut) ?? false,
    logLevel,
    loggerProvider,
    instanceName: options.instanceName ?? '$default_instance',
    plan: options.plan,
    ingestionMetadata: options.ingestionMetadata,
    maxInFlightRequests,
    maxBatchBytes:
      number('maxBatchBytes', options.maxBatchBytes, { min: 1024, max: requestLimit }) ??
      requestLimit,
    gzip,
    gzipMinBytes: number('gzipMinBytes', options.gzipMinBytes, { min: 0 }) ?? 2048,
    retryBaseDelayMs: number('retryBaseDelayMs', options.retryBaseDelayMs, { min: 1 }) ?? 1000,
    retryMaxDelayMs: number('retryMaxDelayMs', options.retryMaxDelayMs, { min: 1 }) ?? 30_000,
    retryBudgetMs:
      number('retryBudgetMs', options.retryBudgetMs, { min: 1 }) ??
      (persistence === undefined ? 600_000 : 604_800_000),
    maxQueuedEvents: number('maxQueuedEvents', options.maxQueuedEvents, { min: 1 }) ?? 2_000_000,
    maxQueuedBytes:
      number('maxQueuedBytes', options.maxQueuedBytes, { min: 1024 }) ?? 1_073_741_824,
    overflowPolicy,
    sessions,
    persistence,
    deadLetterFile: resolveDeadLetter(options.deadLetter),
    exitHooks: {
      beforeExit: hookOptions.beforeExit ?? true,
      signals,
      timeoutMs: number('exitHooks.timeoutMs', hookOptions.timeoutMs, { min: 1 }) ?? 10_000,
    },
    library: LIBRARY,
    clock,
    // Read now, not at the first send: Node loads undici lazily on the first access to `fetch`, and
    // that cost belongs to start-up rather than to the first burst.
    fetch: hooks.fetch ?? globalThis.fetch,
    randomUUID: hooks.randomUUID ?? randomUUID,
    process: hooks.process ?? (globalThis.process as unknown as ProcessLike | undefined),
  }
}
