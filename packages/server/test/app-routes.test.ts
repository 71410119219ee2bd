import { describe, expect, it } from 'vitest'
import { createServerApp, type ServerAppOptions } from '../src/app.ts'
import {
  basicAuth,
  event,
  json,
  ORIGIN,
  OTHER_PROJECT,
  PROJECT,
  postJson,
  streamingPost,
  testApp,
} from './helpers/app-fixture.ts'
import { RecordingStore } from './helpers/recording-store.ts'

const KEY = PROJECT.apiKey

describe('routing', () => {
  it('answers an unknown ingestion path with Invalid request path', async () => {
    const { app } = await testApp()
    for (const path of ['/', '/2/httpapi/extra', '/httpapi', '/batch2']) {
      const response = await app.handle(postJson(path, { api_key: KEY, events: [event()] }))
      expect(response.status).toBe(400)
      expect(await json(response)).toEqual({ code: 400, error: 'Invalid request path' })
    }
  })

  it('answers an unknown query API path with 404', async () => {
    const { app } = await testApp()
    const response = await app.handle(new Request(`${ORIGIN}/api/2/nothing`))
    expect(response.status).toBe(404)
    expect(await json(response)).toEqual({ code: 404, error: 'Not Found' })
  })

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    const { app } = await testApp()
    const response = await app.handle(new Request(`${ORIGIN}/2/httpapi`))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
    expect(await json(response)).toEqual({ code: 405, error: 'Method Not Allowed' })
  })

  it('answers a method named like an object property with 405, not a crash', async () => {
    const { app } = await testApp()
    const response = await app.handle(new Request(`${ORIGIN}/2/httpapi`, { method: 'constructor' }))
    expect(response.status).toBe(405)
  })

  it('answers a CORS preflight so browser SDKs can send to the local server', async () => {
    const { app } = await testApp()
    const response = await app.handle(new Request(`${ORIGIN}/2/httpapi`, { method: 'OPTIONS' }))
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('access-control-allow-methods')).toContain('POST')
  })

  it('answers health without faults enabled, and hides the fault API', async () => {
    const { app } = await testApp()
    const health = await app.handle(new Request(`${ORIGIN}/_ampkit/health`))
    expect(await json(health)).toEqual({ code: 200, status: 'ok' })
    const faults = await app.handle(new Request(`${ORIGIN}/_ampkit/faults`))
    expect(faults.status).toBe(404)
  })
})

describe('request log', () => {
  it('writes one line per request with method, path, status, time and events, never a key', async () => {
    const { app, lines } = await testApp()
    await app.handle(postJson('/batch', { api_key: KEY, events: [event(), event()] }))
    await app.handle(
      new Request(`${ORIGIN}/identify?api_key=${KEY}&identification=%7B%7D`, { method: 'GET' }),
    )
    await app.handle(postJson('/batch', { api_key: 'wrong-secret-key', events: [event()] }))
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^POST \/batch 200 \d+ms events=2$/)
    expect(lines[1]).toMatch(/^GET \/identify 400 \d+ms/)
    expect(lines[2]).toMatch(/^POST \/batch 400 \d+ms events=1$/)
    const all = lines.join('\n')
    expect(all).not.toContain(KEY)
    expect(all).not.toContain('wrong-secret-key')
  })
})

