/**
 * @module Fault injection for testing clients: rules that make the next N requests (or a seeded
 * share of them) on a path answer 5xx, 429, 413, 400, hang, or reset the connection. Rules are data
 * posted to the admin API (`routes/admin.ts`); this file parses them and decides which fires.
 */
import { ApiError } from './errors.ts'

/** What a fault does. */
export type FaultKind = 'error' | 'throttle' | 'too-large' | 'bad-request' | 'hang' | 'reset'

const KINDS: readonly FaultKind[] = [
  'error',
  'throttle',
  'too-large',
  'bad-request',
  'hang',
  'reset',
]

/** A rule as posted to `POST /_ampkit/faults`. */
export interface FaultRuleInput {
  kind: FaultKind
  /** Exact request path the rule applies to (`/2/httpapi`); `*` or absent: every non-admin path. */
  path?: string
  /** Request method it applies to; absent: any. */
  method?: string
  /** How many matching requests get the fault. Default 1, or unlimited when `share` is set. */
  count?: number
  /** Probability (0..1) that a matching request gets the fault, drawn from a seeded generator. */
  share?: number
  /** Seed of the generator behind `share`. Default 1. */
  seed?: number
  /** `error`: the 5xx status. Default 503. */
  status?: number
  /** `error` and `bad-request`: the JSON body to answer (its `code` is forced to the status). */
  body?: Record<string, unknown>
  /** `throttle`: user id → events per second reported in `throttled_users`. */
  throttledUsers?: Record<string, number>
  /** `throttle`: device id → events per second reported in `throttled_devices`. */
  throttledDevices?: Record<string, number>
  /** `throttle`: indices for `throttled_events`. Default: events whose user or device is named. */
  throttledEvents?: number[]
  /** `throttle`: user id → daily count in `exceeded_daily_quota_users`. */
  exceededDailyQuotaUsers?: Record<string, number>
  /** `throttle`: device id → daily count in `exceeded_daily_quota_devices`. */
  exceededDailyQuotaDevices?: Record<string, number>
  /** `throttle`: `eps_threshold` of the body. Default: the path's limit (30 or 1,000). */
  epsThreshold?: number
  /** `throttle`: value of a `Retry-After` header, in seconds. Default: no header. */
  retryAfterSeconds?: number
  /** `hang`: how long the request is held, in ms. Default 30,000. */
  delayMs?: number
  /** `hang`: after the delay, `answer` normally or `drop` the connection. Default `drop`. */
  afterDelay?: 'answer' | 'drop'
}

/** A rule held by the server. */
export interface FaultRule extends FaultRuleInput {
  id: number
  /** Requests it will still affect; `null` = unlimited. */
  remaining: number | null
  /** Requests it has affected so far. */
  injected: number
}

