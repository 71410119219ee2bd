/**
 * Quick local memory check (not part of `npm test`): N events queued with the endpoint unreachable,
 * (heap + external) growth per event after forced GC.
 * Run: `node --expose-gc --conditions=ampkit-source --import tsx packages/node/scripts/memory.ts 200000`
 */
import { createInstance } from '@ampkit/node'

const count = Number(process.argv[2] ?? 200_000)
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined)
const client = createInstance()
await client.init('memory-key-123456', {
  serverUrl: 'http://127.0.0.1:9/2/httpapi',
  flushQueueSize: 1000,
  flushIntervalMillis: 3_600_000,
  maxQueuedEvents: count * 2,
  env: {},
  exitHooks: false,
}).promise
gc()
const before = process.memoryUsage()
for (let i = 0; i < count; i++) {
  client.track(
    'Event',
    { index: i, plan: 'pro', value: i * 2 },
    { user_id: `user-${i % 5000}`, device_id: `device-${i % 5000}` },
  )
}
await new Promise((resolve) => setTimeout(resolve, Number(process.argv[3] ?? 3000)))
for (let round = 0; round < 3; round++) {
  await new Promise((resolve) => setTimeout(resolve, 50))
  gc()
}
const after = process.memoryUsage()
const grown = after.heapUsed + after.external - before.heapUsed - before.external
console.log(
  JSON.stringify({
    count,
    stats: client.stats(),
    bytesPerEvent: Math.round(grown / count),
    heapPerEvent: Math.round((after.heapUsed - before.heapUsed) / count),
    externalPerEvent: Math.round((after.external - before.external) / count),
    arrayBuffersPerEvent: Math.round((after.arrayBuffers - before.arrayBuffers) / count),
  }),
)
await client.shutdown({ timeoutMs: 1 })
