import { describe, expect, it } from 'vitest'
import type { EventRow } from '../../src/store/event-row.ts'
import {
  EXPORT_RECORD_KEYS,
  formatExportTime,
  toExportRecord,
} from '../../src/store/export-record.ts'
import { context, exportedEvents, memoryStore, T0 } from './store-helpers.ts'

describe('export record', () => {
  it('lists exactly the 55 keys of an Amplitude export', () => {
    expect(EXPORT_RECORD_KEYS).toHaveLength(55)
    expect(new Set(EXPORT_RECORD_KEYS).size).toBe(55)
  })

  it('formats timestamps as UTC with a space and six decimals', () => {
    expect(formatExportTime(Date.UTC(2024, 6, 14, 10, 0, 2, 7))).toBe('2024-07-14 10:00:02.007000')
    expect(formatExportTime(null)).toBeNull()
  })

  it('gives a sparse row every key, null where nothing is known', () => {
    const row: EventRow = {
      seq: 1,
      projectId: 7,
      serverUploadTimeMs: T0,
      eventTimeMs: T0,
      amplitudeId: 5,
      eventType: 'x',
      userId: null,
      deviceId: 'dev-1',
      sessionId: -1,
      insertId: null,
      uuid: 'u',
      revenue: null,
      quantity: null,
      platform: null,
      osName: null,
      osVersion: null,
      deviceModel: null,
      country: null,
      region: null,
      city: null,
      language: null,
      versionName: null,
      eventProperties: '{}',
      userProperties: '{}',
      groups: '{}',
      groupProperties: '{}',
      extra: '{}',
    }
    const record = toExportRecord(row)
    expect(Object.keys(record).sort()).toEqual([...EXPORT_RECORD_KEYS].sort())
    expect(record.app).toBe(7)
    expect(record.data_type).toBe('event')
    expect(record.user_id).toBeNull()
    expect(record.dma).toBeNull()
    expect(record.client_upload_time).toBeNull()
    expect(record.event_properties).toEqual({})
  })

  it('stores an ingested event so that it exports with all fields Amplitude keeps', async () => {
    const { store, clock } = await memoryStore()
    clock.set(T0 + 2_007)
    await store.ingestEvents(
      [
        {
          event_type: 'Play Song',
          user_id: 'user-00001',
          device_id: 'device-0001',
          time: T0 - 5_000,
          insert_id: 'abc-1',
          event_id: 17,
          session_id: T0 - 60_000,
          event_properties: { genre: 'rock', tags: ['a', 'b'] },
          user_properties: { plan: 'pro' },
          groups: { org: 'acme' },
          platform: 'iOS',
          os_name: 'ios',
          os_version: '17.1',
          device_brand: 'Apple',
          device_manufacturer: 'Apple',
          device_model: 'iPhone15,2',
          carrier: 'Verizon',
          country: 'United States',
          region: 'California',
          city: 'San Francisco',
          dma: 'San Francisco-Oakland-San Jose, CA',
          language: 'English',
          location_lat: 37.77,
          location_lng: -122.42,
          ip: '$remote',
          idfa: 'idfa-1',
          adid: 'adid-1',
          app_version: '3.4.9',
          library: 'amplitude-ts/2.0.0',
          partner_id: 'partner-1',
          plan: { branch: 'main', source: 'web', version: '3' },
          revenue: 9.99,
        },
      ],
      context(T0 + 2_000, { clientUploadTimeMs: T0 + 1_000, path: '/2/httpapi' }),
    )
    const [record] = await exportedEvents(store)
    expect(Object.keys(record!)).toHaveLength(55)
    expect(record).toMatchObject({
      app: 1,
      event_type: 'Play Song',
      event_id: 17,
      $insert_id: 'abc-1',
      $insert_key: null,
      user_id: 'user-00001',
      device_id: 'device-0001',
      session_id: T0 - 60_000,
      data_type: 'event',
      library: 'amplitude-ts/2.0.0',
      event_time: '2024-07-14 09:59:55.000000',
      client_event_time: '2024-07-14 09:59:55.000000',
      client_upload_time: '2024-07-14 10:00:01.000000',
      server_received_time: '2024-07-14 10:00:02.000000',
      server_upload_time: '2024-07-14 10:00:02.007000',
      processed_time: '2024-07-14 10:00:02.007000',
      user_creation_time: '2024-07-14 09:59:55.000000',
      event_properties: { genre: 'rock', tags: ['a', 'b'] },
      user_properties: { plan: 'pro' },
      groups: { org: 'acme' },
      plan: { branch: 'main', source: 'web', version: '3' },
      data: { path: '/2/httpapi', first_event: true, user_properties_updated: true },
      platform: 'iOS',
      os_name: 'ios',
      os_version: '17.1',
      device_brand: 'Apple',
      device_manufacturer: 'Apple',
      device_model: 'iPhone15,2',
      device_carrier: 'Verizon',
      country: 'United States',
      region: 'California',
      city: 'San Francisco',
      dma: 'San Francisco-Oakland-San Jose, CA',
      language: 'English',
      location_lat: 37.77,
      location_lng: -122.42,
      ip_address: '203.0.113.7',
      idfa: 'idfa-1',
      adid: 'adid-1',
      partner_id: 'partner-1',
      version_name: '3.4.9',
    })
    expect(typeof record!.amplitude_id).toBe('number')
    expect(record!.uuid).toMatch(/^[0-9a-f-]{36}$/)
    await store.close()
  })

  it('adjusts event_time by the client clock skew only when it reaches 60 seconds', async () => {
    const { store } = await memoryStore()
    const events = [{ event_type: 'a', device_id: 'device-0001', time: T0 }]
    // Client clock 2 minutes behind the server: event_time moves forward by 2 minutes.
    await store.ingestEvents(events, context(T0 + 120_000, { clientUploadTimeMs: T0 }))
    // 59 s of skew is left alone.
    await store.ingestEvents(events, context(T0 + 59_000, { clientUploadTimeMs: T0 }))
    const [skewed, close] = await exportedEvents(store)
    expect(skewed!.event_time).toBe('2024-07-14 10:02:00.000000')
    expect(skewed!.client_event_time).toBe('2024-07-14 10:00:00.000000')
    expect(close!.event_time).toBe('2024-07-14 10:00:00.000000')
    await store.close()
  })

  it('uses the upload time for an event without time and -1 for a missing session', async () => {
    const { store, clock } = await memoryStore()
    clock.set(T0 + 500)
    await store.ingestEvents([{ event_type: 'a', device_id: 'device-0001' }], context(T0))
    const [record] = await exportedEvents(store)
    expect(record!.client_event_time).toBe('2024-07-14 10:00:00.500000')
    expect(record!.event_time).toBe('2024-07-14 10:00:00.500000')
    expect(record!.client_upload_time).toBe('2024-07-14 10:00:00.000000')
    expect(record!.session_id).toBe(-1)
    await store.close()
  })

  it('computes revenue as price times quantity when a price is given', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents(
      [
        { event_type: 'buy', device_id: 'device-0001', price: 2.5, quantity: 3, revenue: 100 },
        { event_type: 'buy', device_id: 'device-0001', revenue: 4 },
        // What the SDKs' Revenue builder sends: the facts are event properties.
        {
          event_type: 'revenue_amount',
          device_id: 'device-0001',
          event_properties: { $productId: 'sku-1', $price: 19.5, $quantity: 2 },
        },
        {
          event_type: 'revenue_amount',
          device_id: 'device-0001',
          event_properties: { $revenue: 5 },
        },
      ],
      context(),
    )
    const revenue = await store.read(async (c) =>
      (
        await c.runAndReadAll('SELECT revenue, quantity::INTEGER AS q FROM events ORDER BY seq')
      ).getRowObjectsJS(),
    )
    expect(revenue).toEqual([
      { revenue: 7.5, q: 3 },
      { revenue: 4, q: 1 },
      { revenue: 39, q: 2 },
      { revenue: 5, q: 1 },
    ])
    await store.close()
  })
})
