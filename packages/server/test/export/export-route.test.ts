import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.ts'
import { EVENT_SELECT_LIST, eventRowFromObject } from '../../src/store/event-row.ts'
import { EXPORT_RECORD_KEYS, toExportRecord } from '../../src/store/export-record.ts'
import {
  appWith,
  basicAuth,
  OTHER_PROJECT,
  PROJECT,
  postJson,
  testApp,
} from '../helpers/app-fixture.ts'
import { RecordingStore } from '../helpers/recording-store.ts'
import { exportEntries, exportRequest, send } from './export-helpers.ts'
import { externalChecks, readZip } from './zip-reader.ts'

const HOUR_MS = 3_600_000
/** 2024-07-14 09:00 UTC. */
const NINE = Date.UTC(2024, 6, 14, 9)

/** An app whose clock (hence every upload time) the test sets. */
async function clockedApp(options: Parameters<typeof testApp>[0] = {}) {
  let nowMs = NINE
  const fixture = await testApp({ rateLimits: false, now: () => nowMs, ...options })
  return {
    ...fixture,
    setNow(ms: number) {
      nowMs = ms
    },
  }
}

describe('GET /api/2/export: auth and parameters', () => {
  it('answers 401 without credentials and 403 Invalid API Key for wrong ones', async () => {
    const { app } = await clockedApp()
    const range = { start: '20240714T09', end: '20240714T09' }
    const missing = await app.handle(exportRequest(range, null))
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toMatch(/^Basic/)
    const malformed = await app.handle(exportRequest(range, 'Bearer abc'))
    expect(malformed.status).toBe(401)
    const wrong = await app.handle(exportRequest(range, basicAuth(PROJECT.apiKey, 'nope')))
    expect(wrong.status).toBe(403)
    expect(await wrong.json()).toEqual({ code: 403, error: 'Invalid API Key' })
  })

  it.each([
    [{ end: '20240714T09' }, 'start'],
    [{ start: '20240714T09' }, 'end'],
    [{ start: '2024-07-14T09', end: '20240714T09' }, 'start'],
    [{ start: '20240714', end: '20240714T09' }, 'start'],
    [{ start: '20240714T09', end: '20240714T24' }, 'end'],
    [{ start: '20240230T00', end: '20240301T00' }, 'start'],
    [{ start: '20241314T00', end: '20241314T01' }, 'start'],
    [{ start: '20240714T09', end: '20240714T08' }, 'end'],
    [{ start: '20230714T00', end: '20240714T01' }, 'end'],
  ])('answers 400 naming the parameter for %j', async (query, parameter) => {
    const { app } = await clockedApp()
    const response = await app.handle(exportRequest(query))
    expect(response.status).toBe(400)
    const body = (await response.json()) as { code: number; error: string }
    expect(body.code).toBe(400)
    expect(body.error).toContain(parameter)
  })

  it('accepts a range of exactly 365 days', async () => {
    const { app } = await clockedApp()
    await send(app, [{ event_type: 'A', user_id: 'user-0001' }])
    const response = await app.handle(exportRequest({ start: '20230715T09', end: '20240714T09' }))
    expect(response.status).toBe(200)
    await response.arrayBuffer()
  })

  it('refuses a bad export option when the app is created, naming it', async () => {
    const store = await RecordingStore.open()
    try {
      expect(() => appWith(store, { export: { maxEventsPerPart: 0 } })).toThrow(ConfigError)
      expect(() => appWith(store, { export: { gzipLevel: 12 } })).toThrow(/export\.gzipLevel/)
    } finally {
      await store.close()
    }
  })

  it("answers 404 with Amplitude's exact text when the range holds no events", async () => {
    const { app } = await clockedApp()
    await send(app, [{ event_type: 'A', user_id: 'user-0001' }])
    const response = await app.handle(exportRequest({ start: '20240714T10', end: '20240714T23' }))
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await response.text()).toBe('Raw data files were not found.')
  })
})

