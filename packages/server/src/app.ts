/**
 * @module The server as an app object: `createServerApp(options)` gives `handle(Request) → Response`
 * with web-standard types, exercised in-process by tests; `listen.ts` binds it to a port. This file
 * routes, applies faults, logs one line per request and tracks in-flight requests for `close()`.
 */
import {
  BATCH_EPS_LIMIT,
  EPS_WINDOW_MS,
  ERROR_MESSAGES,
  HTTP_V2_EPS_LIMIT,
  payloadTooLargeBody,
  serverErrorBody,
  tooManyRequestsBody,
} from '@ampkit/protocol'
import { readRequestBody } from './body-reader.ts'
import { COHORT_FILE_PREFIX, type CohortJobOptions } from './cohorts/cohort-jobs.ts'
import { CohortService } from './cohorts/cohort-service.ts'
import { ApiError, ConfigError } from './errors.ts'
import { type ExportOptions, resolveExportOptions } from './export/export-stream.ts'
import { FaultInjector, type FaultRule, type FaultRuleInput, parseFaultRule } from './faults.ts'
import { DeletionJobs, type DeletionOptions } from './privacy/deletion-jobs.ts'
import { type Project, ProjectRegistry } from './projects.ts'
import { RateLimiter } from './rate-limiter.ts'
import { CORS_HEADERS, jsonResponse, renderError } from './responses.ts'
import { ADMIN_PREFIX, handleAdmin } from './routes/admin.ts'
import { chartRoutes } from './routes/charts.ts'
import { cohortRoutes } from './routes/cohorts.ts'
import { handleComposition } from './routes/composition.ts'
import type { RequestNotes, RouteContext } from './routes/context.ts'
import { handleEventsList } from './routes/events-list.ts'
import { handleExport } from './routes/export.ts'
import { handleFunnels } from './routes/funnels.ts'
import { handleAttribution, handleGroupIdentify, handleIdentify } from './routes/identify.ts'
import { handleUserActivity, handleUserSearch } from './routes/inspect.ts'
import { privacyRoutes } from './routes/privacy.ts'
import { profileRoutes } from './routes/profile.ts'
import { handleRealtime } from './routes/realtime.ts'
import { handleRetention } from './routes/retention.ts'
import { handleRevenueLtv } from './routes/revenue.ts'
import { handleSegmentation } from './routes/segmentation.ts'
import {
  handleSessionAverage,
  handleSessionLength,
  handleSessionsPerUser,
} from './routes/sessions.ts'
import { taxonomyRoutes } from './routes/taxonomy.ts'
import { handleUpload, uploadByteLimit } from './routes/upload.ts'
import { handleUsers } from './routes/users.ts'
import { Slots } from './slots.ts'
import type { Store } from './store/store.ts'
import { USER_PROPERTY_UPDATES_PER_HOUR, UserPropertyBudget } from './store/user-property-budget.ts'
import { TaxonomyStore } from './taxonomy/taxonomy-store.ts'

/** Per user/device rate limits (ingestion-api.md §6). */
export interface RateLimitOptions {
  /** HTTP V2 events per second per user and per device. @default 30 */
  httpV2EpsLimit?: number
  /** Batch events per second per user and per device. @default 1000 */
  batchEpsLimit?: number
  /** Averaging window, in ms. @default 30000 */
  windowMs?: number
  /**
   * Most user/device keys tracked per limiter, and Amplitude ids counted by the user-property
   * budget within an hour; beyond it the least recently used are evicted. @default 100000
   */
  maxTrackedKeys?: number
  /**
   * Batch events per user and per device per rolling 24 h; past it, 429 with
   * `exceeded_daily_quota_users`/`_devices` (whose events SDKs drop). Amplitude counts this only for
   * users or devices it has flagged as spam, so it is off unless set (500,000 is Amplitude's number).
   * @default off
   */
  batchDailyQuotaEvents?: number
  /**
   * User-property updates applied per Amplitude id per clock hour; past it an update is dropped
   * and its event still stored (ingestion-api.md §2; what counts as one update is described in
   * `store/user-property-budget.ts`). @default 1800
   */
  userPropertyUpdatesPerHour?: number
}

