import { EventEmitter } from 'node:events'
import { serverErrorBody } from '@ampkit/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createInstance,
  type DropInfo,
  Identify,
  LogLevel,
  type Plugin,
  type RequestInfo,
  type ResponseInfo,
  type Result,
} from '../src/index.ts'
import type { ProcessLike } from '../src/options.ts'
import { API_KEY, testClient } from './helpers/client.ts'
import { TestServer } from './helpers/test-server.ts'

let server: TestServer

beforeEach(async () => {
  server = await TestServer.start()
})

afterEach(async () => {
  await server.close()
})

const user = (i: number) => ({ user_id: `user-${String(i).padStart(4, '0')}` })

describe('flush()', () => {
  it('sends at once instead of waiting for the interval', async () => {
    const client = testClient(server, { flushIntervalMillis: 600_000 })
    const handle = client.track('Now', undefined, user(1))
    await client.flush().promise
    expect(handle.settled).toBe(true)
    expect(server.accepted).toHaveLength(1)
  })

  it('waits for events in retry backoff and retries them with the normal policy', async () => {
    server.enqueue(
      { status: 503, body: serverErrorBody(503) },
      { status: 503, body: serverErrorBody(503) },
    )
    const client = testClient(server, { flushIntervalMillis: 600_000 })
    const handles = [1, 2, 3].map((i) => client.track('Retry', undefined, user(i)))
    await client.flush().promise
    expect(handles.every((h) => h.settled)).toBe(true)
    expect(server.accepted).toHaveLength(3)
    expect(server.requests).toHaveLength(3)
  })

  it('waits for requests already in flight', async () => {
    server.respond(() => ({ okAfterMs: 150 }))
    const client = testClient(server, { flushQueueSize: 1 })
    const handle = client.track('InFlight', undefined, user(1))
    expect(client.stats().inFlightRequests).toBe(1)
    await client.flush().promise
    expect(handle.settled).toBe(true)
  })

  it('resolves at once when nothing is held', async () => {
    const client = testClient(server)
    await client.flush().promise
    expect(server.requests).toHaveLength(0)
  })
})

describe('shutdown()', () => {
  it('delivers everything held, then refuses new events', async () => {
    const client = testClient(server, { flushIntervalMillis: 600_000 })
    const handles = [1, 2].map((i) => client.track('Bye', undefined, user(i)))
    const report = await client.shutdown({ timeoutMs: 5000 })
    expect(report).toEqual({ timedOut: false, failed: 0 })
    expect(handles.every((h) => h.settled)).toBe(true)
    expect(server.accepted).toHaveLength(2)
    const late = await client.track('Late', undefined, user(3)).promise
    expect(late).toMatchObject({ code: 0, reason: 'shutdown' })
  })

  it('fails what it cannot deliver by the deadline and aborts requests in flight', async () => {
    server.respond(() => 'hang')
    const client = testClient(server, { requestTimeoutMillis: 60_000 })
    const handle = client.track('Stuck', undefined, user(1))
    client.track('Queued', undefined, user(2))
    const report = await client.shutdown({ timeoutMs: 200 })
    expect(report).toEqual({ timedOut: true, failed: 2 })
    expect(await handle.promise).toMatchObject({ code: 0, reason: 'shutdown' })
    expect(client.stats()).toMatchObject({
      inFlightRequests: 0,
      queuedEvents: 0,
      dropped: { shutdown: 2 },
    })
  })
})

