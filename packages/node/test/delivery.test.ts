import {
  invalidApiKeyBody,
  payloadTooLargeBody,
  serverErrorBody,
  tooManyRequestsBody,
} from '@ampkit/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DropInfo, RetryInfo } from '../src/index.ts'
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

describe('delivery over HTTP', () => {
  it('delivers events with insert_id, time, event_id and library, and resolves code 200', async () => {
    const client = testClient(server, { hooks: { now: () => 1_700_000_000_000 } })
    const handle = client.track('Signed Up', { plan: 'pro' }, user(1))
    expect(handle.insertId).toMatch(/^[0-9a-f-]{36}$/)
    const result = await handle.promise
    expect(result).toMatchObject({ code: 200, message: 'Event tracked successfully' })
    expect(server.accepted).toEqual([
      {
        event_type: 'Signed Up',
        user_id: 'user-0001',
        event_properties: { plan: 'pro' },
        time: 1_700_000_000_000,
        insert_id: handle.insertId,
        event_id: 0,
        library: 'ampkit-node/0.1.0',
      },
    ])
    expect(result.event.insert_id).toBe(handle.insertId)
    expect(server.requests[0]?.apiKey).toBe(API_KEY)
  })

  it('keeps several requests in flight', async () => {
    server.respond(() => ({ okAfterMs: 100 }))
    const client = testClient(server, { flushQueueSize: 10, maxInFlightRequests: 4 })
    for (let i = 0; i < 80; i++) client.track('Tick', undefined, user(i))
    await client.flush().promise
    expect(server.accepted).toHaveLength(80)
    expect(server.maxConcurrent).toBe(4)
  })

  it('bounds batches by bytes as well as by count', async () => {
    const client = testClient(server, { maxBatchBytes: 4096, flushQueueSize: 2000 })
    for (let i = 0; i < 40; i++) client.track('Big', { blob: 'x'.repeat(500) }, user(i))
    await client.flush().promise
    expect(server.accepted).toHaveLength(40)
    expect(server.requests.length).toBeGreaterThan(5)
    for (const request of server.requests)
      expect(JSON.stringify(request.body).length).toBeLessThanOrEqual(4096)
  })

  it('gzips bodies above the threshold when asked', async () => {
    const client = testClient(server, { gzip: true, gzipMinBytes: 100 })
    for (let i = 0; i < 5; i++) client.track('Zipped', { i }, user(i))
    await client.flush().promise
    expect(server.requests.every((r) => r.gzip)).toBe(true)
    expect(server.accepted).toHaveLength(5)
  })

  it('retries a 500 with the same insert_id and counts the retry', async () => {
    server.enqueue({ status: 500, body: serverErrorBody(500) })
    const client = testClient(server)
    const handle = client.track('Paid', undefined, user(1))
    const result = await handle.promise
    expect(result.code).toBe(200)
    expect(server.requests.map((r) => r.events[0]?.insert_id)).toEqual([
      handle.insertId,
      handle.insertId,
    ])
    expect(client.stats()).toMatchObject({ delivered: 1, retried: 1, requests: 2 })
  })

  it('retries a request that hangs past its deadline', async () => {
    server.enqueue('hang')
    const client = testClient(server, { requestTimeoutMillis: 150 })
    const result = await client.track('Slow', undefined, user(1)).promise
    expect(result.code).toBe(200)
    expect(server.accepted).toHaveLength(1)
    expect(server.requests).toHaveLength(2)
  })

  it('retries a reset connection', async () => {
    server.enqueue('reset')
    const client = testClient(server)
    const result = await client.track('Reset', undefined, user(1)).promise
    expect(result.code).toBe(200)
    expect(server.accepted).toHaveLength(1)
  })

  it('resends after a reset that came after the server stored the events, with the same insert_id', async () => {
    server.enqueue('acceptThenReset')
    const client = testClient(server)
    for (let i = 0; i < 3; i++) client.track('Twice', undefined, user(i))
    await client.flush().promise
    expect(server.accepted).toHaveLength(6)
    const ids = server.accepted.map((e) => e.insert_id)
    expect(new Set(ids).size).toBe(3)
  })

  it('fails an event with code 500 when its retries run out', async () => {
    server.respond(() => ({ status: 503, body: serverErrorBody(503) }))
    const client = testClient(server, { flushMaxRetries: 2 })
    const result = await client.track('Doomed', undefined, user(1)).promise
    expect(result).toMatchObject({ code: 500, reason: 'retries_exhausted' })
    expect(result.message).toContain('Event rejected due to exceeded retry count')
    expect(server.requests).toHaveLength(3)
  })

  it('drops exactly the events a 400 lists and resends the rest in the same flush', async () => {
    server.enqueue({
      status: 400,
      body: {
        code: 400,
        error: 'Invalid field values on some events',
        events_with_invalid_fields: { time: [1] },
      },
    })
    const client = testClient(server, { flushIntervalMillis: 60_000 })
    const handles = [0, 1, 2].map((i) => client.track(`E${i}`, undefined, user(i)))
    await client.flush().promise
    const results = await Promise.all(handles.map((h) => h.promise))
    expect(results.map((r) => [r.code, r.reason])).toEqual([
      [200, undefined],
      [400, 'invalid_event'],
      [200, undefined],
    ])
    expect(server.accepted.map((e) => e.event_type)).toEqual(['E0', 'E2'])
  })

  it('fails the batch on an invalid API key and never reveals the key', async () => {
    server.respond(() => ({ status: 400, body: invalidApiKeyBody(API_KEY) }))
    const client = testClient(server, { flushIntervalMillis: 60_000 })
    const drops: DropInfo[] = []
    const messages: string[] = []
    client.on('drop', (info) => drops.push(info))
    client.on('response', (info) => messages.push(info.message ?? ''))
    const handle = client.track('Nope', undefined, user(1))
    await client.flush().promise
    const result = await handle.promise
    expect(result).toMatchObject({ code: 400, reason: 'invalid_api_key' })
    expect(result.message).toContain('Invalid API key')
    const surfaced = JSON.stringify({ result, drops, messages, stats: client.stats() })
    expect(surfaced).not.toContain(API_KEY)
    expect(drops).toMatchObject([
      { reason: 'invalid_api_key', events: 1, insertIds: [handle.insertId] },
    ])
    expect(server.requests).toHaveLength(1)
  })

  it('fails the batch on missing_field', async () => {
    server.enqueue({
      status: 400,
      body: { code: 400, error: 'Request missing required field', missing_field: 'api_key' },
    })
    const client = testClient(server)
    const result = await client.track('Nope', undefined, user(1)).promise
    expect(result).toMatchObject({ code: 400, reason: 'missing_field' })
    expect(result.message).toContain('missing_field: api_key')
  })

  it('splits a batch on 413 and keeps its batch size for later batches', async () => {
    server.respond((request) =>
      request.events.length > 2 ? { status: 413, body: payloadTooLargeBody() } : undefined,
    )
    const client = testClient(server, { flushQueueSize: 8, flushIntervalMillis: 60_000 })
    for (let i = 0; i < 8; i++) client.track('Split', undefined, user(i))
    await client.flush().promise
    expect(server.accepted).toHaveLength(8)
    server.respond(undefined)
    const before = server.requests.length
    for (let i = 0; i < 8; i++) client.track('After', undefined, user(i))
    await client.flush().promise
    expect(server.requests.slice(before).map((r) => r.events.length)).toEqual([8])
  })

  it('fails a single event that is too large on its own (413) and delivers the others', async () => {
    server.respond((request) =>
      request.events.some((e) => e.event_type === 'Huge')
        ? { status: 413, body: payloadTooLargeBody() }
        : undefined,
    )
    const client = testClient(server, { flushIntervalMillis: 60_000 })
    const handles = ['A', 'Huge', 'B', 'C'].map((type, i) => client.track(type, undefined, user(i)))
    await client.flush().promise
    const results = await Promise.all(handles.map((h) => h.promise))
    expect(results.map((r) => r.reason ?? r.code)).toEqual([200, 'payload_too_large', 200, 200])
  })

  it('refuses an event larger than a request before sending it', async () => {
    const client = testClient(server, { maxBatchBytes: 2048 })
    const result = await client.track('Huge', { blob: 'x'.repeat(4000) }, user(1)).promise
    expect(result).toMatchObject({ code: 0, reason: 'payload_too_large' })
    expect(server.requests).toHaveLength(0)
  })

  it('holds back only a throttled user after a 429, honouring Retry-After, while others flow', async () => {
    let throttledOnce = false
    server.respond((request) => {
      const slow = request.events.findIndex((e) => e.user_id === 'user-slow')
      if (slow >= 0 && !throttledOnce) {
        throttledOnce = true
        return {
          status: 429,
          headers: { 'retry-after': '0.3' },
          body: tooManyRequestsBody({
            throttledUsers: { 'user-slow': 31 },
            throttledEvents: [slow],
          }),
        }
      }
      return undefined
    })
    const client = testClient(server, { flushIntervalMillis: 60_000 })
    const retries: RetryInfo[] = []
    client.on('retry', (info) => retries.push(info))
    const slow = client.track('Slow 1', undefined, { user_id: 'user-slow' })
    client.track('Fast 1', undefined, { user_id: 'user-fast' })
    await client.flush().promise
    // Fast 1 was resent at once; later events of the throttled user wait behind it, others go.
    expect(retries).toMatchObject([{ reason: 'throttled', delayMs: 300, events: 1 }])
    expect((await slow.promise).code).toBe(200)
    const order = server.accepted.map((e) => e.event_type)
    expect(order.indexOf('Fast 1')).toBeLessThan(order.indexOf('Slow 1'))
  })

  it('does not let a throttled user block others tracked while it waits', async () => {
    let throttled = false
    server.respond((request) => {
      const index = request.events.findIndex((e) => e.user_id === 'user-slow')
      if (index >= 0 && !throttled) {
        throttled = true
        return {
          status: 429,
          headers: { 'retry-after': '1' },
          body: tooManyRequestsBody({
            throttledUsers: { 'user-slow': 31 },
            throttledEvents: [index],
          }),
        }
      }
      return undefined
    })
    const client = testClient(server)
    const slow1 = client.track('Slow 1', undefined, { user_id: 'user-slow' })
    await new Promise((resolve) => client.once('retry', resolve))
    const slow2 = client.track('Slow 2', undefined, { user_id: 'user-slow' })
    const fast = client.track('Fast 2', undefined, { user_id: 'user-fast' })
    expect((await fast.promise).code).toBe(200)
    expect([slow1.settled, slow2.settled]).toEqual([false, false])
    await client.flush().promise
    expect(server.accepted.map((e) => e.event_type)).toEqual(['Fast 2', 'Slow 1', 'Slow 2'])
  })

  it('drops only the daily-quota users on 429 and delivers the others', async () => {
    server.enqueue({
      status: 429,
      body: tooManyRequestsBody({
        exceededDailyQuotaUsers: { 'user-0001': 500_100 },
        throttledEvents: [1],
      }),
    })
    const client = testClient(server, { flushIntervalMillis: 60_000 })
    const handles = [0, 1, 2].map((i) => client.track('Q', undefined, user(i)))
    await client.flush().promise
    const results = await Promise.all(handles.map((h) => h.promise))
    expect(results.map((r) => r.reason ?? r.code)).toEqual([200, 'daily_quota', 200])
    expect(client.stats().dropped).toEqual({ daily_quota: 1 })
  })

  it('loses nothing while the endpoint refuses connections for a while', async () => {
    const client = testClient(server, {
      retryBaseDelayMs: 20,
      retryMaxDelayMs: 400,
      flushQueueSize: 25,
    })
    await server.stop()
    const handles = []
    for (let i = 0; i < 100; i++) {
      handles.push(client.track('Outage', { i }, user(i)))
      if (i % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await new Promise((resolve) => setTimeout(resolve, 800))
    expect(client.stats().delivered).toBe(0)
    await server.restart()
    await client.flush().promise
    const results = await Promise.all(handles.map((h) => h.promise))
    expect(results.every((r) => r.code === 200)).toBe(true)
    const arrived = new Map(server.accepted.map((e) => [e.insert_id, e]))
    expect(arrived.size).toBe(100)
    for (const handle of handles) expect(arrived.has(handle.insertId)).toBe(true)
    expect(client.stats()).toMatchObject({ delivered: 100, droppedTotal: 0, queuedEvents: 0 })
  })
})
