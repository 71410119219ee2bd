/**
 * @module Per-user and per-device hold-back after a 429. Only the users and devices Amplitude named
 * wait (Retry-After, else 30 s); their events are parked here while every other event keeps flowing,
 * so one throttled device never delays the rest (no head-of-line blocking).
 */
import type { BatchMember } from './classify.ts'
import { idsOf, type QueuedEvent } from './queued-event.ts'

/** Users and devices on hold, and the events parked behind them. */
export class Throttle {
  readonly #users = new Map<string, number>()
  readonly #devices = new Map<string, number>()
  #parked: QueuedEvent[] = []

  /** True when some user or device is on hold (the batcher checks events only then). */
  get active(): boolean {
    return this.#users.size > 0 || this.#devices.size > 0
  }

  /** Events parked. */
  get parkedCount(): number {
    return this.#parked.length
  }

  /** Puts users and devices on hold until `untilMs` (a later hold wins). */
  hold(users: readonly string[], devices: readonly string[], untilMs: number): void {
    for (const user of users) this.#users.set(user, Math.max(untilMs, this.#users.get(user) ?? 0))
    for (const device of devices) {
      this.#devices.set(device, Math.max(untilMs, this.#devices.get(device) ?? 0))
    }
  }

  /** True when this user or device is on hold at `nowMs`. */
  isHeld(record: BatchMember, nowMs: number): boolean {
    if (record.userId !== undefined) {
      const until = this.#users.get(record.userId)
      if (until !== undefined && until > nowMs) return true
    }
    if (record.deviceId !== undefined) {
      const until = this.#devices.get(record.deviceId)
      if (until !== undefined && until > nowMs) return true
    }
    return false
  }

  /** Parks an event until its user and device are released. */
  park(record: QueuedEvent): void {
    this.#parked.push(record)
  }

  /** Ends expired holds and returns the parked events that may go now, oldest first. */
  release(nowMs: number): QueuedEvent[] {
    for (const [user, until] of this.#users) if (until <= nowMs) this.#users.delete(user)
    for (const [device, until] of this.#devices) if (until <= nowMs) this.#devices.delete(device)
    const free: QueuedEvent[] = []
    const still: QueuedEvent[] = []
    for (const record of this.#parked)
      (this.isHeld(idsOf(record), nowMs) ? still : free).push(record)
    this.#parked = still
    return free
  }

  /** Earliest end of a hold, in ms, or undefined when nothing is on hold. */
  nextReleaseMs(): number | undefined {
    let next: number | undefined
    for (const until of this.#users.values()) if (next === undefined || until < next) next = until
    for (const until of this.#devices.values()) if (next === undefined || until < next) next = until
    return next
  }

  /** Removes and returns every parked event (shutdown). */
  drain(): QueuedEvent[] {
    const all = this.#parked
    this.#parked = []
    this.#users.clear()
    this.#devices.clear()
    return all
  }
}
