import type { WireEvent } from '@ampkit/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '../../../src/errors.ts'
import {
  type CompositionQuery,
  compositionData,
  compositionQueryOf,
  referenceComposition,
  sqlComposition,
} from '../../../src/query/composition/composition.ts'
import { loadQueryEvents } from '../../../src/query/query-event.ts'
import type { DuckDbStore } from '../../../src/store/duckdb-store.ts'
import { basicAuth, json, ORIGIN, PROJECT, postJson, testApp } from '../../helpers/app-fixture.ts'
import { storeWithDatasets } from '../helpers/datasets-store.ts'
import { pick, randomEvents, seededRandom, storeWithEvents } from '../helpers/random-dataset.ts'

const H = 3_600_000
const T0 = Date.UTC(2024, 6, 1)

let store: DuckDbStore | undefined
afterEach(async () => {
  await store?.close()
  store = undefined
})

function query(params: string, timeZone = 'UTC'): CompositionQuery {
  return compositionQueryOf(new URL(`http://x/api/2/composition?${params}`), { id: 1, timeZone })
}

function ev(user: string, type: string, time: number, extra: Partial<WireEvent> = {}): WireEvent {
  return { event_type: type, user_id: user, device_id: `d-${user}`, time, ...extra }
}

describe('/api/2/composition', () => {
  it('counts each active user once, under the value of their latest active event in the range', async () => {
    store = await storeWithEvents([
      // a: 1.0 then 2.0 (latest in range) → 2.0; a 3.0 event after the range does not count
      ev('a', 'Play', T0 + H, { app_version: '1.0' }),
      ev('a', 'Play', T0 + 2 * H, { app_version: '2.0' }),
      ev('a', 'Play', T0 + 50 * H, { app_version: '3.0' }),
      // b: 2.0 → 2.0; its later $identify (inactive) carries no version and is skipped
      ev('b', 'Play', T0 + 3 * H, { app_version: '2.0' }),
      ev('b', '$identify', T0 + 4 * H),
      // c: no version → (none); d: only an inactive event → not counted
      ev('c', 'Play', T0 + 5 * H),
      ev('d', '$identify', T0 + 6 * H, { app_version: '9.9' }),
    ])
    const q = query('start=20240701&end=20240701&p=version')
    const sql = await sqlComposition(store, q)
    expect(Object.fromEntries(sql)).toEqual(
      Object.fromEntries(referenceComposition(q, await loadQueryEvents(store, 1))),
    )
    // 2.0: a, b = 2; (none): c = 1
    expect(compositionData(q, sql)).toEqual({
      series: [[2, 1]],
      seriesLabels: ['version'],
      xValues: ['2.0', '(none)'],
    })
    expect(
      compositionData(query('start=20240701&end=20240701&p=version&limit=1'), sql).xValues,
    ).toEqual(['2.0'])
  })

  it('gives one series per repeated p over the union of their values', async () => {
    store = await storeWithEvents([
      ev('a', 'Play', T0 + H, { app_version: '2.0', platform: 'iOS' }),
      ev('b', 'Play', T0 + 2 * H, { app_version: '2.0', platform: 'Web' }),
      ev('c', 'Play', T0 + 3 * H, { platform: 'iOS' }),
    ])
    const q = query('start=20240701&end=20240701&p=version&p=platform')
    const sql = await sqlComposition(store, q)
    expect(Object.fromEntries(sql)).toEqual(
      Object.fromEntries(referenceComposition(q, await loadQueryEvents(store, 1))),
    )
    // version: 2.0 → a, b; (none) → c. platform: iOS → a, c; Web → b.
    // Totals over both: 2.0 = 2, iOS = 2, (none) = 1, Web = 1 (ties by value).
    expect(compositionData(q, sql)).toEqual({
      series: [
        [2, 0, 1, 0],
        [0, 2, 0, 1],
      ],
      seriesLabels: ['version', 'platform'],
      xValues: ['2.0', 'iOS', '(none)', 'Web'],
    })
  })

  it('refuses a missing or unknown property with a 400', () => {
    expect(() => query('start=20240701&end=20240701')).toThrow(/parameter: p/)
    expect(() => query(`start=20240701&end=20240701${'&p=country'.repeat(11)}`)).toThrow(ApiError)
    expect(() => query('start=20240701&end=20240701&p=plan')).toThrow(/gp:/)
    expect(() => query('start=20240701&p=country')).toThrow(/end/)
  })

  it('agrees with the reference on 30 random datasets', async () => {
    const seeds = Array.from({ length: 30 }, (_, k) => k + 1)
    store = await storeWithDatasets(
      seeds.map((seed) =>
        randomEvents(seed, { events: 50, eventTypes: ['A', 'B', '$identify', 'C'] }),
      ),
    )
    for (const seed of seeds) {
      const random = seededRandom(seed * 31)
      const names = ['country', 'platform', 'gp:plan', 'gp:age', 'version']
      const p =
        random() < 0.3 ? `${pick(random, names)}&p=${pick(random, names)}` : pick(random, names)
      const zone = pick(random, ['UTC', 'Pacific/Auckland'])
      const q = {
        ...query(`start=20240701&end=${pick(random, ['20240701', '20240703'])}&p=${p}`, zone),
        projectId: seed,
      }
      const sql = await sqlComposition(store, q)
      expect(Object.fromEntries(sql), `seed ${seed} ${p}`).toEqual(
        Object.fromEntries(referenceComposition(q, await loadQueryEvents(store, seed))),
      )
    }
  }, 120_000)

  it('answers through the app in the Dashboard envelope', async () => {
    const { app } = await testApp()
    const events = [
      { event_type: 'Play', user_id: 'user-a', time: T0, country: 'Germany' },
      { event_type: 'Play', user_id: 'user-b', time: T0 + H, country: 'Germany' },
      { event_type: 'Play', user_id: 'user-c', time: T0 + H },
    ]
    expect((await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))).status).toBe(
      200,
    )
    const response = await app.handle(
      new Request(`${ORIGIN}/api/2/composition?start=20240701&end=20240701&p=country`, {
        headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
      }),
    )
    expect(response.status).toBe(200)
    expect((await json(response)).data).toEqual({
      series: [[2, 1]],
      seriesLabels: ['country'],
      xValues: ['Germany', '(none)'],
    })
  })
})
