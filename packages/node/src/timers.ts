/**
 * @module The injectable clock: time, timers and randomness (STYLE.md: tests are deterministic).
 * Every timer the client starts is `unref()`'d so the client never holds a process open by itself.
 */

/** An opaque timer handle. */
export type TimerHandle = unknown

/** Time and timers; tests replace them. */
export interface Clock {
  /** Current time in ms since the epoch. @default Date.now */
  now: () => number
  /** Starts a timer. @default globalThis.setTimeout */
  setTimeout: (callback: () => void, delayMs: number) => TimerHandle
  /** Cancels a timer. @default globalThis.clearTimeout */
  clearTimeout: (handle: TimerHandle) => void
  /** A number in [0, 1) for jitter. @default Math.random */
  random: () => number
}

/** Starts a timer that does not keep the process alive. */
export function startTimer(clock: Clock, callback: () => void, delayMs: number): TimerHandle {
  const handle = clock.setTimeout(callback, delayMs)
  ;(handle as { unref?: () => void } | null)?.unref?.()
  return handle
}
