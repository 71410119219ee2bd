/**
 * @module Every HTTP request of the client goes through `Transport`: credentials, the concurrency
 * permit (held until the body is fully read, streams included), deadlines, redirects (the credentials
 * never follow one to another origin), and the retry loop driven by `classify()`. Failures become the
 * typed errors of `errors.ts`, carrying the method, a credential-free URL, the status and a body
 * excerpt.
 */
import { encodeForm } from '@ampkit/protocol'
import {
  AbortedError,
  type AmplitudeApiError,
  AuthError,
  BadRequestError,
  ConflictError,
  NetworkError,
  NotFoundError,
  ProtocolError,
  RateLimitError,
  type RequestContext,
  ServerError,
  TimeoutError,
} from '../errors.ts'
import type { ResolvedApiOptions } from '../options.ts'
import { classify, type FailReason } from './classify.ts'
import { ConcurrencyLimiter, type Release } from './limiter.ts'
import { safeUrl } from './safe-url.ts'

/** Query parameters; repeated keys (`e` of funnels, `propKeys`) are repeated entries. */
export type QueryParams = ReadonlyArray<readonly [string, string]>

/** One logical request (retries and redirects included). */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Path under the base URL, e.g. `/api/2/export`. */
  path: string
  query?: QueryParams
  /** Which base URL and which credentials. @default 'api' (HTTP Basic) */
  api?: 'api' | 'profile'
  body?: { json: unknown } | { form: Record<string, string> }
  /** Retry 5xx, network errors and timeouts. @default method is GET or DELETE */
  idempotent?: boolean
  /** Retry 429s here; cohort polling counts them itself. @default true */
  retryRateLimits?: boolean
  /** Statuses returned to the caller instead of thrown (e.g. 404 of the export = no data). */
  acceptStatuses?: readonly number[]
  signal?: AbortSignal
}

/** A response whose body has not been read yet; `release()` frees the concurrency permit. */
export interface OpenResponse {
  status: number
  headers: Headers
  url: string
  /** The body, chunk by chunk; each pause longer than `timeoutMs` fails with `TimeoutError`. */
  chunks(): AsyncGenerator<Uint8Array>
  /** Reads the whole body as text (deadline `timeoutMs`) and releases. */
  text(): Promise<string>
  /** Cancels the body (if unread) and releases the permit. Idempotent. */
  release(): void
}

const MAX_REDIRECTS = 5
const EXCERPT_CHARS = 512
const MAX_ERROR_BODY_BYTES = 65_536

/** A failed attempt before any response: what happened, for classification and the error. */
class AttemptFailure {
  readonly type: 'network' | 'timeout' | 'aborted'
  readonly cause: unknown
  constructor(type: 'network' | 'timeout' | 'aborted', cause: unknown) {
    this.type = type
    this.cause = cause
  }
}

function operationName(method: string, path: string): string {
  return `${method} ${path}`
}

