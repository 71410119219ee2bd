/**
 * Builds a DuckDB file store holding `count` typical events for the export measurement: a seed of
 * real ingested events (5–8 event properties, user properties on every 20th, 1,000 users), then
 * copied in SQL with fresh `seq`, `uuid`, `insert_id` and later upload times, so a million events
 * take seconds instead of a full ingestion run.
 */
import type { WireEvent } from '@ampkit/protocol'
import { DuckDBInstance } from '@duckdb/node-api'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { EVENT_COLUMNS } from '../../src/store/event-row.ts'

const SEED_EVENTS = 20_000
const TYPES = ['Page Viewed', 'Product Viewed', 'Product Added', 'Checkout Started', 'Search']
const CATEGORIES = ['shoes', 'shirts', 'bags', 'hats', 'jackets']

function seedEvents(from: number, count: number, t0: number): WireEvent[] {
  const out: WireEvent[] = []
  for (let n = from; n < from + count; n++) {
    const u = n % 1000
    const props: Record<string, string | number | boolean> = {
      path: `/products/${n % 50}`,
      category: CATEGORIES[n % 5]!,
      price: (n % 200) + 0.99,
      referrer: 'google',
      logged_in: n % 2 === 0,
    }
    if (n % 3 === 0) props.plan = 'pro'
    if (n % 4 === 0) props.search_term = `term ${n % 30}`
    if (n % 5 === 0) props.item_count = n % 9
    out.push({
      insert_id: `seed-${n}`,
      event_type: TYPES[n % TYPES.length]!,
      user_id: `user-${String(u).padStart(5, '0')}`,
      device_id: `device-${(u * 2_654_435_761) >>> 0}`,
      session_id: t0 - (n % 97) * 60_000,
      time: t0 + n,
      event_properties: props,
      platform: 'Web',
      os_name: 'Chrome',
      os_version: '120',
      country: 'Germany',
      city: 'Berlin',
      language: 'de',
      ip: '203.0.113.9',
      library: 'amplitude-ts/2.0',
      ...(n % 20 === 0 ? { user_properties: { $set: { plan: u % 3 ? 'free' : 'pro' } } } : {}),
    })
  }
  return out
}

/**
 * Creates the store file at `path` with `count` events of project `projectId`, uploaded evenly over
 * `hours` hours from `t0` (UTC ms).
 */
export async function buildExportDataset(
  path: string,
  options: { count: number; projectId: number; t0: number; hours: number },
): Promise<void> {
  const { count, projectId, t0, hours } = options
  const seedCount = Math.min(SEED_EVENTS, count)
  const store = await openDuckDbStore({ path, now: () => t0 })
  for (let from = 0; from < seedCount; from += 5000) {
    const batch = seedEvents(from, Math.min(5000, seedCount - from), t0)
    await store.ingestEvents(batch, { projectId, receivedAtMs: t0, path: '/batch' })
  }
  await store.close()
  const copies = Math.ceil(count / seedCount)
  const spanMs = hours * 3_600_000
  const instance = await DuckDBInstance.create(path)
  const connection = await instance.connect()
  // Copy k spreads the seed over the whole span: upload time = t0 + (k·seed + i) · span / count.
  const select = EVENT_COLUMNS.map((column) => {
    switch (column.name) {
      case 'seq':
        return `k * ${seedCount} + seq AS seq`
      case 'server_upload_time_ms':
        return `${t0} + ((k * ${seedCount} + seq) * ${spanMs}) // ${count} AS server_upload_time_ms`
      case 'uuid':
        return 'gen_random_uuid()::VARCHAR AS uuid'
      case 'insert_id':
        return `insert_id || '-' || k AS insert_id`
      default:
        return column.name
    }
  }).join(', ')
  await connection.run(`CREATE TEMP TABLE seed AS SELECT * FROM events`)
  await connection.run('DELETE FROM events')
  await connection.run(
    `INSERT INTO events SELECT ${select} FROM seed, range(${copies}) AS r(k)
     WHERE k * ${seedCount} + seq < ${count} ORDER BY 1`,
  )
  await connection.run('CHECKPOINT')
  connection.closeSync()
  instance.closeSync()
}
