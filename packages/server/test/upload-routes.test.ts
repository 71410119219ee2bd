import { gzipSync } from 'node:zlib'
import {
  MAX_BATCH_REQUEST_BYTES,
  MAX_EVENTS_PER_REQUEST,
  MAX_HTTP_V2_REQUEST_BYTES,
} from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
import {
  activityOf,
  event,
  json,
  ORIGIN,
  PROJECT,
  postJson,
  streamingPost,
  testApp,
} from './helpers/app-fixture.ts'

const KEY = PROJECT.apiKey

describe('POST /2/httpapi and /batch', () => {
  it.each(['/2/httpapi', '/batch'])(
    'accepts valid events on %s with the four-field 200 body',
    async (path) => {
      const now = 1_700_000_000_000
      const { app, store } = await testApp({ now: () => now })
      const body = { api_key: KEY, events: [event(), event({ event_type: 'Signed Up' })] }
      const response = await app.handle(postJson(path, body))
      expect(response.status).toBe(200)
      expect(await json(response)).toEqual({
        code: 200,
        events_ingested: 2,
        payload_size_bytes: JSON.stringify(body).length,
        server_upload_time: now,
      })
      expect(store.events.map((e) => e.event.event_type)).toEqual(['Page Viewed', 'Signed Up'])
      expect(store.events[0]?.context).toMatchObject({ projectId: 7, path, receivedAtMs: now })
    },
  )

  it('accepts a JSON content type with a charset, and no content type at all', async () => {
    const { app } = await testApp()
    const withCharset = postJson(
      '/2/httpapi',
      { api_key: KEY, events: [event()] },
      {
        headers: { 'content-type': 'application/json; charset=UTF-8' },
      },
    )
    expect((await app.handle(withCharset)).status).toBe(200)
    const untyped = new Request(`${ORIGIN}/2/httpapi`, {
      method: 'POST',
      body: JSON.stringify({ api_key: KEY, events: [event()] }),
    })
    untyped.headers.delete('content-type')
    expect((await app.handle(untyped)).status).toBe(200)
  })

  it('reads gzip bodies and counts their size after decompression', async () => {
    const { app, store } = await testApp()
    const body = JSON.stringify({ api_key: KEY, events: [event()] })
    const response = await app.handle(postJson('/batch', body, { gzip: true }))
    expect(await json(response)).toMatchObject({ code: 200, payload_size_bytes: body.length })
    expect(store.events).toHaveLength(1)
  })

  it('ignores unknown envelope keys the SDKs send', async () => {
    const { app } = await testApp()
    const body = {
      api_key: KEY,
      events: [event()],
      options: {},
      client_upload_time: '2024-07-14T10:00:00.000Z',
      request_metadata: { sdk: { metrics: { histogram: {} } } },
    }
    expect((await app.handle(postJson('/2/httpapi', body))).status).toBe(200)
  })

  it('passes client_upload_time to the store as ms', async () => {
    const { app, store } = await testApp()
    const body = { api_key: KEY, events: [event()], client_upload_time: '2024-07-14T10:00:00.000Z' }
    await app.handle(postJson('/2/httpapi', body))
    expect(store.events[0]?.context.clientUploadTimeMs).toBe(Date.parse('2024-07-14T10:00:00.000Z'))
  })

  it('answers an empty body with Missing request body', async () => {
    const { app } = await testApp()
    const response = await app.handle(postJson('/2/httpapi', ''))
    expect(response.status).toBe(400)
    expect(await json(response)).toEqual({ code: 400, error: 'Missing request body' })
  })

  it('answers malformed JSON with Invalid JSON request body', async () => {
    const { app, store } = await testApp()
    const response = await app.handle(postJson('/2/httpapi', '{"api_key": "x", "events": ['))
    expect(await json(response)).toEqual({ code: 400, error: 'Invalid JSON request body' })
    expect(store.events).toHaveLength(0)
  })

  it('answers a form content type on the JSON endpoints with Invalid JSON request body', async () => {
    const { app } = await testApp()
    const request = postJson(
      '/batch',
      { api_key: KEY, events: [event()] },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
    )
    const response = await app.handle(request)
    expect(response.status).toBe(400)
    expect(await json(response)).toEqual({ code: 400, error: 'Invalid JSON request body' })
  })

  it('answers broken gzip with Invalid JSON request body', async () => {
    const { app } = await testApp()
    const request = new Request(`${ORIGIN}/2/httpapi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ api_key: KEY, events: [event()] })).subarray(0, 20),
    })
    const response = await app.handle(request)
    expect(await json(response)).toEqual({ code: 400, error: 'Invalid JSON request body' })
  })

  it('names a missing api_key, then missing events, in the missing_field body', async () => {
    const { app } = await testApp()
    const noKey = await app.handle(postJson('/2/httpapi', { events: [event()] }))
    expect(await json(noKey)).toEqual({
      code: 400,
      error: 'Request missing required field',
      missing_field: 'api_key',
    })
    const noEvents = await app.handle(postJson('/2/httpapi', { api_key: KEY }))
    expect(await json(noEvents)).toMatchObject({ code: 400, missing_field: 'events' })
  })

  it('answers an unknown key with Invalid API key and the key', async () => {
    const { app, store } = await testApp()
    const response = await app.handle(
      postJson('/batch', { api_key: 'nope-key', events: [event()] }),
    )
    expect(response.status).toBe(400)
    expect(await json(response)).toEqual({ code: 400, error: 'Invalid API key: nope-key' })
    expect(store.events).toHaveLength(0)
  })

  it('checks the key before the event count, and the count before the events', async () => {
    const { app } = await testApp()
    const tooMany = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => ({ bad: true }))
    const unknownKey = await app.handle(
      postJson('/batch', { api_key: 'nope-key', events: tooMany }),
    )
    expect(unknownKey.status).toBe(400)
    const known = await app.handle(postJson('/batch', { api_key: KEY, events: tooMany }))
    expect(known.status).toBe(413)
    expect(await json(known)).toEqual({ code: 413, error: 'Payload too large' })
  })

  it('takes exactly 2,000 events in one request', async () => {
    const { app, store } = await testApp()
    const events = Array.from({ length: MAX_EVENTS_PER_REQUEST }, (_, i) =>
      event({ device_id: `device-${i}`, user_id: `user-${i}-x` }),
    )
    const response = await app.handle(postJson('/2/httpapi', { api_key: KEY, events }))
    expect(await json(response)).toMatchObject({ code: 200, events_ingested: 2000 })
    expect(store.events).toHaveLength(2000)
  })

  it('refuses a body over 1 MB on /2/httpapi with 413, counted after gzip', async () => {
    const { app, store } = await testApp()
    const padding = 'x'.repeat(1000)
    const events = Array.from({ length: 1100 }, () => event({ event_properties: { padding } }))
    const body = JSON.stringify({ api_key: KEY, events })
    expect(body.length).toBeGreaterThan(MAX_HTTP_V2_REQUEST_BYTES)
    const compressed = gzipSync(body)
    expect(compressed.length).toBeLessThan(MAX_HTTP_V2_REQUEST_BYTES)
    const response = await app.handle(postJson('/2/httpapi', body, { gzip: true }))
    expect(response.status).toBe(413)
    expect(await json(response)).toEqual({ code: 413, error: 'Payload too large' })
    // The same body is well within the Batch limit.
    const batch = await app.handle(postJson('/batch', body, { gzip: true }))
    expect(batch.status).toBe(200)
    expect(store.events).toHaveLength(1100)
  })

  it('refuses a declared Content-Length over the cap without reading the body', async () => {
    const { app } = await testApp()
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(1024))
      },
    })
    const request = streamingPost('/batch', body, {
      'content-length': String(MAX_BATCH_REQUEST_BYTES + 1),
    })
    const response = await app.handle(request)
    expect(response.status).toBe(413)
    expect(pulled).toBeLessThanOrEqual(1)
  })

  it('stops reading an endless body at the cap', async () => {
    const { app } = await testApp()
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 64 * 1024
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20))
      },
    })
    const request = streamingPost('/2/httpapi', body)
    const response = await app.handle(request)
    expect(response.status).toBe(413)
    expect(sent).toBeLessThan(MAX_HTTP_V2_REQUEST_BYTES + 3 * 64 * 1024)
  })

  it('stops a gzip bomb at the cap with 413', async () => {
    const { app } = await testApp()
    const bomb = gzipSync(Buffer.alloc(50_000_000, 0x20))
    expect(bomb.length).toBeLessThan(100_000)
    const request = new Request(`${ORIGIN}/2/httpapi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    })
    const response = await app.handle(request)
    expect(await json(response)).toEqual({ code: 413, error: 'Payload too large' })
  })

  it('answers a body that never completes with 400 once the body deadline passes', async () => {
    const { app } = await testApp({ bodyTimeoutMs: 50 })
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"api_key":"'))
      },
    })
    const request = streamingPost('/2/httpapi', body)
    const response = await app.handle(request)
    expect(await json(response)).toEqual({ code: 400, error: 'Invalid JSON request body' })
  })

  it('answers a body stream that errors with 400', async () => {
    const { app } = await testApp()
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new Error('connection lost'))
      },
    })
    const request = streamingPost('/batch', body)
    const response = await app.handle(request)
    expect(await json(response)).toEqual({ code: 400, error: 'Missing request body' })
  })

  it('reports every invalid event by index and stores none of them', async () => {
    const { app, store } = await testApp()
    const events = [
      event(),
      event({ time: '2024-07-14T10:00:00Z' }),
      { user_id: 'user-0001' },
      event({ user_id: 'null', device_id: undefined }),
      event({ user_id: 'abc', device_id: 'xy' }),
    ]
    const response = await app.handle(postJson('/2/httpapi', { api_key: KEY, events }))
    expect(response.status).toBe(400)
    expect(await json(response)).toEqual({
      code: 400,
      error: 'Invalid field values on some events',
      events_with_invalid_fields: { time: [1], user_id: [3] },
      events_with_missing_fields: { event_type: [2] },
      events_with_invalid_id_lengths: { user_id: [4], device_id: [4] },
    })
    expect(store.events).toHaveLength(0)
  })

  it('refuses any field nested deeper than 40 levels as invalid, however deep', async () => {
    const { app, store } = await testApp()
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    const plain = JSON.stringify(event())
    const withField = (field: string, value: string) => `${plain.slice(0, -1)},"${field}":${value}}`
    const body = `{"api_key":"${KEY}","events":[${plain},${withField('extra', deep)},${withField('plan', `{"a":${deep}}`)},${withField('__proto__', deep)}]}`
    const response = await app.handle(postJson('/2/httpapi', body))
    expect(response.status).toBe(400)
    expect(await json(response)).toEqual({
      code: 400,
      error: 'Invalid field values on some events',
      events_with_invalid_fields: JSON.parse('{"extra":[1],"plan":[2],"__proto__":[3]}'),
    })
    expect(store.events).toHaveLength(0)
  })

  it('honours options.min_id_length and removes ids shorter than it', async () => {
    const { app, store } = await testApp()
    const body = {
      api_key: KEY,
      events: [event({ user_id: 'abc', device_id: 'device-0001' })],
      options: { min_id_length: 3 },
    }
    expect((await app.handle(postJson('/2/httpapi', body))).status).toBe(200)
    const short = { ...body, events: [event({ user_id: 'ab', device_id: 'device-0001' })] }
    expect((await app.handle(postJson('/2/httpapi', short))).status).toBe(200)
    expect(store.events.map((e) => e.event.user_id)).toEqual(['abc', undefined])
  })

  it('truncates strings longer than 1,024 characters instead of refusing them', async () => {
    const { app, store } = await testApp()
    const long = 'p'.repeat(3000)
    const body = { api_key: KEY, events: [event({ event_properties: { long } })] }
    expect((await app.handle(postJson('/batch', body))).status).toBe(200)
    expect(String(store.events[0]?.event.event_properties?.long)).toHaveLength(1024)
  })

  it('caps groups at 5 types of 10 values and drops a null id before storing', async () => {
    const { app, store } = await testApp()
    const groups = Object.fromEntries(
      Array.from({ length: 7 }, (_, i) => [
        `type${i}`,
        Array.from({ length: 12 }, (_, j) => `v${j}`),
      ]),
    )
    const body = { api_key: KEY, events: [event({ groups, user_id: null })] }
    expect((await app.handle(postJson('/batch', body))).status).toBe(200)
    const stored = store.events[0]!.event
    expect(Object.keys(stored.groups ?? {})).toHaveLength(5)
    expect(stored.groups?.type0).toHaveLength(10)
    expect('user_id' in stored).toBe(false)
  })

  it('reads a body that starts with a UTF-8 byte-order mark', async () => {
    const { app } = await testApp()
    const body = `\uFEFF${JSON.stringify({ api_key: KEY, events: [event()] })}`
    expect((await app.handle(postJson('/2/httpapi', body))).status).toBe(200)
  })

  it('answers 500 with the code body when the store fails, and keeps serving', async () => {
    const { app, store, errors } = await testApp()
    store.failWith = new Error('disk full')
    const failed = await app.handle(postJson('/batch', { api_key: KEY, events: [event()] }))
    expect(failed.status).toBe(500)
    expect(await json(failed)).toEqual({ code: 500, error: 'Internal Server Error' })
    expect(errors.join('\n')).toContain('disk full')
    store.failWith = undefined
    const next = await app.handle(postJson('/batch', { api_key: KEY, events: [event()] }))
    expect(next.status).toBe(200)
  })

  it('routes a key to its own project', async () => {
    const { app, store } = await testApp()
    await app.handle(postJson('/batch', { api_key: 'other-api-key-0002', events: [event()] }))
    expect(store.events[0]?.context.projectId).toBe(8)
  })
})