describe('bounded memory', () => {
  it('drops the oldest events under dropOldest, and says so in the result, stats and emitter', async () => {
    const client = testClient(server, {
      maxQueuedEvents: 5,
      flushIntervalMillis: 600_000,
      flushQueueSize: 100,
    })
    const drops: DropInfo[] = []
    client.on('drop', (info) => drops.push(info))
    const handles = Array.from({ length: 8 }, (_, i) => client.track(`E${i}`, undefined, user(i)))
    const overflowed = handles.slice(0, 3)
    for (const handle of overflowed) {
      expect(await handle.promise).toMatchObject({ code: 0, reason: 'queue_overflow' })
    }
    expect(drops.map((d) => d.insertIds[0])).toEqual(overflowed.map((h) => h.insertId))
    expect(client.stats()).toMatchObject({ queuedEvents: 5, dropped: { queue_overflow: 3 } })
    await client.flush().promise
    expect(server.accepted.map((e) => e.event_type)).toEqual(['E3', 'E4', 'E5', 'E6', 'E7'])
  })

  it('refuses the newest events under refuseNewest', async () => {
    const client = testClient(server, {
      maxQueuedEvents: 5,
      overflowPolicy: 'refuseNewest',
      flushIntervalMillis: 600_000,
      flushQueueSize: 100,
    })
    const handles = Array.from({ length: 7 }, (_, i) => client.track(`E${i}`, undefined, user(i)))
    expect(await handles[6]?.promise).toMatchObject({ reason: 'queue_overflow' })
    await client.flush().promise
    expect(server.accepted.map((e) => e.event_type)).toEqual(['E0', 'E1', 'E2', 'E3', 'E4'])
  })

  it('bounds bytes as well as events', async () => {
    const client = testClient(server, {
      maxQueuedBytes: 2048,
      flushIntervalMillis: 600_000,
      flushQueueSize: 100,
    })
    for (let i = 0; i < 10; i++) client.track('Blob', { blob: 'x'.repeat(400) }, user(i))
    const stats = client.stats()
    expect(stats.queuedBytes).toBeLessThanOrEqual(2048)
    expect(stats.dropped.queue_overflow).toBeGreaterThan(0)
  })
})

describe('events refused before sending', () => {
  it('refuses what Amplitude would refuse, with a clear message, and sends nothing', async () => {
    const client = testClient(server)
    const noId = await client.track('No ids').promise
    const badId = await client.track('Bad id', undefined, { user_id: 'null' }).promise
    const badTime = await client.track({ event_type: 'Bad time', user_id: 'user-0001', time: 1.5 })
      .promise
    expect(noId).toMatchObject({ code: 0, reason: 'invalid' })
    expect(noId.message).toContain('device_id')
    expect(badId.message).toContain('user_id')
    expect(badTime.message).toContain('time')
    await client.flush().promise
    expect(server.requests).toHaveLength(0)
    expect(client.stats().dropped).toEqual({ invalid: 3 })
  })

  it('skips a blank event type, as the official SDK does', async () => {
    const client = testClient(server)
    const result = await client.track('  ', undefined, user(1)).promise
    expect(result).toMatchObject({ code: 0, message: 'Event skipped due to empty event type' })
  })

  it('skips everything under optOut and resumes after setOptOut(false)', async () => {
    const client = testClient(server, { optOut: true })
    expect(await client.track('A', undefined, user(1)).promise).toMatchObject({
      code: 0,
      message: 'Event skipped due to optOut config',
    })
    client.setOptOut(false)
    expect((await client.track('B', undefined, user(1)).promise).code).toBe(200)
    expect(server.accepted.map((e) => e.event_type)).toEqual(['B'])
  })

  it('sends nothing under NODE_ENV=test', async () => {
    const client = createInstance()
    client.init(API_KEY, {
      serverUrl: server.url,
      env: { NODE_ENV: 'test' },
      logLevel: LogLevel.None,
    })
    const result = await client.track('Quiet', undefined, user(1)).promise
    expect(result).toMatchObject({ code: 0, reason: 'disabled' })
    expect(result.message).toContain('NODE_ENV=test')
    await client.flush().promise
    expect(server.requests).toHaveLength(0)
  })
})

