/**
 * The durable outbox in one process: events are logged, delivered from disk, acknowledged and
 * reclaimed; a restart replays what was not acknowledged, in order, with the original insert_ids;
 * torn and corrupt records are skipped and reported; the disk bound applies the overflow policy.
 */
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type AmpkitClient,
  ConfigError,
  createInstance,
  type DropInfo,
  LogLevel,
  type NodeOptions,
  type OutboxInfo,
} from '../../src/index.ts'
import { API_KEY } from '../helpers/client.ts'
import { TestServer } from '../helpers/test-server.ts'

let dir: string
let server: TestServer
const clients: AmpkitClient[] = []

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ampkit-outbox-'))
  server = await TestServer.start()
})

afterEach(async () => {
  for (const client of clients.splice(0)) await client.shutdown({ timeoutMs: 100 })
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(options: NodeOptions = {}, url = server.url): AmpkitClient {
  const client = createInstance()
  client.init(API_KEY, {
    serverUrl: url,
    env: {},
    exitHooks: false,
    flushIntervalMillis: 20,
    retryBaseDelayMs: 10,
    retryMaxDelayMs: 40,
    requestTimeoutMillis: 1000,
    logLevel: LogLevel.None,
    persistence: { dir, durability: 'os' },
    ...options,
  })
  clients.push(client)
  return client
}

/** Closes a client's outbox without delivering: a fast shutdown against a closed port. */
async function abandon(client: AmpkitClient): Promise<void> {
  clients.splice(clients.indexOf(client), 1)
  await client.shutdown({ timeoutMs: 1 })
}

const segments = () => readdirSync(dir).filter((name) => name.endsWith('.log'))

describe('the outbox', () => {
  it('delivers tracked events and deletes the fully acknowledged segments', async () => {
    const client = open({ persistence: { dir, segmentBytes: 4096, maxMemoryEvents: 50 } })
    const handles = []
    for (let i = 0; i < 500; i++)
      handles.push(client.track('Logged', { i }, { user_id: 'user-00001' }))
    expect(await client.persisted()).toBe(true)
    expect(segments().length).toBeGreaterThan(3)
    await client.flush().promise
    expect(server.accepted.map((e) => e.event_properties?.i)).toEqual(handles.map((_, i) => i))
    expect(server.accepted.map((e) => e.insert_id)).toEqual(handles.map((h) => h.insertId))
    expect(client.stats()).toMatchObject({ delivered: 500, droppedTotal: 0, queuedEvents: 0 })
    await client.persisted()
    // Only the active segment remains.
    expect(segments().length).toBe(1)
  })

  it('replays unacknowledged events after a restart, in order, with their insert_ids and times', async () => {
    await server.stop()
    const first = open({ persistence: { dir, maxMemoryEvents: 30 } })
    const ids: string[] = []
    const times: number[] = []
    for (let i = 0; i < 100; i++) {
      const handle = first.track(
        'Kept',
        { i },
        { user_id: 'user-00001', time: 1_700_000_000_000 + i },
      )
      ids.push(handle.insertId as string)
      times.push(1_700_000_000_000 + i)
    }
    await first.persisted()
    await abandon(first)
    await server.restart()
    const recovered: OutboxInfo[] = []
    const second = createInstance().on('outbox', (info) => recovered.push(info))
    second.init(API_KEY, {
      serverUrl: server.url,
      env: {},
      exitHooks: false,
      logLevel: LogLevel.None,
      persistence: { dir, durability: 'os' },
    })
    clients.push(second)
    await second.flush().promise
    expect(recovered).toMatchObject([{ kind: 'recovered', events: 100 }])
    expect(server.accepted.map((e) => e.insert_id)).toEqual(ids)
    expect(server.accepted.map((e) => e.time)).toEqual(times)
    expect(second.stats()).toMatchObject({ delivered: 100, outbox: { recoveredEvents: 100 } })
  })

  it('does not replay events that were delivered before the restart', async () => {
    const first = open()
    for (let i = 0; i < 10; i++) first.track('Once', { i }, { user_id: 'user-00001' })
    await first.flush().promise
    await first.shutdown()
    clients.splice(clients.indexOf(first), 1)
    const second = open()
    await second.flush().promise
    expect(server.accepted).toHaveLength(10)
    expect(second.stats().outbox?.recoveredEvents).toBe(0)
  })

  it('skips and reports a torn last record, and delivers the rest', async () => {
    await server.stop()
    const first = open()
    const ids = []
    for (let i = 0; i < 20; i++)
      ids.push(first.track('Torn', { i }, { user_id: 'user-00001' }).insertId)
    await first.persisted()
    await abandon(first)
    const [log] = segments()
    const path = join(dir, log as string)
    truncateSync(path, readFileSync(path).length - 5)
    await server.restart()
    const reports: OutboxInfo[] = []
    const second = createInstance().on('outbox', (info) => reports.push(info))
    second.init(API_KEY, {
      serverUrl: server.url,
      env: {},
      exitHooks: false,
      logLevel: LogLevel.None,
      persistence: { dir },
    })
    clients.push(second)
    await second.flush().promise
    expect(reports.map((r) => r.kind)).toEqual(['torn', 'recovered'])
    expect(server.accepted.map((e) => e.insert_id)).toEqual(ids.slice(0, 19))
    expect(second.stats().outbox).toMatchObject({ corruptRegions: 1, recoveredEvents: 19 })
  })

  it('skips a record whose checksum fails in the middle of a segment and keeps the records after it', async () => {
    await server.stop()
    const first = open()
    const ids = []
    for (let i = 0; i < 10; i++)
      ids.push(first.track('Flip', { i }, { user_id: 'user-00001' }).insertId)
    await first.persisted()
    await abandon(first)
    const path = join(dir, segments()[0] as string)
    const bytes = readFileSync(path)
    const fifth = bytes.indexOf(ids[4] as string)
    bytes[fifth] = bytes[fifth] === 0x61 ? 0x62 : 0x61
    writeFileSync(path, bytes)
    await server.restart()
    const second = open()
    await second.flush().promise
    expect(server.accepted.map((e) => e.insert_id)).toEqual([...ids.slice(0, 4), ...ids.slice(5)])
    expect(second.stats().outbox).toMatchObject({ corruptRegions: 1 })
  })

  it('follows the same delivery rules: a 400 index list fails one event for good, a 413 splits, and neither is replayed', async () => {
    server.enqueue(
      {
        status: 400,
        body: {
          code: 400,
          error: 'Invalid field values',
          events_with_invalid_fields: { time: [1] },
        },
      },
      { status: 413, body: { code: 413, error: 'Payload too large' } },
    )
    const file = join(dir, 'dead.ndjson')
    const client = open({ flushIntervalMillis: 60_000, deadLetter: { file } })
    const handles = [0, 1, 2, 3].map((i) =>
      client.track(`E${i}`, undefined, { user_id: 'user-00001' }),
    )
    await client.flush().promise
    expect((await Promise.all(handles.map((h) => h.promise))).map((r) => r.code)).toEqual([
      200, 400, 200, 200,
    ])
    expect(server.accepted.map((e) => e.event_type).sort()).toEqual(['E0', 'E2', 'E3'])
    expect(readFileSync(file, 'utf8')).toContain('"reason":"invalid_event"')
    await client.shutdown()
    clients.splice(clients.indexOf(client), 1)
    const again = open()
    await again.flush().promise
    expect(again.stats().outbox?.recoveredEvents).toBe(0)
    expect(server.accepted).toHaveLength(3)
  })

  it('leaves a backlog on disk at a shutdown deadline without loading it, and the next start sends it', async () => {
    await server.stop()
    const first = open({ persistence: { dir, durability: 'os', maxMemoryEvents: 20 } })
    const drops: DropInfo[] = []
    first.on('drop', (info) => drops.push(info))
    const ids = []
    for (let i = 0; i < 500; i++)
      ids.push(first.track('Backlog', { i }, { user_id: 'user-00001' }).insertId)
    await first.persisted()
    clients.splice(clients.indexOf(first), 1)
    expect(await first.shutdown({ timeoutMs: 50 })).toEqual({ timedOut: true, failed: 500 })
    expect(drops.reduce((sum, info) => sum + info.events, 0)).toBe(500)
    // Only the memory window was failed event by event; the rest was counted without reading it.
    expect(drops.reduce((sum, info) => sum + info.insertIds.length, 0)).toBeLessThanOrEqual(20)
    await server.restart()
    const second = open()
    await second.flush().promise
    expect(new Set(server.accepted.map((e) => e.insert_id))).toEqual(new Set(ids))
  })

  it('refuses a second client on the same directory with a clear error', () => {
    open()
    expect(() => open()).toThrow(/in use by process \d+/)
  })

  it('applies refuseNewest at the disk bound and counts every refusal', async () => {
    await server.stop()
    const client = open({
      overflowPolicy: 'refuseNewest',
      persistence: { dir, maxDiskBytes: 4096, durability: 'os' },
    })
    const results = []
    for (let i = 0; i < 100; i++)
      results.push(client.track('Full', { i }, { user_id: 'user-00001' }))
    const refused = (await Promise.all(results.slice(50).map((h) => h.promise))).filter(
      (r) => r.reason === 'queue_overflow',
    )
    expect(refused.length).toBeGreaterThan(0)
    expect(client.stats().dropped.queue_overflow).toBe(
      100 - client.stats().queuedEvents - client.stats().inFlightEvents,
    )
  })

  it('reads AMPLITUDE_OUTBOX_DIR and names it when it is not a directory', () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, '')
    const client = createInstance()
    expect(() =>
      client.init(API_KEY, { env: { AMPLITUDE_OUTBOX_DIR: file }, exitHooks: false }),
    ).toThrow(ConfigError)
    expect(() =>
      createInstance().init(API_KEY, { env: { AMPLITUDE_OUTBOX_DIR: file }, exitHooks: false }),
    ).toThrow(/AMPLITUDE_OUTBOX_DIR/)
  })
})
