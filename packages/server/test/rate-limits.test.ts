import { describe, expect, it } from 'vitest'
import { RateLimiter } from '../src/rate-limiter.ts'
import { event, json, PROJECT, postJson, testApp } from './helpers/app-fixture.ts'

const KEY = PROJECT.apiKey

function burst(count: number, overrides: Record<string, unknown>) {
  return Array.from({ length: count }, () => event(overrides))
}

describe('per-user and per-device rate limits', () => {
  it('throttles a device past 30 EPS averaged over 30 s on HTTP V2, rejecting the whole request', async () => {
    let now = 1_000_000_000_000
    const { app, store } = await testApp({ now: () => now })
    // 900 events in a 30 s window is exactly 30 EPS: allowed.
    const first = await app.handle(
      postJson('/2/httpapi', { api_key: KEY, events: burst(900, { device_id: 'busy-device' }) }),
    )
    expect(first.status).toBe(200)
    now += 1000
    const events = [
      event({ user_id: 'calm-user-1', device_id: 'calm-device' }),
      event({ user_id: 'calm-user-2', device_id: 'busy-device' }),
      event({ user_id: 'calm-user-3', device_id: 'busy-device' }),
    ]
    const second = await app.handle(postJson('/2/httpapi', { api_key: KEY, events }))
    expect(second.status).toBe(429)
    expect(await json(second)).toEqual({
      code: 429,
      error: 'Too many requests for some devices and users',
      eps_threshold: 30,
      throttled_devices: { 'busy-device': 31 },
      throttled_users: {},
      throttled_events: [1, 2],
    })
    expect(store.events).toHaveLength(900)
  })

  it('throttles users too, and lets the same rate through on Batch', async () => {
    const now = 1_000_000_000_000
    const { app } = await testApp({ now: () => now })
    const events = burst(1000, { user_id: 'chatty-user', device_id: undefined })
    const v2 = await app.handle(postJson('/2/httpapi', { api_key: KEY, events }))
    expect(v2.status).toBe(429)
    expect(await json(v2)).toMatchObject({ throttled_users: { 'chatty-user': 34 } })
    const batch = await app.handle(postJson('/batch', { api_key: KEY, events }))
    expect(batch.status).toBe(200)
  })

  it('trips Batch at 30,000 events for one user within 30 s', async () => {
    let now = 1_000_000_000_000
    const { app } = await testApp({ now: () => now })
    for (let i = 0; i < 15; i++) {
      const events = burst(2000, { user_id: 'bulk-user', device_id: undefined })
      const response = await app.handle(postJson('/batch', { api_key: KEY, events }))
      expect(response.status).toBe(200)
      now += 100
    }
    const more = await app.handle(
      postJson('/batch', { api_key: KEY, events: burst(1, { user_id: 'bulk-user' }) }),
    )
    expect(await json(more)).toMatchObject({ code: 429, eps_threshold: 1000 })
  })

  it('lets a throttled device send again once its window has passed', async () => {
    let now = 1_000_000_000_000
    const { app } = await testApp({ now: () => now })
    const events = burst(900, { device_id: 'busy-device' })
    expect((await app.handle(postJson('/2/httpapi', { api_key: KEY, events }))).status).toBe(200)
    const again = postJson('/2/httpapi', {
      api_key: KEY,
      events: burst(10, { device_id: 'busy-device' }),
    })
    expect((await app.handle(again)).status).toBe(429)
    now += 61_000
    const later = postJson('/2/httpapi', {
      api_key: KEY,
      events: burst(10, { device_id: 'busy-device' }),
    })
    expect((await app.handle(later)).status).toBe(200)
  })

  it('applies an opt-in Batch daily quota with the exceeded_daily_quota maps', async () => {
    let now = 1_000_000_000_000
    const { app, store } = await testApp({
      now: () => now,
      rateLimits: { batchDailyQuotaEvents: 3000 },
    })
    const user = { user_id: 'heavy-user', device_id: undefined }
    const first = await app.handle(postJson('/batch', { api_key: KEY, events: burst(2000, user) }))
    expect(first.status).toBe(200)
    now += 60 * 60 * 1000
    const events = [event({ user_id: 'light-user' }), ...burst(1500, user)]
    const second = await app.handle(postJson('/batch', { api_key: KEY, events }))
    expect(second.status).toBe(429)
    const body = await json(second)
    expect(body).toMatchObject({
      code: 429,
      eps_threshold: 1000,
      throttled_users: {},
      exceeded_daily_quota_users: { 'heavy-user': 3500 },
      exceeded_daily_quota_devices: {},
    })
    expect(body.throttled_events).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1))
    expect(store.events).toHaveLength(2000)
    now += 2 * 24 * 60 * 60 * 1000
    const later = await app.handle(postJson('/batch', { api_key: KEY, events: burst(1500, user) }))
    expect(later.status).toBe(200)
  })

  it('has no daily quota unless asked', async () => {
    let now = 1_000_000_000_000
    const { app } = await testApp({ now: () => now })
    for (let i = 0; i < 3; i++) {
      const events = burst(2000, { user_id: 'heavy-user', device_id: undefined })
      expect((await app.handle(postJson('/batch', { api_key: KEY, events }))).status).toBe(200)
      now += 60_000
    }
  })

  it('can be switched off', async () => {
    const { app } = await testApp({ rateLimits: false })
    const events = burst(2000, { device_id: 'busy-device' })
    expect((await app.handle(postJson('/2/httpapi', { api_key: KEY, events }))).status).toBe(200)
  })

  it('takes custom limits', async () => {
    const { app } = await testApp({ rateLimits: { httpV2EpsLimit: 1, windowMs: 10_000 } })
    const events = burst(11, { device_id: 'busy-device' })
    expect((await app.handle(postJson('/2/httpapi', { api_key: KEY, events }))).status).toBe(429)
  })
})

describe('RateLimiter memory', () => {
  it('evicts idle keys and never tracks more than its cap', () => {
    const limiter = new RateLimiter({ epsLimit: 30, windowMs: 1000, maxTrackedKeys: 100 })
    let now = 0
    for (let i = 0; i < 1000; i++) limiter.record(new Map([[`key-${i}`, 1]]), now)
    expect(limiter.trackedKeys).toBe(100)
    now += 5000
    limiter.record(new Map([['fresh', 1]]), now)
    expect(limiter.trackedKeys).toBe(1)
  })
})
