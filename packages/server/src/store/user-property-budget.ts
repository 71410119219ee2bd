/**
 * @module The user-property update rate (ingestion-api.md §2): "At most 1800 user-property updates
 * per hour per Amplitude ID. Past that, updates may be dropped, but events are still ingested."
 * Ingestion asks this budget before applying each update; a refused update is skipped while its
 * event is stored as usual.
 *
 * Choices the doc leaves open (unconfirmed):
 * - What counts as one update: one non-empty `user_properties` object applied to one user — an
 *   event's (`$identify` or any other event whose properties are synced), an Identify API
 *   identification's, or a matched attribution's — whether or not it changes a value. Groups,
 *   device and location fields are not user-property updates and are never refused.
 * - The hour is a fixed clock hour (UTC, by the server's receipt time), not a sliding window: the
 *   doc says "per hour", and a fixed hour needs one counter per id and forgets everything when the
 *   hour turns, which bounds memory to the ids updated within one hour.
 * - The counts live in memory only: a restart starts every budget afresh.
 */

/** Amplitude's user-property updates per hour per Amplitude id. */
export const USER_PROPERTY_UPDATES_PER_HOUR = 1800

const HOUR_MS = 3_600_000

/** Options of `UserPropertyBudget`. */
export interface UserPropertyBudgetOptions {
  /** Updates allowed per Amplitude id per clock hour. @default 1800 */
  updatesPerHour?: number
  /**
   * Most Amplitude ids counted at once within an hour; beyond it the id counted longest ago is
   * forgotten (and so gets a fresh budget). @default 100000
   */
  maxTrackedIds?: number
}

/** Counts user-property updates per Amplitude id per clock hour. */
export class UserPropertyBudget {
  readonly updatesPerHour: number
  readonly maxTrackedIds: number
  #hour = Number.NEGATIVE_INFINITY
  readonly #counts = new Map<number, number>()

  constructor(options: UserPropertyBudgetOptions = {}) {
    this.updatesPerHour = options.updatesPerHour ?? USER_PROPERTY_UPDATES_PER_HOUR
    this.maxTrackedIds = options.maxTrackedIds ?? 100_000
  }

  /** Number of ids counted in the current hour (for tests of the memory bound). */
  get trackedIds(): number {
    return this.#counts.size
  }

  /**
   * Takes one update for `amplitudeId` at `nowMs` (ms since the epoch): true when it is within the
   * hour's budget (and is counted), false when the update is to be dropped.
   */
  take(amplitudeId: number, nowMs: number): boolean {
    const hour = Math.floor(nowMs / HOUR_MS)
    if (hour !== this.#hour) {
      // A new hour: every count of the last one is spent, so all of them go at once.
      this.#hour = hour
      this.#counts.clear()
    }
    const used = this.#counts.get(amplitudeId) ?? 0
    if (used >= this.updatesPerHour) return false
    if (used === 0 && this.#counts.size >= this.maxTrackedIds) {
      const oldest = this.#counts.keys().next()
      if (!oldest.done) this.#counts.delete(oldest.value)
    }
    this.#counts.set(amplitudeId, used + 1)
    return true
  }
}
