/**
 * @module Configuration from environment variables. A bad value throws a `ConfigError` naming the
 * variable; it is never replaced by a default. An empty variable counts as unset (a common result of
 * `FOO=` in compose files). The client is disabled under `NODE_ENV=test` or `ENV=test` (so test
 * suites never send real traffic) unless `AMPLITUDE_FORCE_ENABLE=1`.
 */
import { MAX_EVENTS_PER_REQUEST, type ServerZone } from '@ampkit/protocol'
import { ConfigError } from './errors.ts'

/** The variables read, by name. */
export type Environment = Readonly<Record<string, string | undefined>>

/** What the environment sets. */
export interface EnvironmentSettings {
  apiKey?: string
  serverZone?: ServerZone
  serverUrl?: string
  flushIntervalMs?: number
  batchSize?: number
  requestTimeoutMs?: number
  /** `AMPLITUDE_OUTBOX_DIR`, unchecked (the outbox options validate it). */
  outboxDir?: string
  /** Why the client is disabled, when it is. */
  disabledBy?: string
}

function value(env: Environment, name: string): string | undefined {
  const raw = env[name]
  if (raw === undefined) return undefined
  const trimmed = raw.trim()
  return trimmed === '' ? undefined : trimmed
}

function integer(env: Environment, name: string, min: number, max: number): number | undefined {
  const raw = value(env, name)
  if (raw === undefined) return undefined
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(
      name,
      `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    )
  }
  return parsed
}

function flag(env: Environment, name: string): boolean | undefined {
  const raw = value(env, name)
  if (raw === undefined) return undefined
  const lower = raw.toLowerCase()
  if (lower === '1' || lower === 'true' || lower === 'yes') return true
  if (lower === '0' || lower === 'false' || lower === 'no') return false
  throw new ConfigError(
    name,
    `must be one of 1, true, yes, 0, false, no; got ${JSON.stringify(raw)}`,
  )
}

/** Reads and validates the `AMPLITUDE_*` variables (and `NODE_ENV`/`ENV` for test mode). */
export function readEnvironment(env: Environment): EnvironmentSettings {
  const settings: EnvironmentSettings = {}
  const apiKey = value(env, 'AMPLITUDE_API_KEY')
  if (apiKey !== undefined) settings.apiKey = apiKey

  const zone = value(env, 'AMPLITUDE_SERVER_ZONE')
  if (zone !== undefined) {
    const upper = zone.toUpperCase()
    if (upper !== 'US' && upper !== 'EU') {
      throw new ConfigError(
        'AMPLITUDE_SERVER_ZONE',
        `must be US or EU, got ${JSON.stringify(zone)}`,
      )
    }
    settings.serverZone = upper
  }

  const url = value(env, 'AMPLITUDE_SERVER_URL')
  if (url !== undefined) {
    if (!isHttpUrl(url)) {
      throw new ConfigError(
        'AMPLITUDE_SERVER_URL',
        `must be an http(s) URL, got ${JSON.stringify(url)}`,
      )
    }
    settings.serverUrl = url
  }

  const interval = integer(env, 'AMPLITUDE_FLUSH_INTERVAL', 1, 3_600_000)
  if (interval !== undefined) settings.flushIntervalMs = interval
  const batch = integer(env, 'AMPLITUDE_BATCH_SIZE', 1, MAX_EVENTS_PER_REQUEST)
  if (batch !== undefined) settings.batchSize = batch
  const timeout = integer(env, 'AMPLITUDE_TIMEOUT', 1, 600_000)
  if (timeout !== undefined) settings.requestTimeoutMs = timeout

  const outboxDir = value(env, 'AMPLITUDE_OUTBOX_DIR')
  if (outboxDir !== undefined) settings.outboxDir = outboxDir

  const disabled = flag(env, 'AMPLITUDE_DISABLED')
  const forced = flag(env, 'AMPLITUDE_FORCE_ENABLE')
  if (disabled === true) settings.disabledBy = 'AMPLITUDE_DISABLED'
  else if (forced !== true) {
    if (value(env, 'NODE_ENV')?.toLowerCase() === 'test') settings.disabledBy = 'NODE_ENV=test'
    else if (value(env, 'ENV')?.toLowerCase() === 'test') settings.disabledBy = 'ENV=test'
  }
  return settings
}

/** True for an absolute http: or https: URL. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}
