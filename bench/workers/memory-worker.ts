/**
 * @module Worker: memory per queued event. Points the client at a port nobody listens on (connection
 * refused), with a flush interval far beyond the run, so every tracked event stays queued; forces GC
 * before and after tracking N events and reports (heap + external) delta / N. The worker keeps no
 * reference to the tracked events or their results: what is retained is the client's.
 */
import { type ClientName, createBenchClient } from '../clients/bench-client.ts'
import { failWorker, finishWorker, workerInput } from '../lib/child.ts'
import { eventStream } from '../lib/events.ts'

export interface MemoryInput {
  client: ClientName
  events: number
  serverUrl: string
  apiKey: string
  batchSize: number
  flushIntervalMs: number
  extraOptions?: Record<string, unknown>
}

export interface MemoryResult {
  client: ClientName
  events: number
  config: Record<string, unknown>
  heapUsedDeltaBytes: number
  externalDeltaBytes: number
  /** The part of `externalDeltaBytes` in ArrayBuffers (request bodies in flight, Buffers). */
  arrayBuffersDeltaBytes: number
  bytesPerEvent: number
  /**
   * Heap + external growth over the second half of the events / half the events: what one more queued
   * event costs, without fixed overheads (HTTP client buffers, lazily built structures) that do not
   * grow with the queue.
   */
  marginalBytesPerEvent: number
  clientStats: unknown
  error?: string
}

async function settleHeap(): Promise<{
  heapUsed: number
  external: number
  arrayBuffers: number
}> {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error('memory worker needs --expose-gc')
  // Let pending microtasks and timers run (serialisation, rejected sends) before measuring. The
  // scenario runs this worker with synchronous ArrayBuffer sweeping, so each gc() also frees the
  // bodies of failed send attempts rather than leaving them counted in `external` for a while.
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    gc()
  }
  const usage = process.memoryUsage()
  return { heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers }
}

async function main(): Promise<void> {
  const input = workerInput<MemoryInput>()
  const client = await createBenchClient(input.client, {
    serverUrl: input.serverUrl,
    apiKey: input.apiKey,
    batchSize: input.batchSize,
    flushIntervalMs: input.flushIntervalMs,
    ...(input.extraOptions === undefined ? {} : { extraOptions: input.extraOptions }),
  })
  const next = eventStream()
  // Warm up code paths (JIT, lazily created structures) outside the measured span: a full batch, so
  // that the first send attempt, and what the HTTP client sets up for it, happens here too.
  let warmUp = 0
  for (; warmUp < input.batchSize + 1; warmUp++) client.track(next(warmUp))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const before = await settleHeap()
  const half = Math.floor(input.events / 2)
  for (let seq = warmUp; seq < warmUp + half; seq++) client.track(next(seq))
  const middle = await settleHeap()
  for (let seq = warmUp + half; seq < warmUp + input.events; seq++) client.track(next(seq))
  const after = await settleHeap()
  const marginalBytesPerEvent =
    (after.heapUsed + after.external - middle.heapUsed - middle.external) / (input.events - half)
  const heapUsedDeltaBytes = after.heapUsed - before.heapUsed
  const externalDeltaBytes = after.external - before.external
  finishWorker({
    client: input.client,
    events: input.events,
    config: client.describedConfig,
    heapUsedDeltaBytes,
    externalDeltaBytes,
    arrayBuffersDeltaBytes: after.arrayBuffers - before.arrayBuffers,
    bytesPerEvent: (heapUsedDeltaBytes + externalDeltaBytes) / input.events,
    marginalBytesPerEvent,
    clientStats: client.stats(),
  } satisfies MemoryResult)
}

main().catch(failWorker)
