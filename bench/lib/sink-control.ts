/**
 * @module Talks to the sink's control port (from the orchestrator and from workers alike).
 */

/** The sink's counters, as its control routes report them. */
export interface SinkStats {
  requests: number
  events: number
  distinct: number
  duplicates: number
  bodyBytes: number
  rejectedRequests: number
  eventsWithoutInsertId: number
  distinctSeqs: number
  seqRepeatsWithNewInsertId: number
  firstEventAtMs?: number
  lastEventAtMs?: number
  /** Wall-clock ms when the distinct count reached the awaited target. */
  reachedAtMs?: number
  /** The sink process's CPU (user + system) since the last reset, in ms. */
  cpuMs: number
  timedOut?: boolean
}

export class SinkControl {
  readonly controlUrl: string

  constructor(controlUrl: string) {
    this.controlUrl = controlUrl
  }

  private async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.controlUrl}${path}`)
    if (!response.ok) throw new Error(`sink control ${path} failed: ${response.status}`)
    return (await response.json()) as T
  }

  /** Clears every counter; `trackSeq` turns on the `bench_seq` → insert_id consistency check. */
  reset(trackSeq = false): Promise<unknown> {
    return this.get(`/control/reset?trackSeq=${trackSeq ? 1 : 0}`)
  }

  stats(): Promise<SinkStats> {
    return this.get('/control/stats')
  }

  /** Resolves once `distinct` distinct events have arrived, or after `timeoutMs` with `timedOut`. */
  waitFor(distinct: number, timeoutMs: number): Promise<SinkStats> {
    return this.get(`/control/wait?distinct=${distinct}&timeoutMs=${timeoutMs}`)
  }

  /** Refuses connections on the data port for `durationMs`, then reopens it on the same port. */
  outage(durationMs: number): Promise<{ refusingUntilMs: number }> {
    return this.get(`/control/outage?ms=${durationMs}`)
  }

  /** Ends an outage now. */
  up(): Promise<unknown> {
    return this.get('/control/up')
  }
}

/** High-resolution wall clock in ms since the epoch, comparable across processes on one machine. */
export const wallNowMs = (): number => performance.timeOrigin + performance.now()