describe('GET /api/2/export: the archive', () => {
  it('selects by upload hour, so an event for an old day appears in the hour it was uploaded', async () => {
    const { app, setNow } = await clockedApp()
    setNow(NINE + 5 * 60_000)
    const oldDay = Date.UTC(2024, 6, 1, 12)
    await send(app, [
      { event_type: 'Late', user_id: 'user-0001', time: oldDay },
      { event_type: 'On time', user_id: 'user-0001', time: NINE },
    ])
    setNow(NINE + HOUR_MS + 1)
    await send(app, [{ event_type: 'Next hour', user_id: 'user-0001', time: NINE + HOUR_MS }])

    const nine = await exportEntries(app, '20240714T09', '20240714T09')
    expect(nine.map((e) => e.name)).toEqual(['7/7_2024-07-14_9#0.json.gz'])
    expect(nine[0]!.records.map((r) => [r.event_type, r.event_time])).toEqual([
      ['Late', '2024-07-01 12:00:00.000000'],
      ['On time', '2024-07-14 09:00:00.000000'],
    ])
    const both = await exportEntries(app, '20240714T09', '20240714T10')
    expect(both.map((e) => [e.name, e.records.length])).toEqual([
      ['7/7_2024-07-14_9#0.json.gz', 2],
      ['7/7_2024-07-14_10#0.json.gz', 1],
    ])
    const eventDay = await app.handle(exportRequest({ start: '20240701T00', end: '20240701T23' }))
    expect(eventDay.status).toBe(404)
  })

  it("holds only the authenticated project's events", async () => {
    const { app } = await clockedApp()
    await send(app, [{ event_type: 'Mine', user_id: 'user-0001' }])
    const other = await app.handle(
      postJson('/2/httpapi', {
        api_key: OTHER_PROJECT.apiKey,
        events: [{ event_type: 'Theirs', user_id: 'user-0001' }],
      }),
    )
    expect(other.status).toBe(200)
    const entries = await exportEntries(app, '20240714T00', '20240714T23')
    expect(entries.flatMap((e) => e.records.map((r) => [r.app, r.event_type]))).toEqual([
      [7, 'Mine'],
    ])
  })

  it('splits an hour into parts #0, #1, … in upload order and names hours without padding', async () => {
    const { app, setNow } = await clockedApp({ export: { maxEventsPerPart: 2 } })
    const midnight = Date.UTC(2024, 6, 14, 0)
    for (let i = 0; i < 5; i++) {
      // Two requests in the same millisecond: seq breaks the tie.
      setNow(midnight + 60_000 * Math.floor(i / 2) + 7)
      await send(app, [{ event_type: `E${i}`, user_id: 'user-0001', insert_id: `i${i}` }])
    }
    setNow(midnight + 23 * HOUR_MS + 1)
    await send(app, [{ event_type: 'Late night', user_id: 'user-0001' }])
    const entries = await exportEntries(app, '20240714T00', '20240714T23')
    expect(entries.map((e) => [e.name, e.records.map((r) => r.event_type)])).toEqual([
      ['7/7_2024-07-14_0#0.json.gz', ['E0', 'E1']],
      ['7/7_2024-07-14_0#1.json.gz', ['E2', 'E3']],
      ['7/7_2024-07-14_0#2.json.gz', ['E4']],
      ['7/7_2024-07-14_23#0.json.gz', ['Late night']],
    ])
  })

  it('keeps every event in its own upload hour, once, even when the server clock stepped back', async () => {
    const { app, setNow } = await clockedApp()
    setNow(NINE + 30 * 60_000)
    await send(app, [{ event_type: 'Stored first', user_id: 'user-0001' }])
    setNow(NINE - 5 * 60_000)
    await send(app, [{ event_type: 'Stepped back an hour', user_id: 'user-0001' }])
    setNow(NINE + 10 * 60_000)
    await send(app, [{ event_type: 'Back in nine', user_id: 'user-0001' }])
    // Parts follow the rows in the order they were stored: 9:00, then 8:00, then 9:00 again, so the
    // nine o'clock hour has two parts (#0 and #1) and each event is in exactly one entry of its hour.
    const entries = await exportEntries(app, '20240714T08', '20240714T09')
    expect(entries.map((e) => [e.name, e.records.map((r) => r.event_type)])).toEqual([
      [`${PROJECT.id}/${PROJECT.id}_2024-07-14_9#0.json.gz`, ['Stored first']],
      [`${PROJECT.id}/${PROJECT.id}_2024-07-14_8#0.json.gz`, ['Stepped back an hour']],
      [`${PROJECT.id}/${PROJECT.id}_2024-07-14_9#1.json.gz`, ['Back in nine']],
    ])
  })

  it('is a zip that unzip and Python verify, with gzip entries and a content type of application/zip', async () => {
    const { app } = await clockedApp({ export: { maxEventsPerPart: 3 } })
    await send(
      app,
      Array.from({ length: 7 }, (_, i) => ({ event_type: 'A', user_id: `user-${i}000` })),
    )
    const response = await app.handle(exportRequest({ start: '20240714T09', end: '20240714T09' }))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/zip')
    const bytes = Buffer.from(await response.arrayBuffer())
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'))
    const { entries } = readZip(bytes)
    expect(entries).toHaveLength(3)
    for (const entry of entries) expect([...entry.data.subarray(0, 2)]).toEqual([0x1f, 0x8b])
    const { unzip, python } = externalChecks(bytes)
    if (unzip !== undefined) expect(unzip, unzip.output).toMatchObject({ ok: true })
    if (python !== undefined) expect(python, python.output).toMatchObject({ ok: true })
  })

  it('exports the clock-skew adjustment: event_time moved, client times as the client sent them', async () => {
    const { app, store, setNow } = await clockedApp()
    setNow(NINE + 10 * 60_000)
    const clientNow = NINE + 5 * 60_000
    const response = await app.handle(
      postJson('/2/httpapi', {
        api_key: PROJECT.apiKey,
        client_upload_time: new Date(clientNow).toISOString(),
        events: [{ event_type: 'Skewed', user_id: 'user-0001', time: clientNow - 1000 }],
      }),
    )
    expect(response.status).toBe(200)
    const [entry] = await exportEntries(app, '20240714T09', '20240714T09')
    expect(entry!.records[0]).toMatchObject({
      event_time: '2024-07-14 09:09:59.000000',
      client_event_time: '2024-07-14 09:04:59.000000',
      client_upload_time: '2024-07-14 09:05:00.000000',
      server_received_time: '2024-07-14 09:10:00.000000',
      server_upload_time: '2024-07-14 09:10:00.000000',
      processed_time: '2024-07-14 09:10:00.000000',
    })
    const rows = await store.selectRows(
      `SELECT ${EVENT_SELECT_LIST} FROM events WHERE project_id = ?`,
      [PROJECT.id],
    )
    expect(entry!.records).toEqual(rows.map((row) => toExportRecord(eventRowFromObject(row))))
  })

  it('exports every record with the 55 keys, equal to what was ingested plus the server fields', async () => {
    const { app, store, setNow } = await clockedApp()
    const received = NINE + 12 * 60_000 + 345
    setNow(received)
    const sent: Array<Record<string, unknown>> = [
      {
        event_type: 'Song "Played"\n',
        user_id: 'ü-ser 😀',
        device_id: 'device\\1',
        time: NINE - 1000,
        insert_id: 'ins-1',
        session_id: NINE - 60_000,
        event_id: 17,
        event_properties: {
          genre: 'rock',
          nested: { list: [1, 2.5, -3e-7, 'x', null, true], deep: { a: '\u2028</script>' } },
          big: 12345678901234,
          float: 0.1,
          empty: {},
        },
        user_properties: { $set: { plan: 'pro', tags: ['a', 'b'] } },
        groups: { company: 'Acme', teams: ['red', 'blue'] },
        app_version: '2.1.0',
        platform: 'iOS',
        os_name: 'ios',
        os_version: '17.2',
        device_brand: 'Apple',
        device_manufacturer: 'Apple',
        device_model: 'iPhone15,2',
        carrier: 'Telekom',
        country: 'Germany',
        region: 'Berlin',
        city: 'Berlin',
        dma: 'n/a',
        language: 'de',
        location_lat: 52.52,
        location_lng: 13.405,
        ip: '203.0.113.7',
        idfa: 'IDFA-1',
        adid: 'ADID-1',
        price: 9.99,
        quantity: 2,
        productId: 'p-1',
        revenueType: 'purchase',
        plan: { branch: 'main', source: 'ios', version: '3' },
        partner_id: 'partner-1',
        library: 'amplitude-swift/1.0',
      },
      { event_type: 'Bare', device_id: 'device-0002' },
      {
        event_type: 'Empty strings',
        user_id: 'user-0003',
        event_properties: { s: '', t: '\t\u0001' },
      },
    ]
    await send(app, sent)
    const [entry] = await exportEntries(app, '20240714T09', '20240714T09')
    const records = entry!.records

    // The reference: the store's own export record of each row.
    const rows = await store.selectRows(
      `SELECT ${EVENT_SELECT_LIST} FROM events WHERE project_id = ? ORDER BY server_upload_time_ms, seq`,
      [PROJECT.id],
    )
    expect(records).toEqual(rows.map((row) => toExportRecord(eventRowFromObject(row))))
    for (const record of records) expect(Object.keys(record)).toEqual([...EXPORT_RECORD_KEYS])

    const [full, bare] = records
    expect(full).toMatchObject({
      app: PROJECT.id,
      event_type: 'Song "Played"\n',
      user_id: 'ü-ser 😀',
      device_id: 'device\\1',
      $insert_id: 'ins-1',
      event_id: 17,
      session_id: NINE - 60_000,
      event_properties: sent[0]!.event_properties,
      user_properties: { plan: 'pro', tags: ['a', 'b'] },
      groups: { company: 'Acme', teams: ['red', 'blue'] },
      server_upload_time: '2024-07-14 09:12:00.345000',
      server_received_time: '2024-07-14 09:12:00.345000',
      client_event_time: '2024-07-14 08:59:59.000000',
      data_type: 'event',
      library: 'amplitude-swift/1.0',
      plan: { branch: 'main', source: 'ios', version: '3' },
      location_lat: 52.52,
      location_lng: 13.405,
      ip_address: '203.0.113.7',
      idfa: 'IDFA-1',
      adid: 'ADID-1',
      device_carrier: 'Telekom',
      partner_id: 'partner-1',
      version_name: '2.1.0',
    })
    expect(typeof full!.uuid).toBe('string')
    expect(typeof full!.amplitude_id).toBe('number')
    expect(full!.data).toMatchObject({ path: '/2/httpapi' })
    expect(bare).toMatchObject({
      user_id: null,
      device_id: 'device-0002',
      session_id: -1,
      event_properties: {},
      plan: {},
      library: null,
      location_lat: null,
    })
  })
})