/** Where the server writes its lines. Lines never hold a key, a query string or a body. */
export interface ServerLogger {
  /** One line per request: `POST /batch 200 12ms events=2000`. */
  info(line: string): void
  /** Unexpected errors (answered 500). */
  error(line: string): void
}

/** Options of `createServerApp`. */
export interface ServerAppOptions {
  /** Storage of events and profiles. The app closes it in `close()`. Required. */
  store: Store
  /** The projects served (at least one). Required. */
  projects: readonly Project[]
  /** Cohort download jobs and files (query-api.md §4.2). @default {} */
  cohorts?: CohortJobOptions
  /** User deletion jobs (query-api.md §5.2). @default {} */
  deletions?: DeletionOptions
  /**
   * Per user/device throttling, answered 429, and the hourly user-property update budget; `false`
   * turns both off. @default true
   */
  rateLimits?: boolean | RateLimitOptions
  /** Enables the fault-injection admin API at `/_ampkit/faults`. @default false */
  faults?: boolean
  /** Fault rules in force from the start (as posted to the admin API); implies `faults`. @default [] */
  faultRules?: readonly FaultRuleInput[]
  /** Request log and error sink. @default silent */
  logger?: ServerLogger
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number
  /** Deadline for a request body to arrive completely, in ms. @default 30000 */
  bodyTimeoutMs?: number
  /** Longest request URL accepted, in characters; longer is 414. @default 8192 */
  maxUrlLength?: number
  /**
   * Ingestion requests handled at once; more wait, their bodies unread, for a slot. Bounds memory
   * to this many bodies (each under its endpoint's cap). @default 8
   */
  maxConcurrentUploads?: number
  /** The Export API's archive layout and compression (`/api/2/export`). @default {} */
  export?: ExportOptions
}

/** Facts about the connection the node adapter knows and a `Request` does not carry. */
export interface ConnectionInfo {
  remoteAddress?: string | undefined
}

/** The server app. */
export interface ServerApp {
  /** Answers one request. Never rejects: every failure is rendered as a response. */
  handle(request: Request, connection?: ConnectionInfo): Promise<Response>
  /** Refuses new requests (503), waits for in-flight ones, then closes the store. Idempotent. */
  close(): Promise<void>
  /** The projects served. */
  readonly projects: Project[]
}

const resetResponses = new WeakSet<Response>()

/**
 * True for the response a `reset` (or dropped `hang`) fault returns: the node adapter destroys the
 * connection instead of writing it. In-process callers see a 500.
 */
export function isConnectionReset(response: Response): boolean {
  return resetResponses.has(response)
}

function connectionReset(): Response {
  const response = jsonResponse(500, serverErrorBody(500, 'Connection reset (fault injection)'))
  resetResponses.add(response)
  return response
}

const DAY_MS = 24 * 60 * 60 * 1000

const SILENT: ServerLogger = { info: () => {}, error: () => {} }

interface ResolvedOptions {
  store: Store
  registry: ProjectRegistry
  limiters: RouteContext['limiters']
  faults: FaultInjector | undefined
  logger: ServerLogger
  now: () => number
  bodyTimeoutMs: number
  maxUrlLength: number
  maxConcurrentUploads: number
  exportOptions: ExportOptions
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0)
    throw new ConfigError(`createServerApp: ${name} must be a positive number, got ${value}`)
  return value
}

