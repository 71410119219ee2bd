/**
 * @module Sizes and durations of every scenario, from the environment. `BENCH_QUICK=1` shrinks
 * everything for iterating on the harness; the targets are judged on the full sizes.
 */

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`bench: ${name} must be a non-negative number, got ${JSON.stringify(raw)}`)
  }
  return value
}

export interface BenchSettings {
  quick: boolean
  apiKey: string
  /** Events per request for the floor, and `flushQueueSize` of both SDKs. */
  batchSize: number
  /** Burst runs per floor/ampkit measurement; the fastest counts. */
  repeats: number
  /** `track()` calls between yields to the event loop in a burst. */
  yieldEvery: number
  burstSmallEvents: number
  burstLargeEvents: number
  /** The official SDK runs only at the small size (`burstSmallEvents`). */
  officialDeliveryTimeoutMs: number
  ampkitDeliveryTimeoutMs: number
  memoryEvents: number
  outageEvents: number
  outageMs: number
  serverSeconds: number
  serverConcurrency: number
  serverBatchEvents: number
  duckdbBaselineRows: number
}

export function readSettings(): BenchSettings {
  const quick = process.env.BENCH_QUICK === '1'
  return {
    quick,
    apiKey: 'bench0000000000000000000000000000',
    batchSize: envNumber('BENCH_BATCH_SIZE', 1_000),
    repeats: Math.max(1, envNumber('BENCH_REPEATS', 2)),
    yieldEvery: envNumber('BENCH_YIELD_EVERY', 1_000),
    burstSmallEvents: envNumber('BENCH_BURST_EVENTS', quick ? 20_000 : 200_000),
    burstLargeEvents: envNumber('BENCH_BURST_LARGE_EVENTS', quick ? 100_000 : 1_000_000),
    officialDeliveryTimeoutMs: envNumber('BENCH_OFFICIAL_TIMEOUT_SECONDS', 300) * 1_000,
    ampkitDeliveryTimeoutMs: 180_000,
    memoryEvents: envNumber('BENCH_MEMORY_EVENTS', quick ? 20_000 : 100_000),
    outageEvents: 2_000,
    outageMs: envNumber('BENCH_OUTAGE_SECONDS', quick ? 5 : 60) * 1_000,
    serverSeconds: envNumber('BENCH_SERVER_SECONDS', quick ? 10 : 60),
    serverConcurrency: envNumber('BENCH_SERVER_CONCURRENCY', 4),
    serverBatchEvents: 2_000,
    duckdbBaselineRows: envNumber('BENCH_DUCKDB_ROWS', quick ? 100_000 : 400_000),
  }
}
