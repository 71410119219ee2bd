/**
 * Throughput probe of the DuckDB store alone (not part of `npm test`):
 *   npx tsx packages/server/test/store/bench-ingest.ts [batches] [batchSize] [users]
 * Prints events/s over the run and RSS, ingesting typical events (7 event props, some user props).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WireEvent } from '@ampkit/protocol'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'

const batches = Number(process.argv[2] ?? 100)
const batchSize = Number(process.argv[3] ?? 2000)
const users = Number(process.argv[4] ?? 10_000)
const dir = mkdtempSync(join(tmpdir(), 'ampkit-bench-'))
const store = await openDuckDbStore({
  path: process.env.BENCH_MEM ? ':memory:' : join(dir, 'bench.duckdb'),
})
const types = ['Page Viewed', 'Button Clicked', 'Song Played', 'Checkout', 'Search']
let n = 0
function makeBatch(): WireEvent[] {
  const out: WireEvent[] = []
  const t = Date.now()
  for (let i = 0; i < batchSize; i++, n++) {
    const u = n % users
    out.push({
      event_type: types[n % types.length]!,
      user_id: `user-${u}@example.com`,
      device_id: `device-${u}-abcdef0123456789`,
      time: t - 1000 + (i % 1000),
      session_id: t - 60_000,
      insert_id: `ins-${n}-0f6a2b1c9d8e7f60`,
      platform: 'Web',
      os_name: 'Chrome',
      os_version: '120',
      country: 'United States',
      city: 'San Francisco',
      language: 'English',
      library: 'amplitude-ts/2.0.0',
      event_properties: {
        path: `/products/${n % 500}`,
        referrer: 'https://www.google.com/',
        value: n % 97,
        plan: 'pro',
        tags: ['a', 'b'],
        experiment: 'exp-42',
        button: 'buy-now',
      },
      ...(n % 10 === 0
        ? { user_properties: { plan: u % 3 === 0 ? 'pro' : 'free', visits: n % 50 } }
        : {}),
    })
  }
  return out
}
const context = { projectId: 1, path: '/batch' as const, sourceIp: '127.0.0.1' }
// warm-up
await store.ingestEvents(makeBatch(), { ...context, receivedAtMs: Date.now() })
const pre = Array.from({ length: 8 }, makeBatch)
const start = performance.now()
const cpu0 = process.cpuUsage()
const elu0 = performance.eventLoopUtilization()
let total = 0
const inflight: Promise<unknown>[] = []
for (let b = 0; b < batches; b++) {
  const events = pre[b % pre.length]!.map((e, i) => ({
    ...e,
    insert_id: `b${b}-${i}-${e.insert_id}`,
  }))
  inflight.push(
    store.ingestEvents(events, { ...context, receivedAtMs: Date.now() }).then((o) => {
      total += o.ingested
    }),
  )
  // Keep a few requests in flight, as concurrent HTTP requests would.
  if (inflight.length >= 4) await inflight.shift()
}
await Promise.all(inflight)
const ms = performance.now() - start
const cpu = process.cpuUsage(cpu0)
const elu = performance.eventLoopUtilization(elu0)
console.log(
  `CPU per event: ${((cpu.user + cpu.system) / total).toFixed(1)} µs (all threads), main thread busy ${((elu.active * 1000) / total).toFixed(1)} µs/event`,
)
console.log(
  `${total} events in ${Math.round(ms)} ms: ${Math.round((total / ms) * 1000)} events/s, batch ${batchSize}, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB, heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB, external ${Math.round(process.memoryUsage().external / 1e6)} MB`,
)
await store.close()
rmSync(dir, { recursive: true, force: true })

// Baseline: the same rows through a bare appender, one transaction per batch, same schema.
{
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const { SCHEMA_STATEMENTS } = await import('../../src/store/schema.ts')
  const { EVENT_COLUMNS } = await import('../../src/store/event-row.ts')
  const { prepareEvents } = await import('../../src/store/ingest-events.ts')
  const { ProfileBook } = await import('../../src/store/profile-book.ts')
  const { DedupIndex } = await import('../../src/store/dedup-index.ts')
  const { AttributionBook } = await import('../../src/store/attribution-book.ts')
  const { randomUUID } = await import('node:crypto')
  const dir2 = mkdtempSync(join(tmpdir(), 'ampkit-bench-base-'))
  const instance = await DuckDBInstance.create(
    process.env.BENCH_MEM ? ':memory:' : join(dir2, 'base.duckdb'),
    { wal_autocheckpoint: '256MB' },
  )
  const c = await instance.connect()
  for (const sql of SCHEMA_STATEMENTS) await c.run(sql)
  const state = {
    book: new ProfileBook(),
    dedup: new DedupIndex(7 * 86_400_000),
    attributions: new AttributionBook(),
    nextSeq: 1,
    now: Date.now,
    randomUUID,
  }
  const rowBatches = pre.map(
    (events, b) =>
      prepareEvents(
        state,
        events.map((e, i) => ({ ...e, insert_id: `x${b}-${i}` })),
        { ...context, receivedAtMs: Date.now() },
      ).rows,
  )
  const t0 = performance.now()
  let n2 = 0
  for (let b = 0; b < batches; b++) {
    const rows = rowBatches[b % rowBatches.length]!
    await c.run('BEGIN TRANSACTION')
    const appender = await c.createAppender('events')
    if (process.env.BENCH_CHUNK) {
      const { DuckDBDataChunk, BIGINT, INTEGER, DOUBLE, VARCHAR } = await import('@duckdb/node-api')
      const types = EVENT_COLUMNS.map((col) =>
        col.kind === 'bigint'
          ? BIGINT
          : col.kind === 'integer'
            ? INTEGER
            : col.kind === 'double'
              ? DOUBLE
              : VARCHAR,
      )
      for (let off = 0; off < rows.length; off += 2048) {
        const part = rows.slice(off, off + 2048)
        const chunk = DuckDBDataChunk.create(types, part.length)
        EVENT_COLUMNS.forEach((col, ci) => {
          const vals = part.map((r) => {
            const v = r[col.key]
            return v === null ? null : col.kind === 'bigint' ? BigInt(v as number) : v
          })
          chunk.setColumnValues(ci, vals as never)
        })
        appender.appendDataChunk(chunk)
      }
    } else
      for (const row of rows) {
        for (const column of EVENT_COLUMNS) {
          const v = row[column.key]
          if (v === null) appender.appendNull()
          else if (column.kind === 'bigint') appender.appendBigInt(BigInt(v as number))
          else if (column.kind === 'integer') appender.appendInteger(v as number)
          else if (column.kind === 'double') appender.appendDouble(v as number)
          else appender.appendVarchar(v as string)
        }
        appender.endRow()
      }
    appender.closeSync()
    await c.run('COMMIT')
    n2 += rows.length
  }
  const ms2 = performance.now() - t0
  const rate2 = (n2 / ms2) * 1000
  console.log(
    `baseline bare appender: ${Math.round(rate2)} rows/s; store/baseline = ${(((total / ms) * 1000) / rate2).toFixed(2)}`,
  )
  c.closeSync()
  instance.closeSync()
  rmSync(dir2, { recursive: true, force: true })
}