/** Fills defaults and checks every option; throws `ConfigError` naming the bad one. */
export function resolveServerAppOptions(options: ServerAppOptions): ResolvedOptions {
  if (options.store === undefined || options.store === null)
    throw new ConfigError('createServerApp: store is required')
  const registry = new ProjectRegistry(options.projects ?? [])
  const limiters: RouteContext['limiters'] = {}
  const rate = options.rateLimits ?? true
  if (rate !== false) {
    const settings = rate === true ? {} : rate
    const windowMs = positive(settings.windowMs, 'rateLimits.windowMs', EPS_WINDOW_MS)
    const maxTrackedKeys = positive(settings.maxTrackedKeys, 'rateLimits.maxTrackedKeys', 100_000)
    limiters.httpV2 = new RateLimiter({
      epsLimit: positive(settings.httpV2EpsLimit, 'rateLimits.httpV2EpsLimit', HTTP_V2_EPS_LIMIT),
      windowMs,
      maxTrackedKeys,
    })
    limiters.batch = new RateLimiter({
      epsLimit: positive(settings.batchEpsLimit, 'rateLimits.batchEpsLimit', BATCH_EPS_LIMIT),
      windowMs,
      maxTrackedKeys,
    })
    limiters.userProperties = new UserPropertyBudget({
      updatesPerHour: positive(
        settings.userPropertyUpdatesPerHour,
        'rateLimits.userPropertyUpdatesPerHour',
        USER_PROPERTY_UPDATES_PER_HOUR,
      ),
      maxTrackedIds: maxTrackedKeys,
    })
    if (settings.batchDailyQuotaEvents !== undefined) {
      const quota = positive(settings.batchDailyQuotaEvents, 'rateLimits.batchDailyQuotaEvents', 1)
      limiters.batchDailyQuota = new RateLimiter({
        epsLimit: quota / (DAY_MS / 1000),
        windowMs: DAY_MS,
        maxTrackedKeys,
      })
    }
  }
  return {
    store: options.store,
    registry,
    limiters,
    faults: faultInjector(options),
    logger: options.logger ?? SILENT,
    now: options.now ?? Date.now,
    bodyTimeoutMs: positive(options.bodyTimeoutMs, 'bodyTimeoutMs', 30_000),
    maxUrlLength: positive(options.maxUrlLength, 'maxUrlLength', 8192),
    maxConcurrentUploads: positive(options.maxConcurrentUploads, 'maxConcurrentUploads', 8),
    exportOptions: resolveExportOptions(options.export),
  }
}

function faultInjector(options: ServerAppOptions): FaultInjector | undefined {
  const rules = options.faultRules ?? []
  if (options.faults !== true && rules.length === 0) return undefined
  const injector = new FaultInjector()
  rules.forEach((rule, index) => {
    try {
      injector.add(parseFaultRule(rule))
    } catch (error) {
      const reason = error instanceof ApiError ? String(error.body.error) : String(error)
      throw new ConfigError(`createServerApp: faultRules[${index}]: ${reason}`, { cause: error })
    }
  })
  return injector
}

type Handler = (context: RouteContext) => Promise<Response>

/** Paths whose requests carry event bodies and take an upload slot. */
const UPLOAD_PATHS: ReadonlySet<string> = new Set([
  '/2/httpapi',
  '/batch',
  '/identify',
  '/groupidentify',
  '/attribution',
])

/** The routes: path → method → handler. Paths are matched exactly. */
const ROUTES: Record<string, Record<string, Handler>> = {
  '/2/httpapi': { POST: (context) => handleUpload(context, '/2/httpapi') },
  '/batch': { POST: (context) => handleUpload(context, '/batch') },
  '/identify': { POST: handleIdentify, GET: handleIdentify },
  '/groupidentify': { POST: handleGroupIdentify },
  '/attribution': { POST: handleAttribution },
  '/api/2/usersearch': { GET: handleUserSearch },
  '/api/2/useractivity': { GET: handleUserActivity },
  '/api/2/revenue/ltv': { GET: handleRevenueLtv },
  '/api/2/composition': { GET: handleComposition },
  '/api/2/events/list': { GET: handleEventsList },
  '/api/2/realtime': { GET: handleRealtime },
  '/api/2/sessions/length': { GET: handleSessionLength },
  '/api/2/sessions/average': { GET: handleSessionAverage },
  '/api/2/sessions/peruser': { GET: handleSessionsPerUser },
  '/api/2/users': { GET: handleUsers },
  '/api/2/events/segmentation': { GET: handleSegmentation },
  '/api/2/export': { GET: handleExport },
  '/api/2/retention': { GET: handleRetention },
  '/api/2/funnels': { GET: handleFunnels },
}

/** A path safe for a log line: no query string, no control characters, bounded length. */
function loggablePath(url: URL | undefined): string {
  if (url === undefined) return '<unparsable url>'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = url.pathname.replace(/[\u0000-\u001f\u007f\s]/g, '?')
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean
}

function loggableMethod(method: string): string {
  return /^[A-Z]{1,16}$/.test(method) ? method : '<method>'
}

