/**
 * @module A realistic event store for the query benchmarks, written straight into the local server's
 * schema (no HTTP, no ingest: ingesting 10 million events that way would take minutes and measure
 * something else). Shape: N events in sessions of 1–15 events, 30–150 s apart, for N/20 users whose
 * activity is skewed (a few heavy users, a long tail), 30 event types with Zipf-like frequencies
 * (`Open App` and `Page Viewed` dominate, `Purchase` is rare and carries revenue), a 90-day span,
 * string/number event properties, a `plan` user property, platform and country columns. Events are
 * appended in time order, as a live server appends them, with one users/user_ids/device_ids row per
 * user, so `openDuckDbStore` (and `ampkit serve --data DIR`) open it as a normal store.
 *
 * Usage: `node --conditions=ampkit-source --import tsx bench/lib/generate-events.ts --out /tmp/ampkit-10m --events 10000000`
 * writes `/tmp/ampkit-10m/ampkit.duckdb` and `development-project.json` (project 1, keys `bench-api-key`
 * / `bench-secret-key`, UTC). Deterministic for a given `--events` and `--seed`. About 1 min per 10M
 * events on 2 cores.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DuckDBInstance } from '@duckdb/node-api'
import { FIRST_AMPLITUDE_ID } from '../../packages/server/src/store/profile-book.ts'
import { SCHEMA_STATEMENTS, SCHEMA_VERSION } from '../../packages/server/src/store/schema.ts'

/** First day of the generated span (UTC). */
export const GENERATED_START_MS = Date.UTC(2024, 0, 1)
/** Days the generated events span. */
export const GENERATED_DAYS = 90
/** The generated project. */
export const GENERATED_PROJECT = {
  id: 1,
  name: 'Bench',
  apiKey: 'bench-api-key',
  secretKey: 'bench-secret-key',
  timeZone: 'UTC',
} as const

/** Event types, most frequent first (the draw is skewed toward the front). */
export const GENERATED_EVENT_TYPES = [
  'Open App',
  'Page Viewed',
  'Search',
  'View Item',
  'Scroll',
  'Click Banner',
  'Add to Cart',
  'Play Song',
  'Like',
  'Share',
  'Comment',
  'Follow',
  'Checkout Started',
  'Payment Info Entered',
  'Purchase',
  'Sign Up',
  'Log In',
  'Log Out',
  'Settings Changed',
  'Notification Opened',
  'Invite Sent',
  'Invite Accepted',
  'Upgrade Plan',
  'Downgrade Plan',
  'Error Shown',
  'Help Opened',
  'Feedback Sent',
  'Download',
  'Upload',
  'Delete Account',
] as const

export interface GenerateOptions {
  /** Directory of the store (created; an existing store there is replaced). */
  out: string
  events: number
  /** @default 1 */
  seed?: number
}

/** `hash(i, salt)` as a uniform double in [0, 1) — DuckDB's `hash` is deterministic. */
const r = (expr: string, salt: number, seed: number) =>
  `((hash(${expr}, ${salt + seed * 1000}) % 1000000007) / 1000000007.0)`

