import type { WireEvent } from '@ampkit/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '../../../src/errors.ts'
import { loadQueryEvents } from '../../../src/query/query-event.ts'
import { type SessionsQuery, sessionsQueryOf } from '../../../src/query/sessions/query.ts'
import { referenceSessions } from '../../../src/query/sessions/reference.ts'
import { sessionsData } from '../../../src/query/sessions/result.ts'
import { sqlSessions } from '../../../src/query/sessions/sql.ts'
import type { DuckDbStore } from '../../../src/store/duckdb-store.ts'
import { storeWithDatasets } from '../helpers/datasets-store.ts'
import { pick, randomEvents, seededRandom, storeWithEvents } from '../helpers/random-dataset.ts'

const S = 1000
const M = 60 * S
const H = 60 * M
const DAY = 24 * H
const T0 = Date.UTC(2024, 6, 1)

let store: DuckDbStore | undefined
afterEach(async () => {
  await store?.close()
  store = undefined
})

function query(metric: SessionsQuery['metric'], params: string, timeZone = 'UTC') {
  return sessionsQueryOf(new URL(`http://x/api/2/sessions/${metric}?${params}`), metric, {
    id: 1,
    timeZone,
  })
}

function ev(user: string, time: number, session: number, type = 'Play'): WireEvent {
  return { event_type: type, user_id: user, device_id: `d-${user}`, time, session_id: session }
}

async function both(q: SessionsQuery) {
  if (store === undefined) throw new Error('no store')
  const sql = await sqlSessions(store, q)
  const reference = referenceSessions(q, await loadQueryEvents(store, 1))
  expect(sql.bins).toEqual(reference.bins)
  expect(Object.fromEntries(sql.days)).toEqual(Object.fromEntries(reference.days))
  return sessionsData(q, sql)
}

describe('sessions on a hand-computed dataset', () => {
  // Range 2024-07-01..02 (UTC). Sessions (user/session_id: events → length, start day):
  //   a/1: 00:00:00, 00:00:02 (+ a session_start at 00:01:40, inactive: ignored) → 2 s, day 1
  //   a/2: 01:00:00, 01:00:45                  → 45 s, day 1
  //   a:   03:00 with session_id -1             → no session (but a is active on day 1)
  //   b/0: 06-30 23:59, 07-01 00:01             → starts before the range: excluded
  //   b/1: day 2 00:00, 00:05                   → 300 s, day 2
  //   b/2: day 2 23:50, day 3 00:20             → 1,800 s, day 2 (dated by its start; its end
  //                                                 after the range still counts)
  //   c/1: 00:30, day 2 01:30                   → 25 h = 90,000 s, day 1
  const events = [
    ev('a', T0, 1),
    ev('a', T0 + 2 * S, 1),
    ev('a', T0 + 100 * S, 1, 'session_start'),
    ev('a', T0 + H, 2),
    ev('a', T0 + H + 45 * S, 2),
    ev('a', T0 + 3 * H, -1),
    ev('b', T0 - M, 3),
    ev('b', T0 + M, 3),
    ev('b', T0 + DAY, 4),
    ev('b', T0 + DAY + 5 * M, 4),
    ev('b', T0 + 2 * DAY - 10 * M, 5),
    ev('b', T0 + 2 * DAY + 20 * M, 5),
    ev('c', T0 + 30 * M, 6),
    ev('c', T0 + DAY + 90 * M, 6),
  ]
  const range = 'start=20240701&end=20240702'

  it('counts sessions per default length bin, a session over 24 h in the last bin', async () => {
    store = await storeWithEvents(events)
    const data = await both(query('length', range))
    expect(data.xValues).toEqual([
      '0s-3s',
      '3s-10s',
      '10s-30s',
      '30s-60s',
      '1m-3m',
      '3m-10m',
      '10m-30m',
      '30m-1h',
      '1h-24h',
    ])
    // a/1 → 0s-3s, a/2 → 30s-60s, b/1 → 3m-10m, b/2 → 30m-1h, c/1 (25 h) → 1h-24h
    expect(data.series).toEqual([[1, 0, 0, 1, 0, 1, 0, 1, 1]])
  })

  it('counts sessions per custom bin, only inside [min, max)', async () => {
    store = await storeWithEvents(events)
    const data = await both(
      query(
        'length',
        `${range}&timeHistogramConfigBinTimeUnit=minutes&timeHistogramConfigBinMin=0&timeHistogramConfigBinMax=10&timeHistogramConfigBinSize=5`,
      ),
    )
    // [0m,5m): a/1 (2 s), a/2 (45 s); [5m,10m): b/1 (300 s = 5 m); b/2 and c/1 are past 10 m
    expect(data).toMatchObject({ xValues: ['0m-5m', '5m-10m'], series: [[2, 1]] })
  })

  it('averages session length per day in seconds', async () => {
    store = await storeWithEvents(events)
    const data = await both(query('average', range))
    // day 1: (2 + 45 + 90,000) / 3 = 30,015.666…; day 2: (300 + 1,800) / 2 = 1,050
    expect(data.series[0]?.[0]).toBeCloseTo(90_047 / 3, 9)
    expect(data.series[0]?.[1]).toBe(1050)
    expect(data.seriesMeta).toEqual([{ segmentIndex: 0 }])
    expect(data.xValues).toEqual(['2024-07-01', '2024-07-02'])
  })

  it('divides sessions by active users per day', async () => {
    store = await storeWithEvents(events)
    const data = await both(query('peruser', range))
    // day 1: sessions a/1, a/2, c/1 = 3; active users a, b (b/0's 00:01 event), c = 3 → 1
    // day 2: sessions b/1, b/2 = 2; active users b, c (c/1's day-2 event) = 2 → 1
    expect(data.series).toEqual([[1, 1]])
    const dayTwo = await both(query('peruser', 'start=20240702&end=20240703'))
    // day 3: no session starts; b's 00:20 event makes b active → 0 / 1 = 0
    expect(dayTwo.series).toEqual([[1, 0]])
  })

  it('dates sessions in the project time zone', async () => {
    store = await storeWithEvents(events)
    // In Tokyo (UTC+9), 07-01 00:00Z..14:59Z is 07-01 local: a/1, a/2, c/1 and b/0 (06-30 23:59Z
    // = 07-01 08:59 local) start on 07-01; b/1 (07-02 09:00 local) is outside.
    const data = await both(query('length', 'start=20240701&end=20240701', 'Asia/Tokyo'))
    // b/0 lasts 2 min → 1m-3m
    expect(data.series).toEqual([[1, 0, 0, 1, 1, 0, 0, 0, 1]])
  })

  it('refuses incomplete or bad custom bins with a 400', () => {
    const bad = (params: string) => {
      try {
        query('length', `${range}&${params}`)
      } catch (error) {
        expect(error).toBeInstanceOf(ApiError)
        return String((error as ApiError).body.error)
      }
      return 'accepted'
    }
    const p = 'timeHistogramConfigBin'
    expect(bad(`${p}TimeUnit=seconds&${p}Min=0`)).toMatch(/all three/)
    expect(bad(`${p}Max=10&${p}Size=1`)).toMatch(/all three/)
    expect(bad(`${p}TimeUnit=days&${p}Min=0&${p}Max=10`)).toMatch(/TimeUnit/)
    expect(bad(`${p}TimeUnit=seconds&${p}Min=10&${p}Max=5`)).toMatch(/greater/)
    expect(bad(`${p}TimeUnit=seconds&${p}Min=0&${p}Max=100000&${p}Size=1`)).toMatch(/1000 bins/)
    expect(bad(`${p}TimeUnit=seconds&${p}Min=-1&${p}Max=10`)).toMatch(/non-negative/)
    expect(bad(`${p}TimeUnit=seconds&${p}Min=0&${p}Max=10`)).toBe('accepted')
    expect(() => query('average', 'start=20240701&end=20240702&i=7')).toThrow(ApiError)
  })
})