/** Mulberry32: a tiny seeded generator, so a `share` picks the same requests on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function invalid(message: string): ApiError {
  return new ApiError(400, { code: 400, error: `Invalid fault rule: ${message}` })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function numberMap(value: unknown, field: string): Record<string, number> | undefined {
  if (value === undefined) return undefined
  if (!isRecord(value)) throw invalid(`${field} must be an object of id → number`)
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'number' || !Number.isFinite(item))
      throw invalid(`${field}.${key} must be a number`)
  }
  return value as Record<string, number>
}

function optionalNumber(
  value: unknown,
  field: string,
  check: (n: number) => boolean,
  rule: string,
): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !check(value)) throw invalid(`${field} must be ${rule}`)
  return value
}

/** Validates a posted rule; throws a 400 `ApiError` naming the bad field. */
export function parseFaultRule(input: unknown): FaultRuleInput {
  if (!isRecord(input)) throw invalid('the body must be a JSON object')
  const kind = input.kind
  if (typeof kind !== 'string' || !KINDS.includes(kind as FaultKind))
    throw invalid(`kind must be one of ${KINDS.join(', ')}`)
  const rule: FaultRuleInput = { kind: kind as FaultKind }
  if (input.path !== undefined) {
    if (typeof input.path !== 'string' || !(input.path === '*' || input.path.startsWith('/')))
      throw invalid('path must be "*" or start with "/"')
    rule.path = input.path
  }
  if (input.method !== undefined) {
    if (typeof input.method !== 'string') throw invalid('method must be a string')
    rule.method = input.method.toUpperCase()
  }
  const isCount = (n: number) => Number.isSafeInteger(n) && n >= 1
  const count = optionalNumber(input.count, 'count', isCount, 'an integer >= 1')
  if (count !== undefined) rule.count = count
  const share = optionalNumber(input.share, 'share', (n) => n >= 0 && n <= 1, 'between 0 and 1')
  if (share !== undefined) rule.share = share
  const seed = optionalNumber(input.seed, 'seed', Number.isSafeInteger, 'an integer')
  if (seed !== undefined) rule.seed = seed
  if (input.body !== undefined) {
    if (!isRecord(input.body)) throw invalid('body must be a JSON object')
    rule.body = input.body
  }
  switch (rule.kind) {
    case 'error': {
      const isStatus = (n: number) => Number.isInteger(n) && n >= 500 && n <= 599
      const status = optionalNumber(input.status, 'status', isStatus, 'an integer 500..599')
      if (status !== undefined) rule.status = status
      break
    }
    case 'throttle': {
      const users = numberMap(input.throttledUsers, 'throttledUsers')
      if (users) rule.throttledUsers = users
      const devices = numberMap(input.throttledDevices, 'throttledDevices')
      if (devices) rule.throttledDevices = devices
      const quotaUsers = numberMap(input.exceededDailyQuotaUsers, 'exceededDailyQuotaUsers')
      if (quotaUsers) rule.exceededDailyQuotaUsers = quotaUsers
      const quotaDevices = numberMap(input.exceededDailyQuotaDevices, 'exceededDailyQuotaDevices')
      if (quotaDevices) rule.exceededDailyQuotaDevices = quotaDevices
      if (input.throttledEvents !== undefined) {
        const list = input.throttledEvents
        if (!Array.isArray(list) || !list.every((n) => Number.isSafeInteger(n) && n >= 0))
          throw invalid('throttledEvents must be an array of indices')
        rule.throttledEvents = list as number[]
      }
      const isPositive = (n: number) => Number.isFinite(n) && n > 0
      const eps = optionalNumber(input.epsThreshold, 'epsThreshold', isPositive, 'a number > 0')
      if (eps !== undefined) rule.epsThreshold = eps
      const isSeconds = (n: number) => Number.isInteger(n) && n >= 0
      const retry = optionalNumber(
        input.retryAfterSeconds,
        'retryAfterSeconds',
        isSeconds,
        'an integer >= 0',
      )
      if (retry !== undefined) rule.retryAfterSeconds = retry
      break
    }
    case 'hang': {
      const isDelay = (n: number) => Number.isInteger(n) && n >= 0 && n <= 3_600_000
      const delay = optionalNumber(input.delayMs, 'delayMs', isDelay, 'an integer 0..3600000')
      if (delay !== undefined) rule.delayMs = delay
      if (input.afterDelay !== undefined) {
        if (input.afterDelay !== 'answer' && input.afterDelay !== 'drop')
          throw invalid('afterDelay must be "answer" or "drop"')
        rule.afterDelay = input.afterDelay
      }
      break
    }
    default:
      break
  }
  return rule
}

/** The rules in force and the choice of which one fires for a request. */
export class FaultInjector {
  readonly #rules: Array<FaultRule & { random: () => number }> = []
  #nextId = 1

  /** Adds a rule; it is evaluated after the rules added before it. */
  add(input: FaultRuleInput): FaultRule {
    const remaining = input.count ?? (input.share === undefined ? 1 : null)
    const rule = {
      ...input,
      id: this.#nextId++,
      remaining,
      injected: 0,
      random: seededRandom(input.seed ?? 1),
    }
    this.#rules.push(rule)
    return describe(rule)
  }

  /** The rules in force, oldest first. */
  list(): FaultRule[] {
    return this.#rules.map(describe)
  }

  /** Removes every rule (or the one with this id); returns how many were removed. */
  clear(id?: number): number {
    if (id === undefined) return this.#rules.splice(0).length
    const index = this.#rules.findIndex((rule) => rule.id === id)
    if (index < 0) return 0
    this.#rules.splice(index, 1)
    return 1
  }

  /** The rule that fires for this request, if any; its budget is spent. Exhausted rules go away. */
  take(method: string, path: string): FaultRule | undefined {
    for (let index = 0; index < this.#rules.length; index++) {
      const rule = this.#rules[index]!
      if (rule.method !== undefined && rule.method !== method) continue
      if (rule.path !== undefined && rule.path !== '*' && rule.path !== path) continue
      if (rule.share !== undefined && rule.random() >= rule.share) continue
      rule.injected++
      if (rule.remaining !== null) {
        rule.remaining--
        if (rule.remaining <= 0) this.#rules.splice(index, 1)
      }
      return describe(rule)
    }
    return undefined
  }
}

function describe(rule: FaultRule & { random?: () => number }): FaultRule {
  const { random: _random, ...data } = rule
  return { ...data }
}
