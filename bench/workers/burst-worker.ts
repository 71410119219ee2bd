/**
 * @module Worker: one burst through one client in a fresh process. Tracks N realistic events (yielding
 * to the event loop every `yieldEvery` calls, as a server handling requests does), flushes, and waits
 * on the sink's long poll until all N distinct events have arrived. Wall time runs from the first
 * `track()` to the sink's receipt of the last event; CPU time is this process's (user + system) over
 * the same span.
 */
import { type ClientName, createBenchClient } from '../clients/bench-client.ts'
import { failWorker, finishWorker, workerInput } from '../lib/child.ts'
import { eventStream } from '../lib/events.ts'
import { SinkControl, wallNowMs } from '../lib/sink-control.ts'

export interface BurstInput {
  client: ClientName
  events: number
  serverUrl: string
  controlUrl: string
  apiKey: string
  batchSize: number
  /** Yield to the event loop (setImmediate) after this many `track()` calls; 0 = never. */
  yieldEvery: number
  /** How long to wait for the sink to have every event before reporting a timeout. */
  deliveryTimeoutMs: number
  extraOptions?: Record<string, unknown>
}

export interface BurstResult {
  client: ClientName
  events: number
  config: Record<string, unknown>
  /** ms from the first track() to the sink's receipt of the last distinct event. */
  wallMs: number | undefined
  trackLoopMs: number
  flushReturnedMs: number
  cpuMs: number
  /** The sink's CPU over the run: when it nears the wall time, the sink was the bottleneck. */
  sinkCpuMs: number
  rssBeforeBytes: number
  peakRssBytes: number
  delivered: number
  receivedWithDuplicates: number
  requests: number
  timedOut: boolean
  clientStats: unknown
  error?: string
}

async function main(): Promise<void> {
  const input = workerInput<BurstInput>()
  const control = new SinkControl(input.controlUrl)
  const next = eventStream()
  const client = await createBenchClient(input.client, {
    serverUrl: input.serverUrl,
    apiKey: input.apiKey,
    batchSize: input.batchSize,
    ...(input.extraOptions === undefined ? {} : { extraOptions: input.extraOptions }),
  })
  globalThis.gc?.()
  const rssBeforeBytes = process.memoryUsage.rss()
  const cpuStart = process.cpuUsage()
  const startedAtMs = wallNowMs()
  for (let seq = 0; seq < input.events; seq++) {
    client.track(next(seq))
    if (input.yieldEvery > 0 && (seq + 1) % input.yieldEvery === 0) {
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const trackLoopMs = wallNowMs() - startedAtMs
  await client.flush()
  const flushReturnedMs = wallNowMs() - startedAtMs
  const sink = await control.waitFor(input.events, input.deliveryTimeoutMs)
  const cpu = process.cpuUsage(cpuStart)
  const peakRssBytes = process.resourceUsage().maxRSS * 1024
  const result: BurstResult = {
    client: input.client,
    events: input.events,
    config: client.describedConfig,
    wallMs:
      sink.timedOut === true || sink.reachedAtMs === undefined
        ? undefined
        : sink.reachedAtMs - startedAtMs,
    trackLoopMs,
    flushReturnedMs,
    cpuMs: (cpu.user + cpu.system) / 1_000,
    sinkCpuMs: sink.cpuMs,
    rssBeforeBytes,
    peakRssBytes,
    delivered: sink.distinct,
    receivedWithDuplicates: sink.events,
    requests: sink.requests,
    timedOut: sink.timedOut === true,
    clientStats: client.stats(),
  }
  await Promise.race([client.close(10_000), new Promise((resolve) => setTimeout(resolve, 15_000))])
  finishWorker(result)
}

main().catch(failWorker)
