/**
 * @module The one interface every measured client is driven through, so that a scenario runs the
 * raw floor, `@ampkit/node` and the official SDK with the same loop.
 */
import type { BenchEvent } from '../lib/events.ts'

/** The names the harness accepts on its command line and in results. */
export type ClientName = 'floor' | 'ampkit' | 'official'

export interface BenchClientConfig {
  /** Full ingestion URL, e.g. `http://127.0.0.1:4711/2/httpapi`. */
  serverUrl: string
  apiKey: string
  /** Events per request (`flushQueueSize` for the SDKs). */
  batchSize: number
  /** `flushIntervalMillis` for the SDKs; the floor has no timer. Default 10,000 ms (Amplitude's). */
  flushIntervalMs?: number
  /** Whatever else a scenario needs (e.g. queue limits for the memory scenario), passed verbatim. */
  extraOptions?: Record<string, unknown>
}

export interface BenchClient {
  /** The exact options the client was configured with, recorded in the results. */
  readonly describedConfig: Record<string, unknown>
  /** Fire-and-forget, as applications call it: the result is not kept (its memory is the app's). */
  track(event: BenchEvent, extraProperties?: Record<string, number>): void
  /** Resolves when the client says everything accepted so far was sent (a barrier or one attempt). */
  flush(): Promise<void>
  /** Releases timers and sockets; for clients without `shutdown()` a final flush. */
  close(timeoutMs: number): Promise<void>
  /** The client's own counters when it has any (`stats()` of ampkit). */
  stats(): unknown
}

export async function createBenchClient(
  name: ClientName,
  config: BenchClientConfig,
): Promise<BenchClient> {
  switch (name) {
    case 'floor':
      return (await import('./floor-client.ts')).createFloorClient(config)
    case 'ampkit':
      return (await import('./ampkit-client.ts')).createAmpkitClient(config)
    case 'official':
      return (await import('./official-client.ts')).createOfficialClient(config)
  }
}
