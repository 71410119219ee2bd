import type { WireEvent } from '@ampkit/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { loadQueryEvents } from '../../../src/query/query-event.ts'
import {
  realtimeData,
  realtimeQueryOf,
  referenceRealtime,
  sqlRealtime,
} from '../../../src/query/realtime/realtime.ts'
import type { DuckDbStore } from '../../../src/store/duckdb-store.ts'
import { basicAuth, json, ORIGIN, PROJECT, postJson, testApp } from '../../helpers/app-fixture.ts'
import { storeWithDatasets } from '../helpers/datasets-store.ts'
import { randomEvents, seededRandom, storeWithEvents } from '../helpers/random-dataset.ts'

const M = 60_000
const T0 = Date.UTC(2024, 6, 2) // "today" in UTC tests
const NOW = T0 + 10 * 60 * M + 2 * M // 10:02

let store: DuckDbStore | undefined
afterEach(async () => {
  await store?.close()
  store = undefined
})

function ev(user: string, type: string, time: number): WireEvent {
  return { event_type: type, user_id: user, device_id: `d-${user}`, time }
}

describe('/api/2/realtime', () => {
  it('counts active users per 5 minutes today and yesterday, labelled HH:MM', async () => {
    store = await storeWithEvents(
      [
        ev('a', 'Play', T0 + 10 * 60 * M), // today 10:00
        ev('a', 'Play', T0 + 10 * 60 * M + 4 * M), // today 10:04, same bucket, same user
        ev('b', 'Play', T0 + 10 * 60 * M + M), // today 10:01
        ev('c', '$identify', T0 + 10 * 60 * M), // inactive: not counted
        ev('c', 'Play', T0 - 24 * 60 * M + 5 * M), // yesterday 00:05
        ev('d', 'Play', T0 - 25 * 60 * M), // the day before yesterday: outside
      ],
      NOW,
    )
    const q = realtimeQueryOf(
      new URL('http://x/api/2/realtime?i=5'),
      { id: 1, timeZone: 'UTC' },
      NOW,
    )
    const counts = await sqlRealtime(store, q)
    expect(Object.fromEntries(counts)).toEqual(
      Object.fromEntries(referenceRealtime(q, await loadQueryEvents(store, 1))),
    )
    const data = realtimeData(counts)
    expect(data.xValues).toHaveLength(288)
    expect(data.xValues.slice(0, 2)).toEqual(['00:00', '00:05'])
    expect(data.seriesLabels).toEqual(['Today', 'Yesterday'])
    // today 10:00 bucket (index 120): a, b = 2; yesterday 00:05 (index 1): c = 1
    expect(data.series[0]?.[120]).toBe(2)
    expect(data.series[1]?.[1]).toBe(1)
    expect(data.series.flat().reduce((a, b) => a + b, 0)).toBe(3)
  })

  it('refuses another interval with a 400', () => {
    expect(() =>
      realtimeQueryOf(new URL('http://x/api/2/realtime?i=60'), { id: 1, timeZone: 'UTC' }, NOW),
    ).toThrow(/i=5/)
  })

  it('agrees with the reference on 30 random datasets in several zones', async () => {
    const seeds = Array.from({ length: 30 }, (_, k) => k + 1)
    const now = Date.UTC(2024, 6, 2, 15)
    store = await storeWithDatasets(
      seeds.map((seed) =>
        randomEvents(seed, {
          events: 60,
          spanMs: 3 * 86_400_000,
          eventTypes: ['A', '$identify', 'B'],
        }),
      ),
      now,
    )
    for (const seed of seeds) {
      const random = seededRandom(seed)
      const zone = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata'][
        Math.floor(random() * 3)
      ] as string
      const q = { ...realtimeQueryOf(new URL('http://x/'), { id: seed, timeZone: zone }, now) }
      const counts = await sqlRealtime(store, q)
      expect(Object.fromEntries(counts), `seed ${seed} ${zone}`).toEqual(
        Object.fromEntries(referenceRealtime(q, await loadQueryEvents(store, seed))),
      )
    }
  }, 120_000)

  it('answers through the app in the Dashboard envelope', async () => {
    const { app } = await testApp({ now: () => NOW })
    const events = [{ event_type: 'Play', user_id: 'user-a', time: T0 + 5 * M }]
    expect((await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))).status).toBe(
      200,
    )
    const response = await app.handle(
      new Request(`${ORIGIN}/api/2/realtime?i=5`, {
        headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
      }),
    )
    expect(response.status).toBe(200)
    const data = (await json(response)).data as { series: number[][]; xValues: string[] }
    expect(data.series[0]?.[1]).toBe(1)
    expect(data.xValues[1]).toBe('00:05')
  })
})
