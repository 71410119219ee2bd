/**
 * @module Server-side sessions, which no Node SDK offers (sdk-landscape.md (e) 9): one session per
 * device (or per user when the event has no device), ended by inactivity. `session_id` is the
 * session's start time in ms, as Amplitude defines it; an event that sets `session_id` itself
 * (e.g. `-1`, out of any session) is left alone. Memory is bounded: the least recently active
 * sessions are evicted first, and expired ones go as soon as they reach the front.
 */

/** Session settings. */
export interface SessionOptions {
  /** Inactivity after which the next event starts a new session, in ms. @default 300000 (5 min) */
  timeoutMs?: number
  /** Sessions kept in memory; the least recently active is evicted beyond this. @default 100000 */
  maxSessions?: number
}

interface Session {
  startMs: number
  lastMs: number
}

/** Default inactivity timeout: 5 minutes. */
export const DEFAULT_SESSION_TIMEOUT_MS = 5 * 60 * 1000
/** Default bound on tracked sessions. */
export const DEFAULT_MAX_SESSIONS = 100_000

/** Assigns session ids. */
export class SessionManager {
  readonly timeoutMs: number
  readonly maxSessions: number
  // A Map iterates in insertion order; re-inserting on activity keeps it ordered by last activity.
  readonly #sessions = new Map<string, Session>()

  constructor(options: SessionOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS
  }

  /** Sessions in memory. */
  get size(): number {
    return this.#sessions.size
  }

  /**
   * The session id for an event of this device/user at `timeMs`, extending or starting the session.
   * Undefined when the event has neither id (nothing to attach a session to).
   */
  sessionFor(
    deviceId: string | undefined,
    userId: string | undefined,
    timeMs: number,
  ): number | undefined {
    const key =
      deviceId !== undefined ? `d:${deviceId}` : userId !== undefined ? `u:${userId}` : undefined
    if (key === undefined) return undefined
    let session = this.#sessions.get(key)
    if (session !== undefined) {
      this.#sessions.delete(key)
      if (timeMs - session.lastMs > this.timeoutMs) session = undefined
    }
    if (session === undefined) session = { startMs: timeMs, lastMs: timeMs }
    else if (timeMs > session.lastMs) session.lastMs = timeMs
    this.#sessions.set(key, session)
    this.#evict(timeMs)
    return session.startMs
  }

  #evict(nowMs: number): void {
    for (const [key, session] of this.#sessions) {
      const expired = nowMs - session.lastMs > this.timeoutMs
      if (!expired && this.#sessions.size <= this.maxSessions) return
      this.#sessions.delete(key)
    }
  }
}
