/**
 * Quick local memory check (not part of `npm test`), measured like bench/workers/memory-worker.ts:
 * N events tracked (yielding every 1,000) with the endpoint refusing connections and a 1 h flush
 * interval; (heap + external) growth per event after three rounds of 50 ms + forced GC.
 * Run: `node --expose-gc --conditions=ampkit-source --import tsx packages/node/scripts/memory.ts 100000`
 */
import { createInstance } from '@ampkit/node'

const count = Number(process.argv[2] ?? 100_000)
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined)

async function settleHeap(): Promise<NodeJS.MemoryUsage> {
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    gc()
  }
  return process.memoryUsage()
}

const client = createInstance()
await client.init('memory-key-123456', {
  serverUrl: 'http://127.0.0.1:9/2/httpapi',
  flushQueueSize: 1000,
  flushIntervalMillis: 3_600_000,
  maxQueuedEvents: count * 2,
  env: {},
  exitHooks: false,
  ...(process.env.FAKE_FETCH === '1'
    ? {
        hooks: {
          fetch: async () => {
            throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
          },
        },
      }
    : {}),
}).promise
const track = (i: number) =>
  client.track(
    'Checkout Completed',
    { index: i, plan: 'pro', cart_value: i * 2.5, currency: 'EUR', items: ['sku-1', 'sku-2'] },
    { user_id: `user-${String(i % 5000).padStart(6, '0')}`, device_id: `device-${i % 5000}` },
  )
for (let i = 0; i < 100; i++) track(i)
const before = await settleHeap()
for (let i = 0; i < count; i++) {
  track(i)
  if ((i + 1) % 1000 === 0) await new Promise((resolve) => setImmediate(resolve))
}
const after = await settleHeap()
const heap = after.heapUsed - before.heapUsed
const external = after.external - before.external
console.log(
  JSON.stringify({
    count,
    bytesPerEvent: Math.round((heap + external) / count),
    heapPerEvent: Math.round(heap / count),
    externalPerEvent: Math.round(external / count),
    stats: client.stats(),
  }),
)
await client.shutdown({ timeoutMs: 1 })
