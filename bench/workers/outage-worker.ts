/**
 * @module Worker: tracks N events (each carrying `bench_seq`, so the sink can tell repeats from new
 * events) while the sink refuses connections, then `await flush()`. When the parent says the outage is
 * over (and the sink had its chance to receive the retries), it flushes once more and closes the client
 * — the most an application could do — and reports.
 */
import { type ClientName, createBenchClient } from '../clients/bench-client.ts'
import { failWorker, finishWorker, parentSignal, workerInput } from '../lib/child.ts'
import { eventStream } from '../lib/events.ts'

export interface OutageInput {
  client: ClientName
  events: number
  serverUrl: string
  apiKey: string
  batchSize: number
  /** The events are tracked over this span, not in one synchronous loop. */
  trackSpreadMs: number
}

export interface OutageResult {
  client: ClientName
  config: Record<string, unknown>
  firstFlushMs: number
  clientStats: unknown
  error?: string
}

// `start`: the outage has begun (sent once this client is initialised, so start-up time does not
// eat into the outage); `finish`: the endpoint is back and the retries had their window.
const startSignal = parentSignal('start')
const finishSignal = parentSignal('finish')

async function main(): Promise<void> {
  const input = workerInput<OutageInput>()
  const client = await createBenchClient(input.client, {
    serverUrl: input.serverUrl,
    apiKey: input.apiKey,
    batchSize: input.batchSize,
  })
  const next = eventStream(7)
  process.send?.({ type: 'ready' })
  await startSignal
  const slices = 20
  const perSlice = Math.ceil(input.events / slices)
  const startedAt = performance.now()
  for (let seq = 0; seq < input.events; seq++) {
    client.track(next(seq), { bench_seq: seq })
    if ((seq + 1) % perSlice === 0) {
      await new Promise((resolve) => setTimeout(resolve, input.trackSpreadMs / slices))
    }
  }
  await client.flush()
  const firstFlushMs = performance.now() - startedAt
  process.send?.({ type: 'flushed', firstFlushMs })
  await finishSignal
  await client.flush()
  await Promise.race([client.close(30_000), new Promise((resolve) => setTimeout(resolve, 35_000))])
  finishWorker({
    client: input.client,
    config: client.describedConfig,
    firstFlushMs,
    clientStats: client.stats(),
  } satisfies OutageResult)
}

main().catch(failWorker)
