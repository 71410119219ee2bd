/**
 * Issue 4's outage rule in virtual time: with the outbox at its default settings, the endpoint
 * refuses connections for 10 minutes (longer than the in-memory client's retry budget) and comes
 * back; every event arrives, and memory holds only the outbox's window meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createInstance, LogLevel } from '../../src/index.ts'
import { FakeClock } from '../helpers/fake-clock.ts'

const refused = () =>
  Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  })

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ampkit-outage-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('a 10-minute outage with the outbox', () => {
  it('loses no event and keeps only a window of events in memory', async () => {
    const clock = new FakeClock()
    const upAtMs = clock.nowMs + 600_000
    const arrived: string[] = []
    const fetch = async (_url: string, init: RequestInit): Promise<Response> => {
      if (clock.nowMs < upAtMs) throw refused()
      const body = JSON.parse(String(init.body)) as { events: Array<{ insert_id: string }> }
      for (const event of body.events) arrived.push(event.insert_id)
      return new Response(JSON.stringify({ code: 200 }), { status: 200 })
    }
    const client = createInstance()
    client.init('outage-key-123456', {
      serverUrl: 'http://127.0.0.1:1/2/httpapi',
      env: {},
      exitHooks: false,
      logLevel: LogLevel.None,
      flushQueueSize: 100,
      persistence: { dir, durability: 'os', maxMemoryEvents: 300 },
      hooks: {
        now: clock.now,
        setTimeout: clock.setTimeout,
        clearTimeout: clock.clearTimeout,
        random: () => 0,
        fetch,
      },
    })
    const ids: string[] = []
    let mostInMemory = 0
    for (let second = 0; second < 600; second += 10) {
      for (let i = 0; i < 50; i++) {
        ids.push(
          client.track('During', { second, i }, { user_id: `user-${i}0000` }).insertId as string,
        )
      }
      await clock.advance(10_000)
      mostInMemory = Math.max(mostInMemory, client.stats().outbox?.memoryEvents ?? 0)
    }
    expect(arrived).toHaveLength(0)
    const during = client.stats()
    expect(during.outbox?.diskEvents).toBeGreaterThan(2000)
    expect(mostInMemory).toBeLessThanOrEqual(300)
    await clock.advance(60_000)
    expect(new Set(arrived)).toEqual(new Set(ids))
    expect(client.stats()).toMatchObject({ delivered: 3000, droppedTotal: 0, queuedEvents: 0 })
    await client.shutdown({ timeoutMs: 10 })
  })
})
