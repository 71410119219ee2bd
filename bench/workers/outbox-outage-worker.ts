/**
 * @module Worker (issue 4): tracks N events (each carrying `bench_seq`) into `@ampkit/node` with the
 * durable outbox while the sink refuses connections, reports the outbox's disk figures once every
 * event is committed (bytes on disk per event, events on disk vs in memory, heap), then waits for the
 * parent's `finish` (the endpoint is back and the client had its window) and flushes and closes.
 */
import { createBenchClient } from '../clients/bench-client.ts'
import { failWorker, finishWorker, parentSignal, workerInput } from '../lib/child.ts'
import { eventStream } from '../lib/events.ts'

export interface OutboxOutageInput {
  events: number
  serverUrl: string
  apiKey: string
  batchSize: number
  trackSpreadMs: number
  persistence: Record<string, unknown>
}

export interface OutboxOutageResult {
  config: Record<string, unknown>
  /** `stats()` once everything was tracked and committed, during the outage. */
  duringOutage: unknown
  heapUsedDuringBytes: number
  clientStats: unknown
  error?: string
}

const startSignal = parentSignal('start')
const finishSignal = parentSignal('finish')

async function main(): Promise<void> {
  const input = workerInput<OutboxOutageInput>()
  const client = await createBenchClient('ampkit', {
    serverUrl: input.serverUrl,
    apiKey: input.apiKey,
    batchSize: input.batchSize,
    extraOptions: { persistence: input.persistence },
  })
  const next = eventStream(11)
  process.send?.({ type: 'ready' })
  await startSignal
  const slices = 20
  const perSlice = Math.ceil(input.events / slices)
  for (let seq = 0; seq < input.events; seq++) {
    client.track(next(seq), { bench_seq: seq })
    if ((seq + 1) % perSlice === 0) {
      await new Promise((resolve) => setTimeout(resolve, input.trackSpreadMs / slices))
    }
  }
  // Let the group commit of the last turn run, then read the figures.
  await new Promise((resolve) => setTimeout(resolve, 200))
  globalThis.gc?.()
  const duringOutage = client.stats()
  const heapUsedDuringBytes = process.memoryUsage().heapUsed
  process.send?.({ type: 'tracked' })
  await finishSignal
  await client.flush()
  const clientStats = client.stats()
  await Promise.race([client.close(30_000), new Promise((resolve) => setTimeout(resolve, 35_000))])
  finishWorker({
    config: client.describedConfig,
    duringOutage,
    heapUsedDuringBytes,
    clientStats,
  } satisfies OutboxOutageResult)
}

main().catch(failWorker)