describe('inspection APIs', () => {
  it('answers 401 without credentials and for a malformed header', async () => {
    const { app } = await testApp()
    const none = await app.handle(new Request(`${ORIGIN}/api/2/usersearch?user=u`))
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/)
    expect((await json(none)).code).toBe(401)
    for (const header of ['Bearer abc', 'Basic !!!', `Basic ${btoa('no-colon')}`]) {
      const response = await app.handle(
        new Request(`${ORIGIN}/api/2/usersearch?user=u`, { headers: { authorization: header } }),
      )
      expect(response.status).toBe(401)
    }
  })

  it('answers 403 for keys of no project, and for one project key with another secret', async () => {
    const { app } = await testApp()
    for (const header of [
      basicAuth('nope', 'nope'),
      basicAuth(PROJECT.apiKey, OTHER_PROJECT.secretKey),
    ]) {
      const response = await app.handle(
        new Request(`${ORIGIN}/api/2/usersearch?user=u`, { headers: { authorization: header } }),
      )
      expect(response.status).toBe(403)
      expect(await json(response)).toEqual({ code: 403, error: 'Invalid API Key' })
    }
  })

  it('delegates a user search to the store for the authenticated project', async () => {
    const { app, store } = await testApp()
    const response = await app.handle(
      new Request(`${ORIGIN}/api/2/usersearch?user=user-0001`, {
        headers: { authorization: basicAuth(OTHER_PROJECT.apiKey, OTHER_PROJECT.secretKey) },
      }),
    )
    expect(await json(response)).toEqual({ type: 'nomatch', matches: [] })
    expect(store.searches).toEqual([{ projectId: 8, query: 'user-0001' }])
  })

  it('requires the user parameter', async () => {
    const { app } = await testApp()
    const auth = { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) }
    for (const path of ['/api/2/usersearch', '/api/2/useractivity?user=']) {
      const response = await app.handle(new Request(`${ORIGIN}${path}`, { headers: auth }))
      expect(response.status).toBe(400)
      expect((await json(response)).code).toBe(400)
    }
  })

  it('finds an ingested user and passes activity paging to the store, with defaults and the cap', async () => {
    const { app, store } = await testApp()
    const events = [event({ event_type: 'First' }), event({ event_type: 'Second' })]
    expect((await app.handle(postJson('/batch', { api_key: KEY, events }))).status).toBe(200)
    const auth = { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) }
    const search = await json(
      await app.handle(new Request(`${ORIGIN}/api/2/usersearch?user=user-0001`, { headers: auth })),
    )
    expect(search).toMatchObject({
      type: 'match_user_or_device_id',
      matches: [{ user_id: 'user-0001', last_device_id: 'device-0001' }],
    })
    const id = (search.matches as Array<{ amplitude_id: number }>)[0]!.amplitude_id
    const latest = await app.handle(
      new Request(`${ORIGIN}/api/2/useractivity?user=${id}`, { headers: auth }),
    )
    expect(latest.status).toBe(200)
    const body = await json(latest)
    expect(body.userData).toMatchObject({ user_id: 'user-0001', canonical_amplitude_id: id })
    expect((body.events as Array<{ event_type: string }>).map((e) => e.event_type)).toEqual([
      'Second',
      'First',
    ])
    const paged = await json(
      await app.handle(
        new Request(
          `${ORIGIN}/api/2/useractivity?user=${id}&offset=1&limit=5000&direction=earliest`,
          { headers: auth },
        ),
      ),
    )
    expect((paged.events as Array<{ event_type: string }>).map((e) => e.event_type)).toEqual([
      'Second',
    ])
    expect(store.activityQueries.map((q) => q.query)).toEqual([
      { amplitudeId: id, offset: 0, limit: 1000, direction: 'latest' },
      { amplitudeId: id, offset: 1, limit: 1000, direction: 'earliest' },
    ])
  })

  it('answers 404 for an unknown Amplitude id and 400 for bad parameters', async () => {
    const { app } = await testApp()
    const auth = { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) }
    const unknown = await app.handle(
      new Request(`${ORIGIN}/api/2/useractivity?user=999999`, { headers: auth }),
    )
    expect(await json(unknown)).toEqual({ code: 404, error: 'User not found' })
    for (const query of ['user=abc', 'user=42&direction=sideways', 'user=42&offset=-1']) {
      const response = await app.handle(
        new Request(`${ORIGIN}/api/2/useractivity?${query}`, { headers: auth }),
      )
      expect(response.status).toBe(400)
    }
  })

  it("does not show one project's users to another project's keys", async () => {
    const { app } = await testApp()
    await app.handle(postJson('/batch', { api_key: KEY, events: [event()] }))
    const response = await app.handle(
      new Request(`${ORIGIN}/api/2/usersearch?user=user-0001`, {
        headers: { authorization: basicAuth(OTHER_PROJECT.apiKey, OTHER_PROJECT.secretKey) },
      }),
    )
    expect(await json(response)).toEqual({ type: 'nomatch', matches: [] })
  })
})

describe('upload slots', () => {
  it('leaves the body of a request waiting for a slot unread until one frees', async () => {
    const { app, store } = await testApp({ maxConcurrentUploads: 1 })
    let release = () => {}
    store.gate = new Promise((resolve) => {
      release = resolve
    })
    const first = app.handle(postJson('/batch', { api_key: KEY, events: [event()] }))
    let pulls = 0
    const payload = new TextEncoder().encode(JSON.stringify({ api_key: KEY, events: [event()] }))
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++
          controller.enqueue(payload)
          controller.close()
        },
      },
      { highWaterMark: 0 },
    )
    const second = app.handle(streamingPost('/2/httpapi', body))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(pulls).toBe(0)
    // Requests that carry no events are not held up by the slots.
    const health = await app.handle(new Request(`${ORIGIN}/_ampkit/health`))
    expect(health.status).toBe(200)
    release()
    expect((await first).status).toBe(200)
    expect((await second).status).toBe(200)
    expect(pulls).toBe(1)
    expect(store.events).toHaveLength(2)
  })
})

describe('close()', () => {
  it('waits for in-flight requests, answers later ones 503, and closes the store', async () => {
    const { app, store } = await testApp()
    let release = () => {}
    store.gate = new Promise((resolve) => {
      release = resolve
    })
    const inFlight = app.handle(postJson('/batch', { api_key: KEY, events: [event()] }))
    await new Promise((resolve) => setTimeout(resolve, 10))
    const closing = app.close()
    const late = await app.handle(postJson('/batch', { api_key: KEY, events: [event()] }))
    expect(late.status).toBe(503)
    expect(await json(late)).toEqual({ code: 503, error: 'Service Unavailable' })
    expect(store.closed).toBe(false)
    release()
    expect((await inFlight).status).toBe(200)
    await closing
    expect(store.closed).toBe(true)
    expect(store.events).toHaveLength(1)
  })
})

describe('options', () => {
  async function creating(options: Partial<ServerAppOptions>): Promise<Error | undefined> {
    const store = await RecordingStore.open()
    try {
      createServerApp({ store, projects: [PROJECT], ...options })
      return undefined
    } catch (error) {
      return error as Error
    } finally {
      await store.close()
    }
  }

  it('refuses a server without projects, naming the option', async () => {
    expect((await creating({ projects: [] }))?.message).toMatch(/projects/)
  })

  it('refuses two projects with the same key without printing it', async () => {
    const error = await creating({
      projects: [PROJECT, { ...OTHER_PROJECT, apiKey: PROJECT.apiKey }],
    })
    expect(error?.name).toBe('ConfigError')
    expect(error?.message).not.toContain(PROJECT.apiKey)
  })

  it('refuses a non-positive body timeout', async () => {
    expect((await creating({ bodyTimeoutMs: 0 }))?.message).toMatch(/bodyTimeoutMs/)
  })
})