/** Writes the store; resolves with the number of events and users written. */
export async function generateEvents(
  options: GenerateOptions,
): Promise<{ events: number; users: number }> {
  const seed = options.seed ?? 1
  const users = Math.max(10, Math.floor(options.events / 20))
  const sessions = Math.max(1, Math.round(options.events / 8))
  await rm(options.out, { recursive: true, force: true })
  await mkdir(options.out, { recursive: true })
  const path = join(options.out, 'ampkit.duckdb')
  const instance = await DuckDBInstance.create(path)
  const c = await instance.connect()
  // The store's own schema statements, so the file opens as a store written by the server.
  for (const sql of SCHEMA_STATEMENTS) await c.run(sql)
  await c.run(`INSERT INTO ampkit_meta VALUES ('schema_version', '${SCHEMA_VERSION}')`)
  const types = `[${GENERATED_EVENT_TYPES.map((t) => `'${t}'`).join(', ')}]`
  const spanMs = GENERATED_DAYS * 86_400_000
  await c.run(`CREATE TEMP TABLE sessions AS
    SELECT s,
      -- Skewed users: r^2 piles activity on low ids (heavy users), leaving a long tail.
      CAST(floor(${users} * pow(${r('s', 1, seed)}, 2)) AS BIGINT) AS u,
      ${GENERATED_START_MS} + CAST(floor(${r('s', 2, seed)} * ${spanMs - 3_600_000}) AS BIGINT) AS start_ms,
      1 + CAST(floor(${r('s', 3, seed)} * 15) AS INTEGER) AS n
    FROM range(${sessions}) t(s)`)
  await c.run(`CREATE TEMP TABLE gen AS
    SELECT s, u, start_ms, j,
      start_ms + j * (30000 + CAST(floor(${r('s * 31 + j', 4, seed)} * 120000) AS BIGINT)) AS t,
      CASE WHEN j = 0 THEN 'Open App'
           ELSE ${types}[1 + CAST(floor(pow(${r('s * 31 + j', 5, seed)}, 2.2) * ${GENERATED_EVENT_TYPES.length}) AS INTEGER)] END AS event_type,
      ${r('s * 31 + j', 6, seed)} AS x
    FROM sessions, range(n) r(j)`)
  const countRows = await c.runAndReadAll('SELECT count(*)::BIGINT AS n FROM gen')
  const total = Number(countRows.getRowObjectsJS()[0]?.n)
  await c.run(`INSERT INTO events
    SELECT row_number() OVER (ORDER BY t, s, j) AS seq,
      1 AS project_id,
      t + 2000 AS server_upload_time_ms,
      t AS event_time_ms,
      ${FIRST_AMPLITUDE_ID} + u AS amplitude_id,
      event_type,
      CASE WHEN u % 5 = 0 THEN NULL ELSE 'user-' || u END AS user_id,
      'device-' || u AS device_id,
      start_ms AS session_id,
      'g' || s || '-' || j AS insert_id,
      uuid()::VARCHAR AS uuid,
      CASE WHEN event_type = 'Purchase' THEN round(5 + x * 95, 2) END AS revenue,
      CASE WHEN event_type = 'Purchase' THEN 1 END AS quantity,
      ['iOS', 'Android', 'Web'][1 + u % 3] AS platform,
      ['iOS', 'Android', 'Windows'][1 + u % 3] AS os_name,
      '17.' || (u % 4) AS os_version,
      NULL AS device_model,
      ['United States', 'Germany', 'India', 'Brazil', 'France', 'Japan'][1 + CAST(floor(pow((hash(u, 7) % 1000) / 1000.0, 2) * 6) AS INTEGER)] AS country,
      NULL AS region, NULL AS city, 'English' AS language,
      '3.' || (u % 7) AS version_name,
      '{"page":"/p/' || CAST(floor(x * 50) AS INTEGER) || '","genre":"' || ['rock', 'jazz', 'pop', 'hiphop'][1 + CAST(floor(x * 4) AS INTEGER)] || '","price":' || CAST(floor(x * 100) AS INTEGER) || '}' AS event_properties,
      '{"plan":"' || ['free', 'free', 'pro', 'team'][1 + u % 4] || '"}' AS user_properties,
      '{}' AS groups, '{}' AS group_properties,
      '{"library":"bench/1.0"}' AS extra
    FROM gen ORDER BY t, s, j`)
  await c.run(`INSERT INTO users
    SELECT 1, ${FIRST_AMPLITUDE_ID} + u, 1,
      CASE WHEN u % 5 = 0 THEN NULL ELSE 'user-' || u END,
      '{"plan":"' || ['free', 'free', 'pro', 'team'][1 + u % 4] || '"}', '{}',
      '["device-' || u || '"]', '[]', NULL, min(t), '{}', 0, max(t)
    FROM gen GROUP BY u`)
  await c.run(
    `INSERT INTO user_ids SELECT DISTINCT 1, 'user-' || u, ${FIRST_AMPLITUDE_ID} + u, 1 FROM gen WHERE u % 5 <> 0`,
  )
  await c.run(
    `INSERT INTO device_ids SELECT DISTINCT 1, 'device-' || u, ${FIRST_AMPLITUDE_ID} + u, 1 FROM gen`,
  )
  const userRows = await c.runAndReadAll('SELECT count(*)::BIGINT AS n FROM users')
  await c.run('CHECKPOINT')
  c.closeSync()
  instance.closeSync()
  await writeFile(
    join(options.out, 'development-project.json'),
    `${JSON.stringify(GENERATED_PROJECT, null, 2)}\n`,
  )
  return { events: total, users: Number(userRows.getRowObjectsJS()[0]?.n) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      events: { type: 'string', default: '10000000' },
      seed: { type: 'string', default: '1' },
    },
  })
  if (values.out === undefined) {
    console.error('usage: generate-events.ts --out DIR [--events N] [--seed S]')
    process.exit(2)
  }
  const started = performance.now()
  const result = await generateEvents({
    out: values.out,
    events: Number(values.events),
    seed: Number(values.seed),
  })
  console.log(
    `${result.events} events, ${result.users} users in ${values.out} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  )
}