function parseJsonLoose(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The typed error for a final failure. Amplitude's error bodies differ per API: the cohort endpoints
 * send `{error:{http_code,type,message,metadata}}` (§4.3), the Taxonomy API `{success:false,errors:[…]}`
 * (§5.3), the Profile API `{error:"…"}` (§5.1), export plain text (§2.2).
 */
export function errorForFailure(
  reason: FailReason,
  operation: string,
  context: RequestContext,
  details: {
    bodyText?: string
    attempts?: number
    retryAfterMs?: number
    cause?: unknown
    /** What went wrong when there is no body to quote. */
    detail?: string
  } = {},
): AmplitudeApiError {
  const parsed = details.bodyText === undefined ? undefined : parseJsonLoose(details.bodyText)
  let detail = details.detail ?? context.body?.trim() ?? ''
  let errorType: string | undefined
  let metadata: Record<string, unknown> | undefined
  let messages: string[] = []
  if (isRecord(parsed)) {
    const error = parsed.error
    if (isRecord(error)) {
      if (typeof error.message === 'string') detail = error.message
      if (typeof error.type === 'string') errorType = error.type
      if (isRecord(error.metadata)) metadata = error.metadata
    } else if (typeof error === 'string') {
      detail = error
    }
    if (Array.isArray(parsed.errors)) {
      messages = parsed.errors.map((e) =>
        isRecord(e) && typeof e.message === 'string' ? e.message : String(e),
      )
      if (messages.length > 0) detail = messages.join('; ')
    }
  }
  const status = context.status === undefined ? '' : ` ${context.status}`
  const message = `${operation} failed:${status}${detail === '' ? '' : ` ${detail.slice(0, 200)}`}`
  switch (reason) {
    case 'auth':
      return new AuthError(message, context)
    case 'not-found':
      return new NotFoundError(message, context)
    case 'rate-limited':
      return new RateLimitError(message, context, details.attempts ?? 1, details.retryAfterMs)
    case 'conflict':
      return new ConflictError(message, context, messages)
    case 'server':
      return new ServerError(message, context)
    case 'network':
      return new NetworkError(message, context, { cause: details.cause })
    case 'timeout':
      return new TimeoutError(message, context, { cause: details.cause })
    default: {
      const extra: { errorType?: string; metadata?: Record<string, unknown> } = {}
      if (errorType !== undefined) extra.errorType = errorType
      if (metadata !== undefined) extra.metadata = metadata
      return new BadRequestError(message, context, extra)
    }
  }
}

export class Transport {
  readonly limiter: ConcurrencyLimiter
  readonly #options: ResolvedApiOptions
  readonly #basic: string
  readonly #profile: string

  constructor(options: ResolvedApiOptions) {
    this.#options = options
    this.limiter = new ConcurrencyLimiter(options.maxConcurrentRequests)
    // Built once and kept private: the header value never reaches a message, error or log.
    this.#basic = `Basic ${Buffer.from(`${options.apiKey}:${options.secretKey}`).toString('base64')}`
    this.#profile = `Api-Key ${options.secretKey}`
  }

  /** Builds the absolute URL of a spec. */
  urlFor(spec: RequestSpec): string {
    const base = spec.api === 'profile' ? this.#options.profileUrl : this.#options.baseUrl
    const search =
      spec.query && spec.query.length > 0
        ? `?${new URLSearchParams(spec.query.map(([k, v]): [string, string] => [k, v]))}`
        : ''
    return `${base}${spec.path}${search}`
  }

  /** Sends `spec` (with retries) and returns the open response; the caller must read or release it. */
  async open(spec: RequestSpec): Promise<OpenResponse> {
    const operation = operationName(spec.method, spec.path)
    const url = this.urlFor(spec)
    const idempotent = spec.idempotent ?? (spec.method === 'GET' || spec.method === 'DELETE')
    for (let attempt = 1; ; attempt++) {
      const context: RequestContext = { method: spec.method, url: safeUrl(url) }
      const release = await this.#acquire(spec, operation, context)
      let result: OpenResponse | AttemptFailure
      try {
        result = await this.#attempt(spec, url, release)
      } catch (error) {
        release()
        throw error
      }
      if (result instanceof AttemptFailure) {
        release()
        if (result.type === 'aborted') throw this.#aborted(operation, context, spec.signal)
        const verdict = classify(
          { type: result.type },
          this.#classifyContext(attempt, idempotent, spec),
        )
        if (verdict.action === 'retry') {
          await this.#sleep(verdict.delayMs, spec, operation, context)
          continue
        }
        const what =
          result.type === 'timeout'
            ? `no answer within ${this.#options.timeoutMs} ms`
            : 'connection failed'
        throw errorForFailure(
          verdict.action === 'fail' ? verdict.reason : result.type,
          operation,
          context,
          { cause: result.cause, attempts: attempt, detail: `${what} (attempt ${attempt})` },
        )
      }
      const response = result
      context.status = response.status
      context.url = safeUrl(response.url)
      if (spec.acceptStatuses?.includes(response.status)) return response
      const verdict = classify(
        {
          type: 'response',
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
        },
        this.#classifyContext(attempt, idempotent, spec),
      )
      if (verdict.action === 'ok') return response
      if (verdict.action === 'retry') {
        response.release()
        await this.#sleep(verdict.delayMs, spec, operation, context)
        continue
      }
      let bodyText = ''
      try {
        bodyText = await this.#readErrorBody(response)
      } finally {
        response.release()
      }
      context.body = bodyText.slice(0, EXCERPT_CHARS)
      const details: { bodyText: string; attempts: number; retryAfterMs?: number } = {
        bodyText,
        attempts: attempt,
      }
      if (verdict.retryAfterMs !== undefined) details.retryAfterMs = verdict.retryAfterMs
      throw errorForFailure(verdict.reason, operation, context, details)
    }
  }

  /** Sends `spec` and reads the whole body as text. */
  async text(spec: RequestSpec): Promise<{ status: number; text: string; headers: Headers }> {
    const response = await this.open(spec)
    const text = await response.text()
    return { status: response.status, text, headers: response.headers }
  }

  /** Sends `spec` and parses the body as JSON; a body that is not JSON is a `ProtocolError`. */
  async json<T>(spec: RequestSpec): Promise<{ status: number; body: T; headers: Headers }> {
    const { status, text, headers } = await this.text(spec)
    try {
      return { status, body: JSON.parse(text) as T, headers }
    } catch (error) {
      throw new ProtocolError(
        `${operationName(spec.method, spec.path)} failed: the ${status} answer is not JSON`,
        {
          method: spec.method,
          url: safeUrl(this.urlFor(spec)),
          status,
          body: text.slice(0, EXCERPT_CHARS),
        },
        { cause: error },
      )
    }
  }

  #classifyContext(attempt: number, idempotent: boolean, spec: RequestSpec) {
    const retry = this.#options.retry
    return {
      attempt,
      maxAttempts: retry.maxAttempts,
      idempotent,
      retryRateLimits: spec.retryRateLimits ?? true,
      baseDelayMs: retry.baseDelayMs,
      maxDelayMs: retry.maxDelayMs,
      maxRetryAfterMs: retry.maxRetryAfterMs,
      nowMs: this.#options.now(),
      random: this.#options.random(),
    }
  }

  async #acquire(spec: RequestSpec, operation: string, context: RequestContext): Promise<Release> {
    try {
      return await this.limiter.acquire(spec.signal)
    } catch {
      throw this.#aborted(operation, context, spec.signal)
    }
  }

  async #sleep(
    delayMs: number,
    spec: RequestSpec,
    operation: string,
    context: RequestContext,
  ): Promise<void> {
    try {
      await this.#options.sleep(delayMs, spec.signal)
    } catch (error) {
      if (spec.signal?.aborted) throw this.#aborted(operation, context, spec.signal)
      throw error
    }
  }

  #aborted(operation: string, context: RequestContext, signal?: AbortSignal): AbortedError {
    return new AbortedError(`${operation} aborted`, context, { cause: signal?.reason })
  }

  async #readErrorBody(response: OpenResponse): Promise<string> {
    const parts: Uint8Array[] = []
    let total = 0
    try {
      for await (const chunk of response.chunks()) {
        parts.push(chunk)
        total += chunk.byteLength
        if (total >= MAX_ERROR_BODY_BYTES) break
      }
    } catch {
      // The error excerpt is best effort; the status already says what failed.
    }
    return Buffer.concat(parts).toString('utf8', 0, Math.min(total, MAX_ERROR_BODY_BYTES))
  }

  /** One attempt: the request and its redirects, with the permit held; never throws for HTTP. */
  async #attempt(
    spec: RequestSpec,
    url: string,
    release: Release,
  ): Promise<OpenResponse | AttemptFailure> {
    const controller = new AbortController()
    const timeoutMs = this.#options.timeoutMs
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort(new Error(`no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    timer.unref()
    const onCallerAbort = () => controller.abort(spec.signal?.reason)
    if (spec.signal?.aborted) {
      clearTimeout(timer)
      return new AttemptFailure('aborted', spec.signal.reason)
    }
    spec.signal?.addEventListener('abort', onCallerAbort, { once: true })
    let finished = false
    const finish = () => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      spec.signal?.removeEventListener('abort', onCallerAbort)
      release()
    }
    const origin = new URL(url).origin
    let current = url
    let method: string = spec.method
    let body: string | undefined
    const headers: Record<string, string> = { accept: '*/*' }
    if (spec.body !== undefined) {
      if ('json' in spec.body) {
        body = JSON.stringify(spec.body.json)
        headers['content-type'] = 'application/json'
      } else {
        body = encodeForm(spec.body.form)
        headers['content-type'] = 'application/x-www-form-urlencoded'
      }
    }
    let response: Response
    try {
      for (let redirects = 0; ; redirects++) {
        const sameOrigin = new URL(current).origin === origin
        const requestHeaders = { ...headers }
        // Credentials go only to the configured origin: a redirect to S3 (cohort files) or anywhere
        // else gets none, whatever the fetch implementation would do.
        if (sameOrigin)
          requestHeaders.authorization = spec.api === 'profile' ? this.#profile : this.#basic
        const init: RequestInit = {
          method,
          headers: requestHeaders,
          redirect: 'manual',
          signal: controller.signal,
        }
        if (body !== undefined) init.body = body
        response = await this.#options.fetch(current, init)
        const location = response.headers.get('location')
        if (response.status >= 300 && response.status < 400 && location !== null) {
          if (redirects >= MAX_REDIRECTS) break
          response.body?.cancel().catch(() => {})
          current = new URL(location, current).toString()
          if (
            response.status === 303 ||
            ((response.status === 301 || response.status === 302) && method === 'POST')
          ) {
            method = 'GET'
            body = undefined
            delete headers['content-type']
          }
          continue
        }
        break
      }
    } catch (error) {
      finish()
      if (spec.signal?.aborted) return new AttemptFailure('aborted', error)
      return new AttemptFailure(timedOut ? 'timeout' : 'network', error)
    }
    // Headers arrived: from here the deadline is the longest pause between two body chunks.
    const final = response
    const finalUrl = current
    const operation = operationName(spec.method, spec.path)
    const signal = spec.signal
    const bodyError = (error: unknown): AmplitudeApiError => {
      const context: RequestContext = {
        method: spec.method,
        url: safeUrl(finalUrl),
        status: final.status,
      }
      if (signal?.aborted) return this.#aborted(operation, context, signal)
      if (timedOut)
        return new TimeoutError(
          `${operation} failed: the body stalled for ${timeoutMs} ms`,
          context,
          { cause: error },
        )
      return new NetworkError(`${operation} failed: the body broke off`, context, { cause: error })
    }
    timer.refresh()
    async function* chunks(): AsyncGenerator<Uint8Array> {
      if (final.body === null) {
        finish()
        return
      }
      const reader = final.body.getReader()
      try {
        for (;;) {
          let step: Awaited<ReturnType<typeof reader.read>>
          try {
            step = await reader.read()
          } catch (error) {
            throw bodyError(error)
          }
          if (step.done) return
          timer.refresh()
          yield step.value
          timer.refresh()
        }
      } finally {
        reader.cancel().catch(() => {})
        finish()
      }
    }
    return {
      status: final.status,
      headers: final.headers,
      url: finalUrl,
      chunks,
      async text() {
        try {
          return await final.text()
        } catch (error) {
          throw bodyError(error)
        } finally {
          finish()
        }
      },
      release() {
        if (!finished) final.body?.cancel().catch(() => {})
        finish()
      },
    }
  }
}