describe('sessions SQL against the reference evaluator', () => {
  it('agrees on 36 random datasets (each metric, zones, default and custom bins)', async () => {
    const seeds = Array.from({ length: 36 }, (_, k) => k + 1)
    store = await storeWithDatasets(
      seeds.map((seed) =>
        randomEvents(seed, {
          events: 40 + (seed % 4) * 15,
          eventTypes: ['A', 'B', 'session_start', '$identify', 'C'],
        }),
      ),
    )
    let sessions = 0
    for (const seed of seeds) {
      const random = seededRandom(seed * 104_729)
      const metric = (['length', 'average', 'peruser'] as const)[
        seed % 3
      ] as SessionsQuery['metric']
      const zone = pick(random, ['UTC', 'America/New_York', 'Asia/Kathmandu'])
      const params = new URLSearchParams({
        start: pick(random, ['20240701', '20240702']),
        end: pick(random, ['20240702', '20240704']),
      })
      if (metric === 'length' && random() < 0.5) {
        params.set('timeHistogramConfigBinTimeUnit', pick(random, ['seconds', 'minutes']))
        params.set('timeHistogramConfigBinMin', pick(random, ['0', '1', '5']))
        params.set('timeHistogramConfigBinMax', pick(random, ['30', '45', '60']))
        if (random() < 0.5) params.set('timeHistogramConfigBinSize', pick(random, ['3', '7.5']))
      }
      const q = { ...query(metric, params.toString(), zone), projectId: seed }
      const sql = await sqlSessions(store, q)
      const reference = referenceSessions(q, await loadQueryEvents(store, seed))
      const label = `seed ${seed} ${metric} ${zone} ${params}`
      expect(sql.bins, label).toEqual(reference.bins)
      expect(Object.fromEntries(sql.days), label).toEqual(Object.fromEntries(reference.days))
      sessions += sql.bins.reduce((a, b) => a + b, 0)
      for (const day of sql.days.values()) sessions += day.sessions
    }
    // The datasets must hold sessions, or the comparison proves little.
    expect(sessions).toBeGreaterThan(100)
  }, 120_000)
})
