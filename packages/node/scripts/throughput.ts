/**
 * Quick local throughput check (not part of `npm test`): a node:http sink in a child process that
 * only counts events, then N `track()` calls in a tight loop and `await flush()`.
 * Run: `node --expose-gc --conditions=ampkit-source --import tsx packages/node/scripts/throughput.ts 200000`
 */
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import { PerformanceObserver } from 'node:perf_hooks'
import { createInstance } from '@ampkit/node'

const SINK_FLAG = '--sink'

if (process.argv.includes(SINK_FLAG)) {
  let events = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: unknown[] }
      events += body.events.length
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: 200, events_ingested: body.events.length }))
    })
  })
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
  })
  process.on('message', () => process.send?.({ events }))
} else {
  const count = Number(process.argv[2] ?? 200_000)
  const child = fork(new URL(import.meta.url).pathname, [SINK_FLAG], {
    execArgv: ['--conditions=ampkit-source', '--import', 'tsx'],
  })
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve((m as { port: number }).port)),
  )
  const mode = process.argv[3] ?? 'ampkit'
  const cpuStart = process.cpuUsage()
  const cpuSeconds = (): number => {
    const used = process.cpuUsage(cpuStart)
    return +((used.user + used.system) / 1e6).toFixed(2)
  }
  const gcMs = { minor: 0, major: 0 }
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind
      if (kind === 1) gcMs.minor += entry.duration
      else gcMs.major += entry.duration
    }
  }).observe({ entryTypes: ['gc'] })
  if (mode === 'floor') {
    const started = performance.now()
    const parts: string[] = []
    for (let i = 0; i < count; i++) {
      parts.push(
        JSON.stringify({
          event_type: 'Event',
          user_id: `user-${i % 5000}`,
          device_id: `device-${i % 5000}`,
          event_properties: { index: i, plan: 'pro', value: i * 2 },
          time: Date.now(),
          insert_id: crypto.randomUUID(),
        }),
      )
    }
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < parts.length) {
        const batch = parts.slice(next, next + 1000)
        next += 1000
        const response = await fetch(`http://127.0.0.1:${port}/2/httpapi`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"api_key":"k","events":[${batch.join(',')}]}`,
        })
        await response.text()
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    console.log(
      JSON.stringify({
        mode,
        count,
        totalSeconds: +((performance.now() - started) / 1000).toFixed(2),
        cpuSeconds: cpuSeconds(),
      }),
    )
    child.kill()
    process.exit(0)
  }
  const client = createInstance()
  await client.init('throughput-key-1234', {
    serverUrl: `http://127.0.0.1:${port}/2/httpapi`,
    flushQueueSize: 1000,
    flushIntervalMillis: 1000,
    env: {},
    exitHooks: false,
  }).promise
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const started = performance.now()
  const yieldEvery = Number(process.env.YIELD_EVERY ?? 0)
  for (let i = 0; i < count; i++) {
    if (yieldEvery > 0 && i % yieldEvery === 0)
      await new Promise((resolve) => setImmediate(resolve))
    client.track(
      'Event',
      { index: i, plan: 'pro', value: i * 2 },
      { user_id: `user-${i % 5000}`, device_id: `device-${i % 5000}` },
    )
  }
  const trackedMs = performance.now() - started
  gc?.()
  const stats = client.stats()
  const heapQueued = process.memoryUsage().heapUsed - heapBefore
  await client.flush().promise
  const totalMs = performance.now() - started
  child.send('count')
  const received = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve((m as { events: number }).events)),
  )
  child.kill()
  console.log(
    JSON.stringify({
      count,
      trackLoopSeconds: +(trackedMs / 1000).toFixed(2),
      totalSeconds: +(totalMs / 1000).toFixed(2),
      cpuSeconds: cpuSeconds(),
      received,
      queuedAtLoopEnd: stats.queuedEvents + stats.inFlightEvents,
      heapBytesPerQueuedEvent: Math.round(
        heapQueued / Math.max(1, stats.queuedEvents + stats.inFlightEvents),
      ),
      delivered: client.stats().delivered,
      gcMs: { minor: Math.round(gcMs.minor), major: Math.round(gcMs.major) },
    }),
  )
}
