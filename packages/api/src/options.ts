/**
 * @module Options of `createAmplitudeApi()` and `resolveApiOptions()`, the one place that fills defaults
 * and throws a `ConfigError` naming a bad option. Zones per query-api.md §1.1.
 */
import { ConfigError } from './errors.ts'

/** Base URLs of the Dashboard REST, Export, Cohort, Taxonomy and Privacy APIs per zone (§1.1). */
export const API_BASE_URLS = {
  US: 'https://amplitude.com',
  EU: 'https://analytics.eu.amplitude.com',
} as const

/** The User Profile API's host (§5.1); it has no EU endpoint. */
export const PROFILE_API_BASE_URL = 'https://profile-api.amplitude.com'

export type ApiZone = keyof typeof API_BASE_URLS

/** A `fetch` implementation (the WHATWG signature Node's global `fetch` has). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

/** Injected time, randomness and network, for deterministic tests. */
export interface ApiHooks {
  /** @default globalThis.fetch */
  fetch?: FetchLike
  /** Epoch ms. @default Date.now */
  now?: () => number
  /** Waits `delayMs` (backoff, cohort polling, deletion pacing); rejects when `signal` aborts. @default an unref'd setTimeout */
  sleep?: (delayMs: number, signal?: AbortSignal) => Promise<void>
  /** A number in [0, 1) for backoff jitter. @default Math.random */
  random?: () => number
}

/** How failed requests are retried. */
export interface RetryOptions {
  /** Attempts per request in total, the first included (1 = never retry). @default 5 */
  maxAttempts?: number
  /** First backoff delay before jitter, in ms; doubles per attempt. @default 1000 */
  baseDelayMs?: number
  /** Largest backoff delay before jitter, in ms. @default 30000 */
  maxDelayMs?: number
  /** Largest `Retry-After` honoured, in ms; a longer one ends the retries with a `RateLimitError`. @default 300000 */
  maxRetryAfterMs?: number
}

/** Options of `createAmplitudeApi()`. */
export interface ApiOptions {
  /** The project's API key (HTTP Basic user name). Required. */
  apiKey: string
  /** The project's secret key (HTTP Basic password; the Profile API's `Api-Key`). Required. */
  secretKey: string
  /** Data residency zone. @default 'US' */
  zone?: ApiZone
  /** Overrides the zone's base URL (e.g. the local server `http://127.0.0.1:8080`). @default the zone's URL */
  baseUrl?: string
  /** Overrides the Profile API base URL. @default `baseUrl` when given, else https://profile-api.amplitude.com */
  profileUrl?: string
  /** Requests in flight at once, across every endpoint (§1.4: 5 per project); the rest wait in a queue. @default 5 */
  maxConcurrentRequests?: number
  /** Deadline for an answer's headers and, for buffered answers, its whole body; for streamed answers the longest pause between two chunks. In ms. @default 60000 */
  timeoutMs?: number
  retry?: RetryOptions
  hooks?: ApiHooks
}

/** Options with every default filled in. */
export interface ResolvedApiOptions {
  apiKey: string
  secretKey: string
  baseUrl: string
  profileUrl: string
  maxConcurrentRequests: number
  timeoutMs: number
  retry: Required<RetryOptions>
  fetch: FetchLike
  now: () => number
  sleep: (delayMs: number, signal?: AbortSignal) => Promise<void>
  random: () => number
}

/** The default sleep: an unref'd timer, so a pending backoff never keeps the process alive. */
export function defaultSleep(delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, delayMs)
    timer.unref()
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ConfigError(option, `must be an integer >= 1, got ${String(value)}`)
  return value
}

function baseUrlOption(option: string, value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(option, 'must be an absolute http(s) URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(option, 'must be an http(s) URL')
  if (url.username !== '' || url.password !== '')
    throw new ConfigError(option, 'must not carry credentials (use apiKey and secretKey)')
  return value.replace(/\/+$/, '')
}

/** Fills defaults; throws a `ConfigError` naming the first bad option. */
export function resolveApiOptions(options: ApiOptions): ResolvedApiOptions {
  if (typeof options?.apiKey !== 'string' || options.apiKey === '')
    throw new ConfigError('apiKey', 'is required')
  if (typeof options.secretKey !== 'string' || options.secretKey === '')
    throw new ConfigError('secretKey', 'is required')
  const zone = options.zone ?? 'US'
  if (!(zone in API_BASE_URLS)) throw new ConfigError('zone', `must be 'US' or 'EU'`)
  const baseUrl = baseUrlOption('baseUrl', options.baseUrl ?? API_BASE_URLS[zone])
  const profileUrl = baseUrlOption(
    'profileUrl',
    options.profileUrl ?? options.baseUrl ?? PROFILE_API_BASE_URL,
  )
  const retry = options.retry ?? {}
  const fetchFn = options.hooks?.fetch ?? globalThis.fetch
  if (typeof fetchFn !== 'function') throw new ConfigError('hooks.fetch', 'must be a function')
  return {
    apiKey: options.apiKey,
    secretKey: options.secretKey,
    baseUrl,
    profileUrl,
    maxConcurrentRequests: positiveInteger(
      'maxConcurrentRequests',
      options.maxConcurrentRequests,
      5,
    ),
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs, 60_000),
    retry: {
      maxAttempts: positiveInteger('retry.maxAttempts', retry.maxAttempts, 5),
      baseDelayMs: positiveInteger('retry.baseDelayMs', retry.baseDelayMs, 1000),
      maxDelayMs: positiveInteger('retry.maxDelayMs', retry.maxDelayMs, 30_000),
      maxRetryAfterMs: positiveInteger('retry.maxRetryAfterMs', retry.maxRetryAfterMs, 300_000),
    },
    fetch: fetchFn,
    now: options.hooks?.now ?? Date.now,
    sleep: options.hooks?.sleep ?? defaultSleep,
    random: options.hooks?.random ?? Math.random,
  }
}
