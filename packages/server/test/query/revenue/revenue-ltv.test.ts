import type { WireEvent } from '@ampkit/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { loadQueryEvents } from '../../../src/query/query-event.ts'
import { type RevenueLtvQuery, revenueLtvQueryOf } from '../../../src/query/revenue/query.ts'
import { referenceRevenueLtv } from '../../../src/query/revenue/reference.ts'
import { revenueLtvData } from '../../../src/query/revenue/result.ts'
import { sqlRevenueLtv } from '../../../src/query/revenue/sql.ts'
import type { DuckDbStore } from '../../../src/store/duckdb-store.ts'
import { basicAuth, json, ORIGIN, PROJECT, postJson, testApp } from '../../helpers/app-fixture.ts'
import { storeWithDatasets } from '../helpers/datasets-store.ts'
import { pick, randomEvents, seededRandom, storeWithEvents } from '../helpers/random-dataset.ts'

const H = 3_600_000
const DAY = 24 * H
const T0 = Date.UTC(2024, 6, 1)

let store: DuckDbStore | undefined
afterEach(async () => {
  await store?.close()
  store = undefined
})

function query(params: string, timeZone = 'UTC'): RevenueLtvQuery {
  return revenueLtvQueryOf(new URL(`http://x/api/2/revenue/ltv?${params}`), { id: 1, timeZone })
}

function ev(user: string, time: number, price?: number, extra: Partial<WireEvent> = {}): WireEvent {
  return {
    event_type: price === undefined ? 'Play' : 'Purchase',
    user_id: user,
    device_id: `d-${user}`,
    time,
    ...(price !== undefined && { price, quantity: 1 }),
    ...extra,
  }
}

async function both(q: RevenueLtvQuery) {
  if (store === undefined) throw new Error('no store')
  const sql = await sqlRevenueLtv(store, q)
  expect(Object.fromEntries(sql)).toEqual(
    Object.fromEntries(referenceRevenueLtv(q, await loadQueryEvents(store, 1))),
  )
  return revenueLtvData(q, sql)
}

describe('/api/2/revenue/ltv on a hand-computed dataset', () => {
  // Cohort 07-01: a (first event 07-01 10:00) and b (07-01 11:00, never pays).
  //   a pays 10 on day 0 (07-01 12:00), 5 on day 2 (07-03), 20 on day 19 (07-20).
  // Cohort 07-02: c (first event 07-02 08:00, country DE) refunds 4 and pays 6, both on day 0.
  // d's first event is 06-30: in no cohort of the range, its 07-01 purchase counts nowhere.
  const events = [
    ev('d', T0 - 5 * H),
    ev('d', T0 + H, 50),
    ev('a', T0 + 10 * H, undefined, { country: 'United States' }),
    ev('b', T0 + 11 * H),
    ev('a', T0 + 12 * H, 10),
    ev('c', T0 + DAY + 8 * H, undefined, { country: 'Germany' }),
    ev('c', T0 + DAY + 9 * H, -4),
    ev('c', T0 + DAY + 10 * H, 6),
    ev('a', T0 + 2 * DAY + H, 5),
    ev('a', T0 + 19 * DAY, 20),
  ]
  const range = 'start=20240701&end=20240702'

  it('totals revenue per cohort in cumulative day windows (m=2)', async () => {
    store = await storeWithEvents(events)
    const data = await both(query(`${range}&m=2`))
    expect(data.seriesLabels).toEqual([''])
    const [series] = data.series
    expect(series?.dates).toEqual(['2024-07-02', '2024-07-01'])
    // 07-01: r1d = 10 (day 0); r2d = 10; r3d = 10 + 5 = 15 … r14d = 15; r30d = 15 + 20 = 35
    expect(series?.values['2024-07-01']).toMatchObject({
      r1d: 10,
      r2d: 10,
      r3d: 15,
      r14d: 15,
      r30d: 35,
      r90d: 35,
      count: 2,
      paid: 1,
      total_amount: 35,
    })
    // 07-02: −4 + 6 = 2 on day 0; c paid (6 > 0)
    expect(series?.values['2024-07-02']).toMatchObject({
      r1d: 2,
      r90d: 2,
      count: 1,
      paid: 1,
      total_amount: 2,
    })
  })

  it('divides by cohort users for ARPU (m=0, the default) and by payers for ARPPU (m=1)', async () => {
    store = await storeWithEvents(events)
    const arpu = (await both(query(range))).series[0]?.values['2024-07-01']
    // 10 / 2 users = 5; 15 / 2 = 7.5; 35 / 2 = 17.5
    expect(arpu).toMatchObject({ r1d: 5, r3d: 7.5, r30d: 17.5 })
    const arppu = (await both(query(`${range}&m=1`))).series[0]?.values['2024-07-01']
    // one payer (a): 10 / 1, 15 / 1, 35 / 1
    expect(arppu).toMatchObject({ r1d: 10, r3d: 15, r30d: 35 })
  })

  it('counts paying users per window (m=3) and splits cohorts by group', async () => {
    store = await storeWithEvents(events)
    const paying = (await both(query(`${range}&m=3`))).series[0]?.values
    expect(paying?.['2024-07-01']).toMatchObject({ r1d: 1, r30d: 1 })
    const grouped = await both(query(`${range}&m=2&g=country`))
    // United States: a (1 user); (none): b (1 user); Germany: c (1 user) → ties by label
    expect(grouped.seriesLabels).toEqual(['(none)', 'Germany', 'United States'])
    expect(grouped.series[2]?.values['2024-07-01']).toMatchObject({ r1d: 10, count: 1 })
    expect(grouped.series[0]?.values['2024-07-01']).toMatchObject({ r90d: 0, count: 1, paid: 0 })
  })

  it('refuses a bad metric with a 400', () => {
    expect(() => query(`${range}&m=4`)).toThrow(/parameter m/)
    expect(() => query(`${range}&i=-3600000`)).toThrow(/parameter i/)
  })
})