/** Creates the app. Throws `ConfigError` for a bad option. */
export function createServerApp(options: ServerAppOptions): ServerApp {
  const resolved = resolveServerAppOptions(options)
  const { store, registry, limiters, faults, logger, now, bodyTimeoutMs, maxUrlLength } = resolved
  const { exportOptions } = resolved
  const uploadSlots = new Slots(resolved.maxConcurrentUploads)
  const inFlight = new Set<Promise<Response>>()
  const shutdown = new AbortController()
  let closing: Promise<void> | undefined
  // The query-side APIs with state of their own (jobs, metadata tables), routed by path prefix.
  const reportError = (line: string) => logger.error(line)
  const cohorts = new CohortService(store, now, options.cohorts, reportError)
  const deletions = new DeletionJobs(
    store,
    now,
    options.deletions,
    async (projectId, amplitudeIds) => {
      const outcome = await store.deleteUsers(projectId, amplitudeIds)
      await cohorts.repository.removeUsers(projectId, outcome.deleted)
    },
    reportError,
  )
  deletions.start()
  const cohortFamily = cohortRoutes(cohorts)
  const families = [
    cohortFamily,
    privacyRoutes(deletions, cohorts),
    profileRoutes(cohorts),
    taxonomyRoutes(new TaxonomyStore(store, now)),
    chartRoutes(store, now, (path) =>
      Object.hasOwn(ROUTES, path) ? ROUTES[path]?.GET : undefined,
    ),
  ]

  async function route(request: Request, url: URL, context: RouteContext): Promise<Response> {
    const path = url.pathname
    if (path.startsWith(COHORT_FILE_PREFIX)) return cohortFamily.handle(context)
    if (path.startsWith(ADMIN_PREFIX) || path === '/_ampkit') return handleAdmin(context, faults)
    if (faults !== undefined) {
      const rule = faults.take(request.method, path)
      if (rule !== undefined) {
        context.notes.fault = rule.kind
        const faulted = await applyFault(rule, context)
        if (faulted !== undefined) return faulted
      }
    }
    const methods = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined
    if (methods === undefined) {
      const family = families.find((candidate) => candidate.matches(path))
      if (family !== undefined) return family.handle(context)
      // Amplitude answers an unknown ingestion path with 400 `Invalid request path`. Under the
      // query API (`/api/`) the usual 404 fits better: those clients treat 400 as a bad parameter.
      if (path.startsWith('/api/')) throw new ApiError(404, { code: 404, error: 'Not Found' })
      throw new ApiError(400, { code: 400, error: ERROR_MESSAGES.invalidPath })
    }
    const handler = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined
    if (handler === undefined) {
      const allow = Object.keys(methods).join(', ')
      // A CORS preflight for a browser SDK sending JSON to the local server.
      if (request.method === 'OPTIONS')
        return new Response(null, {
          status: 204,
          headers: {
            allow,
            'access-control-allow-methods': `${allow}, OPTIONS`,
            'access-control-allow-headers': '*',
            'access-control-max-age': '86400',
          },
        })
      // A known path with the wrong method: 405 with `Allow` is the HTTP answer; the body keeps the
      // JSON shape with `code` that every Amplitude client reads (the real status is unconfirmed).
      throw new ApiError(405, { code: 405, error: 'Method Not Allowed' }, { headers: { allow } })
    }
    if (UPLOAD_PATHS.has(path)) return uploadSlots.run(() => handler(context))
    return handler(context)
  }

  async function applyFault(rule: FaultRule, context: RouteContext): Promise<Response | undefined> {
    switch (rule.kind) {
      case 'error':
        return jsonResponse(rule.status ?? 503, {
          ...(rule.body ?? serverErrorBody(rule.status ?? 503)),
          code: rule.status ?? 503,
        })
      case 'too-large':
        return jsonResponse(413, payloadTooLargeBody())
      case 'bad-request':
        return jsonResponse(400, {
          error: ERROR_MESSAGES.invalidEventJson,
          ...rule.body,
          code: 400,
        })
      case 'throttle':
        return throttleFault(rule, context)
      case 'reset':
        return connectionReset()
      case 'hang': {
        await sleep(rule.delayMs ?? 30_000, shutdown.signal)
        if (rule.afterDelay === 'answer' && !shutdown.signal.aborted) return undefined
        return connectionReset()
      }
    }
  }

  async function throttleFault(rule: FaultRule, context: RouteContext): Promise<Response> {
    const path = context.url.pathname
    let throttledEvents = rule.throttledEvents
    if (throttledEvents === undefined) throttledEvents = await eventsNamed(rule, context)
    const body = tooManyRequestsBody({
      epsThreshold: rule.epsThreshold ?? (path === '/batch' ? BATCH_EPS_LIMIT : HTTP_V2_EPS_LIMIT),
      throttledUsers: rule.throttledUsers ?? {},
      throttledDevices: rule.throttledDevices ?? {},
      throttledEvents,
      ...(rule.exceededDailyQuotaUsers && {
        exceededDailyQuotaUsers: rule.exceededDailyQuotaUsers,
      }),
      ...(rule.exceededDailyQuotaDevices && {
        exceededDailyQuotaDevices: rule.exceededDailyQuotaDevices,
      }),
    })
    const headers: Record<string, string> = {}
    if (rule.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(rule.retryAfterSeconds)
    return jsonResponse(429, body, headers)
  }

  /** Best effort: the indices of the request's events whose user or device the rule names. */
  async function eventsNamed(rule: FaultRule, context: RouteContext): Promise<number[]> {
    const users = { ...rule.throttledUsers, ...rule.exceededDailyQuotaUsers }
    const devices = { ...rule.throttledDevices, ...rule.exceededDailyQuotaDevices }
    const path = context.url.pathname
    if (path !== '/2/httpapi' && path !== '/batch') return []
    try {
      const { bytes } = await readRequestBody(context.request, {
        maxBytes: uploadByteLimit(path),
        timeoutMs: bodyTimeoutMs,
      })
      const events = (JSON.parse(new TextDecoder().decode(bytes)) as { events?: unknown }).events
      if (!Array.isArray(events)) return []
      const indices: number[] = []
      events.forEach((event: unknown, index) => {
        const { user_id: userId, device_id: deviceId } = (event ?? {}) as Record<string, unknown>
        const named =
          (typeof userId === 'string' && Object.hasOwn(users, userId)) ||
          (typeof deviceId === 'string' && Object.hasOwn(devices, deviceId))
        if (named) indices.push(index)
      })
      return indices
    } catch {
      return []
    }
  }

  async function respond(request: Request, connection: ConnectionInfo): Promise<Response> {
    const startedAt = performance.now()
    const notes: RequestNotes = {}
    let url: URL | undefined
    let response: Response
    try {
      if (request.url.length > maxUrlLength)
        throw new ApiError(414, { code: 414, error: 'Request-URI Too Long' })
      url = new URL(request.url)
      if (closing !== undefined)
        throw new ApiError(503, serverErrorBody(503), { headers: { connection: 'close' } })
      const context: RouteContext = {
        request,
        url,
        store,
        projects: registry,
        now,
        bodyTimeoutMs,
        limiters,
        remoteAddress: connection.remoteAddress,
        notes,
        cohorts,
        exportOptions,
      }
      response = await route(request, url, context)
    } catch (error) {
      response = renderError(error, (message) =>
        logger.error(`${loggableMethod(request.method)} ${loggablePath(url)} failed: ${message}`),
      )
    }
    for (const [name, value] of Object.entries(CORS_HEADERS)) response.headers.set(name, value)
    const elapsedMs = Math.round(performance.now() - startedAt)
    const events = notes.events === undefined ? '' : ` events=${notes.events}`
    const fault = notes.fault === undefined ? '' : ` fault=${notes.fault}`
    const reset = isConnectionReset(response) ? ' (connection reset)' : ''
    logger.info(
      `${loggableMethod(request.method)} ${loggablePath(url)} ${response.status} ${elapsedMs}ms${events}${fault}${reset}`,
    )
    return response
  }

  return {
    get projects() {
      return registry.projects
    },
    handle(request, connection = {}) {
      const pending = respond(request, connection).catch((error: unknown) =>
        // respond() renders every error itself; this guards the guard (a throwing logger).
        renderError(error, () => {}),
      )
      inFlight.add(pending)
      void pending.finally(() => inFlight.delete(pending))
      return pending
    },
    close() {
      closing ??= (async () => {
        shutdown.abort()
        while (inFlight.size > 0) await Promise.allSettled([...inFlight])
        await Promise.all([cohorts.close(), deletions.close()])
        await store.close()
      })()
      return closing
    },
  }
}

/** Waits `ms`, or less when the server shuts down (a held request must not delay shutdown). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
