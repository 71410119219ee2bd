/**
 * Throughput measurement (not part of `npm test`): the store alone, then the whole app in-process
 * (`app.handle` with real `Request`s), both with 2,000-event batches of typical events (5–8 event
 * properties, a pool of 1,000 users, every 20th event with user properties), a few requests in
 * flight, into a DuckDB file in a temp directory.
 *   npx tsx packages/server/test/store/measure-ingest.ts [seconds=8] [concurrency=4]
 * Prints events/s, CPU µs per event (all threads) and RSS at the end of each part.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import type { WireEvent } from '@ampkit/protocol'
import { createServerApp } from '../../src/app.ts'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'

const seconds = Number(process.argv[2] ?? 8)
const concurrency = Number(process.argv[3] ?? 4)
const batchSize = 2000
const types = ['Page Viewed', 'Product Viewed', 'Product Added', 'Checkout Started', 'Search']
const categories = ['shoes', 'shirts', 'bags', 'hats', 'jackets']
let n = 0

function makeEvents(run: string): WireEvent[] {
  const out: WireEvent[] = new Array(batchSize)
  const t = Date.now()
  for (let i = 0; i < batchSize; i++, n++) {
    const u = n % 1000
    const props: Record<string, string | number | boolean> = {
      path: `/products/${n % 50}`,
      category: categories[n % 5]!,
      price: (n % 200) + 0.99,
      referrer: 'google',
      logged_in: n % 2 === 0,
    }
    if (n % 3 === 0) props.plan = 'pro'
    if (n % 4 === 0) props.search_term = `term ${n % 30}`
    if (n % 5 === 0) props.item_count = n % 9
    out[i] = {
      insert_id: `${run}-${n}`,
      event_type: types[n % types.length]!,
      user_id: `user-${String(u).padStart(5, '0')}`,
      device_id: `device-${(u * 2_654_435_761) >>> 0}`,
      time: t + i,
      event_properties: props,
      platform: 'Node.js',
      library: 'ampkit-bench/1.0',
      ...(n % 20 === 0 ? { user_properties: { $set: { plan: u % 3 ? 'free' : 'pro' } } } : {}),
    }
  }
  return out
}

/** CPU time of the main JS thread in µs (Linux: /proc; the clock ticks are 10 ms). */
function mainThreadCpuUs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return Number.NaN
  }
}

/** Time spent in garbage collection (pauses on the main thread), in ms. */
let gcMs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration
}).observe({ entryTypes: ['gc'] })

async function drive(label: string, send: (run: string) => Promise<number>): Promise<void> {
  const run = `${label}-${Date.now()}`
  await send(run) // warm-up
  const cpu0 = process.cpuUsage()
  const main0 = mainThreadCpuUs()
  const gc0 = gcMs
  const start = performance.now()
  let total = 0
  const workers = Array.from({ length: concurrency }, async () => {
    while (performance.now() - start < seconds * 1000) {
      const t0 = performance.now()
      const sent = await send(run)
      total += sent
      if (process.env.MEASURE_TRACE)
        console.log(
          `${Math.round(performance.now() - start)} ms: request took ${Math.round(performance.now() - t0)} ms, rss ${Math.round(process.memoryUsage().rss / 1e6)}`,
        )
    }
  })
  await Promise.all(workers)
  const ms = performance.now() - start
  const cpu = process.cpuUsage(cpu0)
  const mainUs = mainThreadCpuUs() - main0
  console.log(
    `${label}: ${Math.round((total / ms) * 1000)} events/s (${total} in ${Math.round(ms)} ms), ` +
      `CPU ${((cpu.user + cpu.system) / total).toFixed(1)} µs/event ` +
      `(main thread ${(mainUs / total).toFixed(1)} of which GC ${(((gcMs - gc0) * 1000) / total).toFixed(1)}, other threads ${((cpu.user + cpu.system - mainUs) / total).toFixed(1)}), ` +
      `rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
  )
}

const dir = mkdtempSync(join(tmpdir(), 'ampkit-measure-'))
try {
  const parts = (process.env.MEASURE_PARTS ?? 'store,app').split(',')
  if (parts.includes('store')) {
    const store = await openDuckDbStore({
      path: join(dir, 'store.duckdb'),
      ...(process.env.MEASURE_WAL ? { walAutocheckpoint: process.env.MEASURE_WAL } : {}),
    })
    const context = { projectId: 1, path: '/batch' as const, sourceIp: '127.0.0.1' }
    await drive('store alone', async (run) => {
      const o = await store.ingestEvents(makeEvents(run), { ...context, receivedAtMs: Date.now() })
      return o.ingested
    })
    await store.close()
  }
  if (parts.includes('app')) {
    const store = await openDuckDbStore({ path: join(dir, 'app.duckdb') })
    const apiKey = 'measure0000000000000000000000000'
    const app = createServerApp({
      store,
      projects: [{ id: 1, name: 'measure', apiKey, secretKey: 'secret00000000000000000000000000' }],
      rateLimits: false,
    })
    await drive('whole app', async (run) => {
      const body = JSON.stringify({ api_key: apiKey, events: makeEvents(run) })
      const response = await app.handle(
        new Request('http://127.0.0.1/batch', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }),
      )
      if (response.status !== 200) throw new Error(`status ${response.status}`)
      return batchSize
    })
    await app.close()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