const SEGMENTS = [
  '[]',
  JSON.stringify([{ prop: 'country', op: 'is', values: ['Germany', 'France'] }]),
  JSON.stringify([{ type: 'event', event_type: 'B', op: '>=', value: 1, time_type: 'allTime' }]),
]

describe('/api/2/revenue/ltv SQL against the reference evaluator', () => {
  it('agrees on 30 random datasets', async () => {
    const seeds = Array.from({ length: 30 }, (_, k) => k + 1)
    store = await storeWithDatasets(
      seeds.map((seed) =>
        randomEvents(seed, { events: 60, spanMs: 20 * DAY, users: 10 }).map((e, i) =>
          // More buyers than the generator's 15 %, some refunds.
          i % 4 === 0 ? { ...e, price: [5, 12.5, -2][i % 3] as number, quantity: 1 } : e,
        ),
      ),
    )
    let paid = 0
    for (const seed of seeds) {
      const random = seededRandom(seed * 17)
      const params = new URLSearchParams({
        start: '20240701',
        end: pick(random, ['20240703', '20240710']),
        m: pick(random, ['0', '1', '2', '3']),
        i: pick(random, ['1', '1', '7']),
        s: pick(random, SEGMENTS),
      })
      if (random() < 0.4) params.set('g', pick(random, ['country', 'gp:plan']))
      const zone = pick(random, ['UTC', 'America/Chicago'])
      const q = { ...query(params.toString(), zone), projectId: seed }
      const sql = await sqlRevenueLtv(store, q)
      expect(Object.fromEntries(sql), `seed ${seed} ${params}`).toEqual(
        Object.fromEntries(referenceRevenueLtv(q, await loadQueryEvents(store, seed))),
      )
      for (const c of sql.values()) paid += c.paid
    }
    expect(paid).toBeGreaterThan(30)
  }, 120_000)
})

describe('GET /api/2/revenue/ltv', () => {
  it('answers through the app in the Dashboard envelope', async () => {
    const { app } = await testApp({ now: () => T0 + 30 * DAY })
    const events = [
      { event_type: 'Play', user_id: 'user-a', time: T0 },
      { event_type: 'Buy', user_id: 'user-a', time: T0 + H, price: 3, quantity: 2 },
    ]
    expect((await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))).status).toBe(
      200,
    )
    const response = await app.handle(
      new Request(`${ORIGIN}/api/2/revenue/ltv?start=20240701&end=20240701&m=2`, {
        headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
      }),
    )
    expect(response.status).toBe(200)
    const data = (await json(response)).data as { series: { values: Record<string, unknown> }[] }
    // 3 × 2 = 6 on day 0
    expect(data.series[0]?.values['2024-07-01']).toMatchObject({
      r1d: 6,
      count: 1,
      paid: 1,
      total_amount: 6,
    })
  })
})
