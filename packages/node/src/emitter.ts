/**
 * @module A small typed event emitter for observability: requests, responses, retries and drops.
 * Unlike node:events, an `error`-like event with no listener never throws, and emitting to no
 * listener costs one property read.
 */
import type { RetryReason, Verdict } from './classify.ts'
import type { DropReason } from './event-types.ts'
import type { TaxonomyViolation } from './taxonomy/guard.ts'

/** A request is about to be sent. */
export interface RequestInfo {
  requestId: number
  /** The endpoint; the API key is in the body, never in the URL. */
  url: string
  events: number
  /** Uncompressed body size. */
  bodyBytes: number
  gzip: boolean
}

/** A request ended (with an HTTP response, or with a network failure: `status` 0). */
export interface ResponseInfo {
  requestId: number
  status: number
  verdict: Verdict['kind']
  events: number
  durationMs: number
  /** The failure, API key redacted; absent on success. */
  message?: string
}

/** Events wait before being sent again. */
export interface RetryInfo {
  events: number
  /** Highest attempt count among them. */
  attempt: number
  delayMs: number
  reason: RetryReason | 'throttled'
  message: string
}

/** Events failed for good. */
export interface DropInfo {
  events: number
  reason: DropReason
  code: number
  message: string
  /** Their `insert_id`s, for a dead-letter log or replay. */
  insertIds: string[]
}

/** Something the durable outbox reports (never an event loss it could avoid: a skipped record is named). */
export interface OutboxInfo {
  /**
   * `recovered`: events of an earlier process were found and will be replayed; `torn`: a segment
   * ends inside a record (a write cut short by a crash), skipped; `corrupt`: a checksum mismatch,
   * the bytes up to the next valid record skipped; `write_error`: a write failed (retried at the
   * next commit).
   */
  kind: 'recovered' | 'torn' | 'corrupt' | 'write_error'
  message: string
  /** The file concerned. */
  file?: string
  /** Bytes skipped (torn, corrupt). */
  bytes?: number
  /** Events (recovered). */
  events?: number
}

/** Event name → listener argument. */
export interface ClientEventMap {
  request: RequestInfo
  response: ResponseInfo
  retry: RetryInfo
  drop: DropInfo
  outbox: OutboxInfo
  /** A kind of taxonomy violation, reported once (see the `taxonomy` option). */
  taxonomy: TaxonomyViolation
}

/** A listener. */
export type Listener<T> = (info: T) => void

/** The typed emitter. Listener exceptions are caught and reported to `onListenerError`. */
export class TypedEmitter<M> {
  readonly #listeners: { [K in keyof M]?: Listener<M[K]>[] } = {}
  readonly #onListenerError: (error: unknown) => void

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError
  }

  on<K extends keyof M>(name: K, listener: Listener<M[K]>): this {
    const list = this.#listeners[name] ?? []
    list.push(listener)
    this.#listeners[name] = list
    return this
  }

  off<K extends keyof M>(name: K, listener: Listener<M[K]>): this {
    const list = this.#listeners[name]
    if (list !== undefined) {
      const index = list.indexOf(listener)
      if (index >= 0) list.splice(index, 1)
    }
    return this
  }

  once<K extends keyof M>(name: K, listener: Listener<M[K]>): this {
    const wrapper: Listener<M[K]> = (info) => {
      this.off(name, wrapper)
      listener(info)
    }
    return this.on(name, wrapper)
  }

  /** True when someone listens, so callers can skip building the argument. */
  has(name: keyof M): boolean {
    return (this.#listeners[name]?.length ?? 0) > 0
  }

  emit<K extends keyof M>(name: K, info: M[K]): void {
    const list = this.#listeners[name]
    if (list === undefined || list.length === 0) return
    for (const listener of [...list]) {
      try {
        listener(info)
      } catch (error) {
        this.#onListenerError(error)
      }
    }
  }
}
