import { describe, expect, it } from 'vitest'
import { isConnectionReset } from '../src/app.ts'
import { event, json, ORIGIN, PROJECT, postJson, testApp } from './helpers/app-fixture.ts'

const KEY = PROJECT.apiKey

function addRule(rule: unknown): Request {
  return postJson('/_ampkit/faults', rule)
}

function upload(path = '/2/httpapi', events = [event()]): Request {
  return postJson(path, { api_key: KEY, events })
}

describe('fault injection', () => {
  it('answers the next N requests of a path with the chosen 5xx, then serves normally', async () => {
    const { app, store } = await testApp({ faults: true })
    const added = await app.handle(
      addRule({ kind: 'error', path: '/2/httpapi', status: 502, count: 2 }),
    )
    expect(added.status).toBe(201)
    expect(await json(added)).toEqual({
      code: 201,
      rule: {
        id: 1,
        kind: 'error',
        path: '/2/httpapi',
        status: 502,
        count: 2,
        remaining: 2,
        injected: 0,
      },
    })
    const batch = await app.handle(upload('/batch'))
    expect(batch.status).toBe(200)
    for (let i = 0; i < 2; i++) {
      const response = await app.handle(upload())
      expect(response.status).toBe(502)
      expect(await json(response)).toEqual({ code: 502, error: 'Internal Server Error' })
    }
    expect((await app.handle(upload())).status).toBe(200)
    expect(store.events).toHaveLength(2)
  })

  it('uses a 503 with Service Unavailable by default, and a custom body when given', async () => {
    const { app, lines } = await testApp({ faults: true })
    await app.handle(addRule({ kind: 'error' }))
    expect(await json(await app.handle(upload()))).toEqual({
      code: 503,
      error: 'Service Unavailable',
    })
    await app.handle(addRule({ kind: 'error', status: 500, body: { error: 'boom' } }))
    expect(await json(await app.handle(upload()))).toEqual({ code: 500, error: 'boom' })
    expect(lines.at(-1)).toMatch(/^POST \/2\/httpapi 500 \d+ms fault=error$/)
  })

  it('answers 429 with the chosen throttled users, the indices of their events and Retry-After', async () => {
    const { app, store } = await testApp({ faults: true })
    await app.handle(
      addRule({
        kind: 'throttle',
        path: '/batch',
        throttledUsers: { 'user-hot-1': 31 },
        exceededDailyQuotaDevices: { 'device-spam': 500200 },
        retryAfterSeconds: 15,
      }),
    )
    const events = [
      event({ user_id: 'user-calm' }),
      event({ user_id: 'user-hot-1' }),
      event({ user_id: 'user-calm', device_id: 'device-spam' }),
    ]
    const response = await app.handle(upload('/batch', events))
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('15')
    expect(await json(response)).toEqual({
      code: 429,
      error: 'Too many requests for some devices and users',
      eps_threshold: 1000,
      throttled_devices: {},
      throttled_users: { 'user-hot-1': 31 },
      throttled_events: [1, 2],
      exceeded_daily_quota_devices: { 'device-spam': 500200 },
    })
    expect(store.events).toHaveLength(0)
  })

  it('answers 413 and 400 with a given body', async () => {
    const { app } = await testApp({ faults: true })
    await app.handle(addRule({ kind: 'too-large' }))
    expect(await json(await app.handle(upload()))).toEqual({
      code: 413,
      error: 'Payload too large',
    })
    const body = {
      error: 'Invalid field values on some events',
      events_with_invalid_fields: { time: [0] },
    }
    await app.handle(addRule({ kind: 'bad-request', body }))
    expect(await json(await app.handle(upload()))).toEqual({ code: 400, ...body })
  })

  it('resets the connection: in-process the response is marked for the adapter', async () => {
    const { app } = await testApp({ faults: true })
    await app.handle(addRule({ kind: 'reset' }))
    const response = await app.handle(upload())
    expect(isConnectionReset(response)).toBe(true)
    expect(isConnectionReset(await app.handle(upload()))).toBe(false)
  })

  it('holds a request for delayMs and then answers it normally', async () => {
    const { app, store } = await testApp({ faults: true })
    await app.handle(addRule({ kind: 'hang', delayMs: 30, afterDelay: 'answer' }))
    const response = await app.handle(upload())
    expect(response.status).toBe(200)
    expect(store.events).toHaveLength(1)
  })

  it('drops a held request when close() is called instead of delaying shutdown', async () => {
    const { app, store } = await testApp({ faults: true })
    await app.handle(addRule({ kind: 'hang', delayMs: 3_600_000 }))
    const held = app.handle(upload())
    await new Promise((resolve) => setTimeout(resolve, 10))
    await app.close()
    expect(isConnectionReset(await held)).toBe(true)
    expect(store.closed).toBe(true)
  })

  it('applies a share of requests with a seeded generator, the same way every run', async () => {
    async function pattern(): Promise<number[]> {
      const { app } = await testApp({ faults: true, rateLimits: false })
      await app.handle(addRule({ kind: 'error', share: 0.5, seed: 42 }))
      const statuses: number[] = []
      for (let i = 0; i < 20; i++) statuses.push((await app.handle(upload())).status)
      return statuses
    }
    const first = await pattern()
    expect(first).toEqual(await pattern())
    expect(first.filter((s) => s === 503).length).toBeGreaterThan(3)
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(3)
  })

  it('lists and clears rules', async () => {
    const { app } = await testApp({ faults: true })
    await app.handle(addRule({ kind: 'error', count: 5 }))
    await app.handle(addRule({ kind: 'reset', path: '/batch' }))
    const listed = await json(await app.handle(new Request(`${ORIGIN}/_ampkit/faults`)))
    expect(listed).toMatchObject({
      code: 200,
      rules: [
        { id: 1, remaining: 5 },
        { id: 2, path: '/batch' },
      ],
    })
    const one = await app.handle(new Request(`${ORIGIN}/_ampkit/faults/1`, { method: 'DELETE' }))
    expect(await json(one)).toEqual({ code: 200, cleared: 1 })
    const all = await app.handle(new Request(`${ORIGIN}/_ampkit/faults`, { method: 'DELETE' }))
    expect(await json(all)).toEqual({ code: 200, cleared: 1 })
    expect((await app.handle(upload())).status).toBe(200)
  })

  it('refuses an invalid rule, naming the field', async () => {
    const { app } = await testApp({ faults: true })
    const cases: Array<[unknown, RegExp]> = [
      [{ kind: 'explode' }, /kind/],
      [{ kind: 'error', status: 404 }, /status/],
      [{ kind: 'error', share: 2 }, /share/],
      [{ kind: 'hang', afterDelay: 'later' }, /afterDelay/],
      [{ kind: 'throttle', throttledUsers: { u: 'x' } }, /throttledUsers/],
      [[], /object/],
    ]
    for (const [rule, message] of cases) {
      const response = await app.handle(addRule(rule))
      expect(response.status).toBe(400)
      expect(String((await json(response)).error)).toMatch(message)
    }
  })

  it('never applies faults to the admin API itself', async () => {
    const { app } = await testApp({ faults: true })
    await app.handle(addRule({ kind: 'error', count: 3 }))
    expect((await app.handle(new Request(`${ORIGIN}/_ampkit/faults`))).status).toBe(200)
    expect((await app.handle(new Request(`${ORIGIN}/_ampkit/health`))).status).toBe(200)
  })
})