describe('sessions', () => {
  it('assigns session_id per device and leaves an explicit -1 alone', async () => {
    let now = 1_700_000_000_000
    const client = testClient(server, { sessions: { timeoutMs: 1000 }, hooks: { now: () => now } })
    client.track('A', undefined, { device_id: 'device-0001' })
    now += 500
    client.track('B', undefined, { device_id: 'device-0001' })
    client.track('Outside', undefined, { device_id: 'device-0001', session_id: -1 })
    now += 5000
    client.track('C', undefined, { device_id: 'device-0001' })
    await client.flush().promise
    expect(server.accepted.map((e) => [e.event_type, e.session_id])).toEqual([
      ['A', 1_700_000_000_000],
      ['B', 1_700_000_000_000],
      ['Outside', -1],
      ['C', 1_700_000_005_500],
    ])
  })

  it('are off by default', async () => {
    const client = testClient(server)
    await client.track('A', undefined, { device_id: 'device-0001' }).promise
    expect(server.accepted[0]).not.toHaveProperty('session_id')
  })
})

describe('observability', () => {
  it('emits requests, responses and retries, and counts them in stats', async () => {
    server.enqueue({ status: 502, body: serverErrorBody(502) })
    const client = testClient(server)
    const requests: RequestInfo[] = []
    const responses: ResponseInfo[] = []
    client.on('request', (info) => requests.push(info))
    client.on('response', (info) => responses.push(info))
    client.on('retry', () => undefined)
    await client.track('Seen', undefined, user(1)).promise
    expect(requests).toMatchObject([
      { requestId: 1, url: server.url, events: 1 },
      { requestId: 2, events: 1 },
    ])
    expect(responses).toMatchObject([
      { requestId: 1, status: 502, verdict: 'retry' },
      { requestId: 2, status: 200, verdict: 'ok' },
    ])
    expect(client.stats()).toMatchObject({
      tracked: 1,
      delivered: 1,
      retried: 1,
      requests: 2,
      queuedEvents: 0,
    })
  })

  it('keeps tracked = delivered + dropped + held', async () => {
    const client = testClient(server)
    client.track('Ok', undefined, user(1))
    client.track('Bad', undefined, { user_id: 'null' })
    await client.flush().promise
    const stats = client.stats()
    expect(stats.tracked).toBe(
      stats.delivered + stats.droppedTotal + stats.queuedEvents + stats.inFlightEvents,
    )
  })
})

describe('calls before init()', () => {
  it('are kept and processed by init(), as in the official SDK', async () => {
    const client = createInstance()
    const handle = client.track('Early', undefined, user(1))
    expect(handle.insertId).toBeDefined()
    client.init(API_KEY, {
      serverUrl: server.url,
      env: {},
      exitHooks: false,
      flushIntervalMillis: 20,
      logLevel: LogLevel.None,
    })
    const result = await handle.promise
    expect(result.code).toBe(200)
    expect(server.accepted[0]?.insert_id).toBe(handle.insertId)
  })
})

describe('plugins', () => {
  it('run before → enrichment, may drop events, and destinations get a copy', async () => {
    const seen: string[] = []
    const before: Plugin = {
      name: 'tag',
      type: 'before',
      execute: async (event) => ({
        ...event,
        event_properties: { ...event.event_properties, tagged: true },
      }),
    }
    const filter: Plugin = {
      name: 'filter',
      type: 'enrichment',
      execute: async (event) => (event.event_type === 'Secret' ? null : event),
    }
    const destination: Plugin = {
      name: 'mirror',
      type: 'destination',
      execute: async (event) => {
        seen.push(event.event_type)
        return { event, code: 200, message: 'mirrored' } satisfies Result
      },
    }
    const client = testClient(server)
    await client.add(before).promise
    await client.add(filter).promise
    await client.add(destination).promise
    const secret = client.track('Secret', undefined, user(1))
    client.track('Public', { a: 1 }, user(1))
    await client.flush().promise
    expect(await secret.promise).toMatchObject({ code: 0, reason: 'filtered' })
    expect(server.accepted).toMatchObject([
      { event_type: 'Public', event_properties: { a: 1, tagged: true } },
    ])
    expect(seen).toEqual(['Public'])
  })
})

