/**
 * @module One POST with a deadline: global `fetch` (undici, keep-alive) by default, gzip above a
 * threshold, and every failure turned into an `Outcome` (never a throw). The deadline covers headers
 * and body, so a server that trickles its answer cannot hold a batch forever.
 */
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import type { NetworkErrorKind, Outcome } from './classify.ts'
import { type Clock, startTimer } from './timers.ts'

const gzip = promisify(gzipCallback)

/** A `fetch`-compatible function. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

/** One request. */
export interface PostRequest {
  url: string
  /** Taken over by `post()` (cleared on the object once read). */
  body: string | Uint8Array
  /** Compress the body with gzip (the caller applied the size threshold). */
  gzip: boolean
  /** Deadline for the whole exchange, in ms. */
  timeoutMs: number
  /** Aborts the request from outside (shutdown). */
  signal: AbortSignal
}

const TIMEOUT_REASON = 'ampkit: request deadline passed'

/** Sends one request and reads the whole answer; resolves an outcome, never rejects. */
export async function post(
  fetchFn: FetchLike,
  clock: Clock,
  request: PostRequest,
): Promise<Outcome> {
  const controller = new AbortController()
  let timedOut = false
  const timer = startTimer(
    clock,
    () => {
      timedOut = true
      controller.abort(TIMEOUT_REASON)
    },
    request.timeoutMs,
  )
  const onOuterAbort = (): void => controller.abort(request.signal.reason)
  if (request.signal.aborted) onOuterAbort()
  else request.signal.addEventListener('abort', onOuterAbort, { once: true })
  try {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: '*/*' }
    // post() takes the body over: fetch keeps its own copy while the request is in flight, so
    // holding ours too would double the memory of every request in flight.
    let body: string | Uint8Array | undefined = request.body
    request.body = ''
    if (request.gzip) {
      body = await gzip(body)
      headers['Content-Encoding'] = 'gzip'
    }
    const pending = fetchFn(request.url, {
      method: 'POST',
      headers,
      body,
      signal: controller.signal,
    })
    body = undefined
    const response = await pending
    const text = await response.text()
    return {
      kind: 'response',
      status: response.status,
      body: text,
      retryAfter: response.headers.get('retry-after') ?? undefined,
    }
  } catch (error) {
    const kind: NetworkErrorKind = timedOut
      ? 'timeout'
      : request.signal.aborted
        ? 'aborted'
        : networkErrorKind(error)
    const message =
      kind === 'timeout'
        ? `no complete response within ${request.timeoutMs} ms`
        : kind === 'aborted'
          ? 'aborted by shutdown'
          : describe(error)
    return { kind: 'error', error: kind, message }
  } finally {
    clock.clearTimeout(timer)
    request.signal.removeEventListener('abort', onOuterAbort)
  }
}

/** The `code`s along an error's cause chain (undici wraps the socket error in `cause`). */
function codesOf(error: unknown): string[] {
  const codes: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, errors } = current as { code?: unknown; errors?: unknown }
    if (typeof code === 'string') codes.push(code)
    if (Array.isArray(errors)) for (const inner of errors) codes.push(...codesOf(inner))
    current = (current as { cause?: unknown }).cause
  }
  return codes
}

const REFUSED = new Set(['ECONNREFUSED'])
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED'])
const TIMEOUT = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
])

/** Maps a fetch failure to a kind the classifier knows. */
export function networkErrorKind(error: unknown): NetworkErrorKind {
  const codes = codesOf(error)
  if (codes.some((c) => REFUSED.has(c))) return 'refused'
  if (codes.some((c) => RESET.has(c))) return 'reset'
  if (codes.some((c) => TIMEOUT.has(c))) return 'timeout'
  // undici reports a body cut short as TypeError('terminated') with a socket cause.
  if (error instanceof Error && error.message === 'terminated') return 'reset'
  return 'network'
}

function describe(error: unknown): string {
  const codes = codesOf(error)
  const cause = (error as { cause?: unknown } | null)?.cause
  const detail =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : ''
  return [codes[0], detail].filter((part) => part !== undefined && part !== '').join(' ') || 'error'
}
