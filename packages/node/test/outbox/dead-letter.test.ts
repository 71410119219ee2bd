/**
 * The dead-letter file (with or without the outbox) and `replayDeadLetters()`: events that fail for
 * good are written with their reason, and a replay sends them again with their original insert_ids
 * and times.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type DeadLetter, replayDeadLetters } from '../../src/index.ts'
import { testClient } from '../helpers/client.ts'
import { TestServer } from '../helpers/test-server.ts'

let dir: string
let server: TestServer

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ampkit-dead-'))
  server = await TestServer.start()
})

afterEach(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

const read = (file: string): DeadLetter[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DeadLetter)

describe('the dead-letter file', () => {
  it('records events the server rejects, then replays them with their insert_ids and times', async () => {
    const file = join(dir, 'dead.ndjson')
    server.enqueue({ status: 403, body: { code: 403, error: 'Forbidden' } })
    const client = testClient(server, { deadLetter: { file } })
    const handles = [0, 1, 2].map((i) =>
      client.track('Rejected', { i }, { user_id: 'user-00001', time: 1_700_000_000_000 + i }),
    )
    await client.flush().promise
    const letters = read(file)
    expect(letters.map((l) => [l.reason, l.code, l.event.insert_id])).toEqual(
      handles.map((h) => ['rejected', 403, h.insertId]),
    )
    expect(Number.isNaN(Date.parse(letters[0]?.failedAt ?? ''))).toBe(false)

    const report = await replayDeadLetters(file, client)
    expect(report).toMatchObject({ lines: 3, sent: 3, delivered: 3, failed: 0, malformed: 0 })
    const again = server.accepted.slice(-3)
    expect(again.map((e) => e.insert_id)).toEqual(handles.map((h) => h.insertId))
    expect(again.map((e) => e.time)).toEqual([0, 1, 2].map((i) => 1_700_000_000_000 + i))
    await client.shutdown()
  })

  it('records the events a full outbox drops under dropOldest, with reason queue_overflow', async () => {
    await server.stop()
    const file = join(dir, 'dead.ndjson')
    const client = testClient(server, {
      deadLetter: { file },
      overflowPolicy: 'dropOldest',
      persistence: { dir: join(dir, 'outbox'), durability: 'os', maxDiskEvents: 10 },
      flushIntervalMillis: 60_000,
    })
    const handles = []
    for (let i = 0; i < 15; i++)
      handles.push(client.track('Many', { i }, { user_id: 'user-00001' }))
    await client.persisted()
    const letters = read(file)
    expect(letters.map((l) => l.reason)).toEqual(Array(5).fill('queue_overflow'))
    expect(letters.map((l) => l.event.insert_id)).toEqual(
      handles.slice(0, 5).map((h) => h.insertId),
    )
    expect(client.stats().dropped).toEqual({ queue_overflow: 5 })
    await server.restart()
    await client.flush().promise
    expect(server.accepted.map((e) => e.insert_id)).toEqual(handles.slice(5).map((h) => h.insertId))
    await client.shutdown()
  })

  it('skips malformed lines and reasons left out, and says so', async () => {
    const file = join(dir, 'dead.ndjson')
    const client = testClient(server, { deadLetter: { file } })
    server.enqueue({ status: 403 })
    client.track('One', undefined, { user_id: 'user-00001' })
    await client.flush().promise
    const { appendFileSync } = await import('node:fs')
    appendFileSync(file, 'not json\n{"reason":"rejected"}\n')
    expect(await replayDeadLetters(file, client, { reasons: ['daily_quota'] })).toMatchObject({
      lines: 3,
      malformed: 2,
      skipped: 1,
      sent: 0,
    })
    await client.shutdown()
  })
})

describe('promises of events kept on disk', () => {
  it('resolve at delivery when requested in the turn of the track() call, and with 202 when requested later', async () => {
    await server.stop()
    const client = testClient(server, {
      persistence: { dir: join(dir, 'outbox'), durability: 'os', maxMemoryEvents: 5 },
    })
    const early = []
    for (let i = 0; i < 10; i++)
      early.push(client.track('Early', { i }, { user_id: 'user-00001' }).promise)
    const late = client.track('Late', undefined, { user_id: 'user-00001' })
    await client.persisted()
    // Nobody asked for its promise in the turn it was tracked, and it lives on disk only.
    expect(late.settled).toBe(true)
    // Its JSON is on disk only; the result still names the event by type and insert_id.
    expect(await late.promise).toMatchObject({
      code: 202,
      event: { event_type: 'Late', insert_id: late.insertId },
      insertId: late.insertId,
    })
    await server.restart()
    await client.flush().promise
    expect((await Promise.all(early)).map((r) => r.code)).toEqual(Array(10).fill(200))
    expect(server.accepted).toHaveLength(11)
    await client.shutdown()
  })
})