describe('identify, groupIdentify, setGroup and revenue', () => {
  it('send the same events as the official SDK builds', async () => {
    const client = testClient(server)
    client.identify(new Identify().set('plan', 'pro'), user(1))
    client.groupIdentify('org', 'acme', new Identify().set('size', 10), user(1))
    client.setGroup('org', ['acme', 'beta'], user(1))
    await client.flush().promise
    expect(server.accepted).toMatchObject([
      { event_type: '$identify', user_properties: { $set: { plan: 'pro' } } },
      {
        event_type: '$groupidentify',
        groups: { org: 'acme' },
        group_properties: { $set: { size: 10 } },
      },
      {
        event_type: '$identify',
        groups: { org: ['acme', 'beta'] },
        user_properties: { $set: { org: ['acme', 'beta'] } },
      },
    ])
  })
})

describe('verify()', () => {
  it('accepts a known key: the endpoint refuses the deliberately invalid event', async () => {
    server.respond((request) =>
      request.apiKey === API_KEY
        ? {
            status: 400,
            body: {
              code: 400,
              error: 'Invalid field values on some events',
              events_with_invalid_fields: { time: [0] },
            },
          }
        : { status: 400, body: { code: 400, error: `Invalid API key: ${request.apiKey}` } },
    )
    const good = testClient(server)
    expect(await good.verify()).toMatchObject({ ok: true, status: 400 })
    const bad = createInstance()
    bad.init('wrong-key-123456', {
      serverUrl: server.url,
      env: {},
      exitHooks: false,
      logLevel: LogLevel.None,
    })
    const result = await bad.verify()
    expect(result).toMatchObject({ ok: false, reason: 'invalid_api_key' })
    expect(result.message).not.toContain('wrong-key-123456')
  })

  it('reports an endpoint that ingests an invalid event as unexpected', async () => {
    const client = testClient(server)
    expect(await client.verify()).toMatchObject({
      ok: false,
      reason: 'unexpected_response',
      status: 200,
    })
  })

  it('reports an unreachable endpoint', async () => {
    const client = testClient(server)
    await server.stop()
    expect(await client.verify()).toMatchObject({ ok: false, reason: 'unreachable', status: 0 })
  })
})

describe('exit hooks', () => {
  class FakeProcess extends EventEmitter implements ProcessLike {
    readonly pid = 4242
    readonly kills: string[] = []
    kill(_pid: number, signal: string): boolean {
      this.kills.push(signal)
      return true
    }
  }

  it('flush on beforeExit', async () => {
    const proc = new FakeProcess()
    const client = testClient(server, {
      flushIntervalMillis: 600_000,
      exitHooks: {},
      hooks: { process: proc },
    })
    const handle = client.track('Exit', undefined, user(1))
    proc.emit('beforeExit', 0)
    await handle.promise
    expect(server.accepted).toHaveLength(1)
  })

  it('shut down on SIGTERM when asked, then re-raise the signal', async () => {
    const proc = new FakeProcess()
    const client = testClient(server, {
      flushIntervalMillis: 600_000,
      exitHooks: { signals: ['SIGTERM'], timeoutMs: 2000 },
      hooks: { process: proc },
    })
    const handle = client.track('Term', undefined, user(1))
    proc.emit('SIGTERM')
    expect((await handle.promise).code).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(proc.kills).toEqual(['SIGTERM'])
    expect(proc.listenerCount('SIGTERM')).toBe(0)
  })

  it('leave signals alone by default', () => {
    const proc = new FakeProcess()
    testClient(server, { exitHooks: {}, hooks: { process: proc } })
    expect(proc.listenerCount('SIGTERM')).toBe(0)
    expect(proc.listenerCount('beforeExit')).toBe(1)
  })
})
