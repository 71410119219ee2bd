/**
 * Issue 2's no-loss rule at default settings, in virtual time: the endpoint refuses connections for
 * 60 s and comes back; every event arrives. Jitter is pinned to its lowest value (the shortest total
 * backoff), the worst case for the retry budget.
 */
import { describe, expect, it } from 'vitest'
import { createInstance, LogLevel } from '../src/index.ts'
import { FakeClock } from './helpers/fake-clock.ts'

const refused = () =>
  Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  })

function endpoint(clock: FakeClock, downForMs: number) {
  const upAtMs = clock.nowMs + downForMs
  const arrived: Array<{ insert_id: string }> = []
  let attempts = 0
  const fetch = async (_url: string, init: RequestInit): Promise<Response> => {
    attempts++
    if (clock.nowMs < upAtMs) throw refused()
    const body = JSON.parse(String(init.body)) as { events: Array<{ insert_id: string }> }
    arrived.push(...body.events)
    return new Response(JSON.stringify({ code: 200, events_ingested: body.events.length }), {
      status: 200,
    })
  }
  return { fetch, arrived, attempts: () => attempts }
}

/** A client at default delivery settings whose clock, jitter and fetch are the test's. */
function clientOn(clock: FakeClock, server: ReturnType<typeof endpoint>, jitter: number) {
  const client = createInstance()
  client.init('outage-key-123456', {
    serverUrl: 'http://127.0.0.1:1/2/httpapi',
    env: {},
    exitHooks: false,
    logLevel: LogLevel.None,
    hooks: {
      now: clock.now,
      setTimeout: clock.setTimeout,
      clearTimeout: clock.clearTimeout,
      random: () => jitter,
      fetch: server.fetch,
    },
  })
  return client
}

describe('an outage of 60 s with connection refused', () => {
  it('loses no event at the default retry settings', async () => {
    const clock = new FakeClock()
    const server = endpoint(clock, 60_000)
    const client = clientOn(clock, server, 0)
    const handles = []
    for (let second = 0; second < 60; second += 5) {
      for (let i = 0; i < 10; i++)
        handles.push(client.track('During', { second, i }, { user_id: `user-${i}0000` }))
      await clock.advance(5000)
    }
    // The endpoint is back at 60 s; probes find out within one probe interval (2 s), without
    // waiting for the longest backoff.
    await clock.advance(3000)
    expect(server.attempts()).toBeGreaterThan(10)
    expect(handles.every((h) => h.settled)).toBe(true)
    expect(new Set(server.arrived.map((e) => e.insert_id))).toEqual(
      new Set(handles.map((h) => h.insertId)),
    )
    expect(client.stats()).toMatchObject({ delivered: 120, droppedTotal: 0 })
  })

  it('finds the endpoint again within seconds of its return, not after the longest backoff', async () => {
    const clock = new FakeClock()
    const server = endpoint(clock, 50_000)
    // Longest jitter: the first send is at 10 s (the flush interval), retries at about 11, 13, 17,
    // 25, 41 and 71 s; without probes the event would wait until 71 s.
    const client = clientOn(clock, server, 0.999)
    const handle = client.track('Back', undefined, { user_id: 'user-00001' })
    await clock.advance(49_900)
    expect(handle.settled).toBe(false)
    await clock.advance(2600)
    expect(handle.settled).toBe(true)
    expect((await handle.promise).code).toBe(200)
  })

  it('fails events with a clear result once the retry budget is spent', async () => {
    const clock = new FakeClock()
    const server = endpoint(clock, Number.POSITIVE_INFINITY)
    const client = clientOn(clock, server, 0)
    let retries = 0
    client.on('retry', () => retries++)
    const handle = client.track('Lost', undefined, { user_id: 'user-00001' })
    await clock.advance(3_600_000)
    const result = await handle.promise
    expect(result).toMatchObject({ code: 500, reason: 'retries_exhausted' })
    expect(result.message).toContain('ECONNREFUSED')
    // 12 counted retries after the first send (probes in between do not count).
    expect(retries).toBe(12)
  })
})