describe('what ingestion stores', () => {
  it('de-duplicates (device_id, insert_id) but still counts the duplicate as ingested', async () => {
    const { app } = await testApp()
    const events = [
      event({ event_type: 'Paid', insert_id: 'ins-0001' }),
      event({ event_type: 'Paid', insert_id: 'ins-0001' }),
    ]
    const response = await app.handle(postJson('/batch', { api_key: KEY, events }))
    expect(await json(response)).toMatchObject({ code: 200, events_ingested: 2 })
    const again = await app.handle(postJson('/2/httpapi', { api_key: KEY, events: [events[0]] }))
    expect(await json(again)).toMatchObject({ code: 200, events_ingested: 1 })
    const { events: stored } = await activityOf(app, 'user-0001')
    expect(stored.map((e) => e.$insert_id)).toEqual(['ins-0001'])
  })

  it('stores each event with the user properties as of that event and the path it came through', async () => {
    const { app } = await testApp()
    const events = [
      event({ event_type: 'Before' }),
      event({ event_type: '$identify', user_properties: { $set: { plan: 'pro' } } }),
      event({ event_type: 'After' }),
    ]
    await app.handle(postJson('/2/httpapi', { api_key: KEY, events }))
    const { events: stored } = await activityOf(app, 'user-0001')
    const byType = Object.fromEntries(stored.map((e) => [e.event_type, e]))
    expect(byType.Before?.user_properties).toEqual({})
    expect(byType.After?.user_properties).toEqual({ plan: 'pro' })
    expect(byType.After?.data).toMatchObject({ path: '/2/httpapi' })
    expect(byType.After?.app).toBe(PROJECT.id)
  })

  it('keeps concurrent requests apart and loses none of them', async () => {
    const { app } = await testApp({ rateLimits: false })
    const requests = Array.from({ length: 20 }, (_, r) =>
      app.handle(
        postJson('/batch', {
          api_key: KEY,
          events: Array.from({ length: 50 }, (_, i) =>
            event({ event_type: `E${r}`, insert_id: `r${r}-i${i}` }),
          ),
        }),
      ),
    )
    const statuses = (await Promise.all(requests)).map((response) => response.status)
    expect(statuses.every((status) => status === 200)).toBe(true)
    const { userData } = await activityOf(app, 'user-0001')
    expect(userData.num_events).toBe(1000)
  })
})
