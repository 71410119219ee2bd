import { describe, expect, it } from 'vitest'
import {
  activityOf,
  json,
  ORIGIN,
  PROJECT,
  postForm,
  postJson,
  testApp,
} from './helpers/app-fixture.ts'

const KEY = PROJECT.apiKey

describe('POST|GET /identify', () => {
  it('applies a form-encoded identification and answers the text success', async () => {
    const { app, store } = await testApp()
    const identification = JSON.stringify([
      {
        user_id: 'user-0001',
        device_id: 'device-0001',
        user_properties: { $set: { plan: 'pro' } },
        groups: { org: 'acme' },
      },
    ])
    const response = await app.handle(postForm('/identify', { api_key: KEY, identification }))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await response.text()).toBe('success')
    expect(store.identifications).toEqual([
      {
        identification: {
          user_id: 'user-0001',
          device_id: 'device-0001',
          user_properties: { $set: { plan: 'pro' } },
          groups: { org: 'acme' },
        },
        context: expect.objectContaining({ projectId: 7, path: '/identify' }),
      },
    ])
  })

  it('takes a single object as well as an array', async () => {
    const { app, store } = await testApp()
    const identification = JSON.stringify({ user_id: 'user-0002', user_properties: { a: 1 } })
    const response = await app.handle(postForm('/identify', { api_key: KEY, identification }))
    expect(response.status).toBe(200)
    expect(store.identifications[0]?.identification.user_id).toBe('user-0002')
  })

  it('takes the fields as GET query parameters', async () => {
    const { app, store } = await testApp()
    const identification = JSON.stringify({ user_id: 'user-0003', user_properties: { a: 1 } })
    const query = new URLSearchParams({ api_key: KEY, identification })
    const response = await app.handle(new Request(`${ORIGIN}/identify?${query}`))
    expect(await response.text()).toBe('success')
    expect(store.identifications).toHaveLength(1)
  })

  it('takes multipart/form-data', async () => {
    const { app, store } = await testApp()
    const form = new FormData()
    form.set('api_key', KEY)
    form.set('identification', JSON.stringify({ device_id: 'device-0009' }))
    const response = await app.handle(
      new Request(`${ORIGIN}/identify`, { method: 'POST', body: form }),
    )
    expect(response.status).toBe(200)
    expect(store.identifications[0]?.identification.device_id).toBe('device-0009')
  })

  it('answers 414 for a GET URL that is too long', async () => {
    const { app } = await testApp({ maxUrlLength: 2000 })
    const identification = JSON.stringify({ user_id: 'user-0003', pad: 'x'.repeat(3000) })
    const query = new URLSearchParams({ api_key: KEY, identification })
    const response = await app.handle(new Request(`${ORIGIN}/identify?${query}`))
    expect(response.status).toBe(414)
    expect(await json(response)).toEqual({ code: 414, error: 'Request-URI Too Long' })
  })

  it.each([
    ['missing', undefined],
    ['not JSON', '{user_id:'],
    ['an empty array', '[]'],
    ['a list of non-objects', '["user-0001"]'],
  ])('answers missing_event when identification is %s', async (_label, identification) => {
    const { app, store } = await testApp()
    const fields: Record<string, string> = { api_key: KEY }
    if (identification !== undefined) fields.identification = identification
    const response = await app.handle(postForm('/identify', fields))
    expect(response.status).toBe(400)
    expect(await json(response)).toEqual({ code: 400, error: 'missing_event' })
    expect(store.identifications).toHaveLength(0)
  })

  it('refuses identifications and group properties nested beyond 40 levels', async () => {
    const { app } = await testApp()
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`
    const identification = `{"user_id":"user-0001","user_properties":{"$set":{"a":${deep}}}}`
    const identify = await app.handle(postForm('/identify', { api_key: KEY, identification }))
    expect(await json(identify)).toEqual({
      code: 400,
      error: 'Invalid field values on some events',
      events_with_invalid_fields: { user_properties: [0] },
    })
    const group = `{"group_type":"org","group_value":"acme","group_properties":{"a":${deep}}}`
    const groupResponse = await app.handle(
      postForm('/groupidentify', { api_key: KEY, identification: group }),
    )
    expect(groupResponse.status).toBe(400)
    expect(await json(groupResponse)).toMatchObject({
      events_with_invalid_fields: { group_properties: [0] },
    })
  })

  it('answers a missing api_key and an unknown one like the upload endpoints', async () => {
    const { app } = await testApp()
    const identification = JSON.stringify({ user_id: 'user-0001' })
    const missing = await app.handle(postForm('/identify', { identification }))
    expect(await json(missing)).toEqual({
      code: 400,
      error: 'Request missing required field',
      missing_field: 'api_key',
    })
    const unknown = await app.handle(postForm('/identify', { api_key: 'bad-key', identification }))
    expect(await json(unknown)).toEqual({ code: 400, error: 'Invalid API key: bad-key' })
  })

  it('refuses an identification without a usable id, by index', async () => {
    const { app } = await testApp()
    const identification = JSON.stringify([
      { user_id: 'user-0001' },
      { user_properties: { a: 1 } },
      { user_id: 'undefined' },
    ])
    const response = await app.handle(postForm('/identify', { api_key: KEY, identification }))
    expect(response.status).toBe(400)
    expect(await json(response)).toEqual({
      code: 400,
      error: 'Invalid field values on some events',
      events_with_missing_fields: { device_id: [1] },
      events_with_invalid_fields: { user_id: [2] },
    })
  })
})

describe('POST /groupidentify', () => {
  it('applies group properties and answers success', async () => {
    const { app, store } = await testApp()
    const identification = JSON.stringify({
      group_type: 'org',
      group_value: 'acme',
      group_properties: { $set: { plan: 'enterprise' } },
    })
    const response = await app.handle(postForm('/groupidentify', { api_key: KEY, identification }))
    expect(await response.text()).toBe('success')
    expect(store.groups[0]?.identification).toEqual({
      group_type: 'org',
      group_value: 'acme',
      group_properties: { $set: { plan: 'enterprise' } },
    })
  })

  it('names missing group fields by index', async () => {
    const { app, store } = await testApp()
    const identification = JSON.stringify([
      { group_type: 'org', group_value: 'acme', group_properties: {} },
      { group_type: 'org', group_properties: {} },
      { group_type: 'org', group_value: 5, group_properties: 'x' },
    ])
    const response = await app.handle(postForm('/groupidentify', { api_key: KEY, identification }))
    expect(await json(response)).toEqual({
      code: 400,
      error: 'Invalid field values on some events',
      events_with_missing_fields: { group_value: [1] },
      events_with_invalid_fields: { group_value: [2], group_properties: [2] },
    })
    expect(store.groups).toHaveLength(0)
  })

  it('refuses more than 1,024 identifications with 413', async () => {
    const { app } = await testApp()
    const identification = JSON.stringify(
      Array.from({ length: 1025 }, (_, i) => ({
        group_type: 'org',
        group_value: `g${i}`,
        group_properties: {},
      })),
    )
    const response = await app.handle(postForm('/groupidentify', { api_key: KEY, identification }))
    expect(await json(response)).toEqual({ code: 413, error: 'Payload too large' })
  })

  it('answers missing_event without identification', async () => {
    const { app } = await testApp()
    const response = await app.handle(postForm('/groupidentify', { api_key: KEY }))
    expect(await json(response)).toEqual({ code: 400, error: 'missing_event' })
  })

  it('answers 405 to GET', async () => {
    const { app } = await testApp()
    const response = await app.handle(new Request(`${ORIGIN}/groupidentify`))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
    expect(await json(response)).toEqual({ code: 405, error: 'Method Not Allowed' })
  })
})

describe('POST /attribution', () => {
  it('stores an iOS attribution event', async () => {
    const { app, store } = await testApp()
    const event = JSON.stringify({
      event_type: '[Acme] Install',
      platform: 'ios',
      idfa: 'AEBE52E7-03EE-455A-B3C4-E57283966239',
      user_properties: { campaign: 'spring' },
      time: 1_700_000_000_000,
    })
    const response = await app.handle(postForm('/attribution', { api_key: KEY, event }))
    expect(await response.text()).toBe('success')
    expect(store.attributions[0]?.event).toMatchObject({
      event_type: '[Acme] Install',
      idfa: 'AEBE52E7-03EE-455A-B3C4-E57283966239',
    })
  })

  it('takes its fields from the query string too', async () => {
    const { app, store } = await testApp()
    const event = JSON.stringify({ event_type: 'Install', platform: 'android', adid: 'ad-1234' })
    const query = new URLSearchParams({ api_key: KEY, event })
    const response = await app.handle(
      new Request(`${ORIGIN}/attribution?${query}`, { method: 'POST' }),
    )
    expect(response.status).toBe(200)
    expect(store.attributions).toHaveLength(1)
  })

  it('refuses an event without the platform ids', async () => {
    const { app } = await testApp()
    const event = JSON.stringify({ event_type: 'Install', platform: 'android' })
    const response = await app.handle(postForm('/attribution', { api_key: KEY, event }))
    expect(await json(response)).toEqual({
      code: 400,
      error: 'Invalid field values on some events',
      events_with_missing_fields: { adid: [0] },
    })
  })

  it('refuses an unknown platform and a missing event_type', async () => {
    const { app } = await testApp()
    const event = JSON.stringify({ platform: 'constructor', idfa: 'x' })
    const response = await app.handle(postForm('/attribution', { api_key: KEY, event }))
    expect(await json(response)).toEqual({
      code: 400,
      error: 'Invalid field values on some events',
      events_with_invalid_fields: { platform: [0] },
      events_with_missing_fields: { event_type: [0] },
    })
  })

  it('answers missing_event for malformed JSON', async () => {
    const { app } = await testApp()
    const response = await app.handle(postForm('/attribution', { api_key: KEY, event: '{' }))
    expect(await json(response)).toEqual({ code: 400, error: 'missing_event' })
  })
})

describe('what the identify family changes in the database', () => {
  it('applies every identify operation to the user profile, in Amplitude order', async () => {
    const { app } = await testApp()
    const track = {
      api_key: KEY,
      events: [{ event_type: 'Opened', user_id: 'user-ops-01', device_id: 'device-ops-01' }],
    }
    expect((await app.handle(postJson('/2/httpapi', track))).status).toBe(200)
    const first = JSON.stringify({
      user_id: 'user-ops-01',
      user_properties: {
        $set: { plan: 'pro', old: 'x' },
        $setOnce: { first_plan: 'trial' },
        $add: { logins: 2 },
        $append: { tags: 'a' },
        $prepend: { recent: 'p1' },
        $postInsert: { seen: ['s1', 's2'] },
      },
    })
    expect(
      (await app.handle(postForm('/identify', { api_key: KEY, identification: first }))).status,
    ).toBe(200)
    const second = JSON.stringify({
      user_id: 'user-ops-01',
      user_properties: {
        $unset: { old: '-' },
        $setOnce: { first_plan: 'ignored' },
        $add: { logins: 1 },
        $append: { tags: ['b'] },
        $preInsert: { seen: 's1' },
        $remove: { recent: 'p1' },
      },
    })
    expect(
      (await app.handle(postForm('/identify', { api_key: KEY, identification: second }))).status,
    ).toBe(200)
    const { userData } = await activityOf(app, 'user-ops-01')
    expect(userData.properties).toEqual({
      plan: 'pro',
      first_plan: 'trial',
      logins: 3,
      tags: ['a', 'b'],
      recent: [],
      seen: ['s1', 's2'],
    })
  })

  it('clears every property with $clearAll', async () => {
    const { app } = await testApp()
    const track = {
      api_key: KEY,
      events: [
        {
          event_type: '$identify',
          user_id: 'user-clear-1',
          user_properties: { $set: { a: 1, b: 2 } },
        },
      ],
    }
    expect((await app.handle(postJson('/batch', track))).status).toBe(200)
    const identification = JSON.stringify({
      user_id: 'user-clear-1',
      user_properties: { $clearAll: '-' },
    })
    await app.handle(postForm('/identify', { api_key: KEY, identification }))
    expect((await activityOf(app, 'user-clear-1')).userData.properties).toEqual({})
  })

  it('stores group properties from /groupidentify', async () => {
    const { app, store } = await testApp()
    const identification = JSON.stringify({
      group_type: 'org',
      group_value: 'acme',
      group_properties: { $set: { plan: 'enterprise' }, $add: { seats: 5 } },
    })
    await app.handle(postForm('/groupidentify', { api_key: KEY, identification }))
    await app.handle(postForm('/groupidentify', { api_key: KEY, identification }))
    expect(await store.groupProperties(PROJECT.id, 'org', 'acme')).toEqual({
      plan: 'enterprise',
      seats: 10,
    })
  })
})
