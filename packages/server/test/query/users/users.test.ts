import type { WireEvent } from '@ampkit/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '../../../src/errors.ts'
import { loadQueryEvents } from '../../../src/query/query-event.ts'
import { type UsersQuery, usersQueryOf } from '../../../src/query/users/query.ts'
import { referenceUsers } from '../../../src/query/users/reference.ts'
import { usersData } from '../../../src/query/users/result.ts'
import { sqlUsers } from '../../../src/query/users/sql.ts'
import type { DuckDbStore } from '../../../src/store/duckdb-store.ts'
import { storeWithDatasets } from '../helpers/datasets-store.ts'
import { pick, randomEvents, seededRandom, storeWithEvents } from '../helpers/random-dataset.ts'

const H = 3_600_000
const DAY = 24 * H
const T0 = Date.UTC(2024, 6, 1) // Monday 2024-07-01

let store: DuckDbStore | undefined
afterEach(async () => {
  await store?.close()
  store = undefined
})

function query(params: string, timeZone = 'UTC'): UsersQuery {
  return usersQueryOf(new URL(`http://x/api/2/users?${params}`), { id: 1, timeZone })
}

function ev(user: string, type: string, time: number, extra: Partial<WireEvent> = {}): WireEvent {
  return { event_type: type, user_id: user, device_id: `d-${user}`, time, ...extra }
}

/** Runs both engines, checks they agree, and returns the answer. */
async function both(q: UsersQuery) {
  if (store === undefined) throw new Error('no store')
  const sql = await sqlUsers(store, q)
  const reference = referenceUsers(q, await loadQueryEvents(store, 1))
  expect(Object.fromEntries(sql)).toEqual(Object.fromEntries(reference))
  return usersData(q, sql)
}

describe('/api/2/users on a hand-computed dataset', () => {
  // Three days, three users:
  //   a: Play day 1 (US), Play day 2 (US)          → active days 1, 2; new on day 1
  //   b: $identify day 1 (inactive), Play day 3 (DE) → active day 3 only; new on day 1 (identify counts)
  //   c: $identify day 2 only                     → never active; new on day 2
  //   d: Play on 2024-06-30 (before the range), Play day 2 → active day 2; not new in the range
  const events = [
    ev('d', 'Play', T0 - 2 * H, { country: 'United States' }),
    ev('a', 'Play', T0 + 1 * H, { country: 'United States' }),
    ev('b', '$identify', T0 + 2 * H),
    ev('a', 'Play', T0 + DAY + 1 * H, { country: 'United States' }),
    ev('c', '$identify', T0 + DAY + 2 * H),
    ev('d', 'Play', T0 + DAY + 3 * H),
    ev('b', 'Play', T0 + 2 * DAY + 1 * H, { country: 'Germany' }),
  ]

  it('counts active users per day, de-duplicated over the range in seriesCollapsed', async () => {
    store = await storeWithEvents(events)
    const data = await both(query('start=20240701&end=20240703'))
    // day 1: a (b's identify is inactive) = 1; day 2: a, d = 2; day 3: b = 1; range: a, b, d = 3
    expect(data.series).toEqual([[1, 2, 1]])
    expect(data.seriesCollapsed).toEqual([[{ setId: '', value: 3 }]])
    expect(data.xValues).toEqual(['2024-07-01', '2024-07-02', '2024-07-03'])
    expect(data.seriesLabels).toEqual([0])
    expect(data.seriesMeta).toEqual([{ segmentIndex: 0 }])
  })

  it('counts new users on the day of their first-ever event, inactive events included', async () => {
    store = await storeWithEvents(events)
    const data = await both(query('start=20240701&end=20240703&m=new'))
    // day 1: a, b (identify) = 2; day 2: c = 1 (d was new on 06-30); day 3: 0; range: 3
    expect(data.series).toEqual([[2, 1, 0]])
    expect(data.seriesCollapsed).toEqual([[{ setId: '', value: 3 }]])
  })

  it('groups by a user property, (none) for missing values, sorted by collapsed value', async () => {
    store = await storeWithEvents(events)
    const data = await both(query('start=20240701&end=20240703&g=country'))
    // United States: a day 1, a day 2 → [1,1,0], collapsed 1 (a); d day 2 has no country → (none)
    // Germany: b day 3 → [0,0,1]. Ties at 1 are ordered by label: "(none)" < "Germany" < "United States".
    expect(data.seriesLabels).toEqual(['(none)', 'Germany', 'United States'])
    expect(data.series).toEqual([
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
    ])
    expect(data.seriesMeta[0]).toEqual({ segmentIndex: 0, groupValue: '(none)' })
    expect(data.seriesCollapsed.map((c) => c[0]?.value)).toEqual([1, 1, 1])
  })

  it('gives one series per segment and cuts groups to limit', async () => {
    store = await storeWithEvents(events)
    const s1 = encodeURIComponent(
      JSON.stringify([{ prop: 'country', op: 'is', values: ['Germany'] }]),
    )
    // An empty `s` is no segment: only the Germany one remains.
    const data = await both(query(`start=20240701&end=20240703&s=&s=${s1}`))
    expect(data.series).toEqual([[0, 0, 1]])
    const two = await both(
      query(`start=20240701&end=20240703&s=${encodeURIComponent('[]')}&s=${s1}`),
    )
    // segment 0 = all users; segment 1 = events from Germany: b on day 3
    expect(two.series).toEqual([
      [1, 2, 1],
      [0, 0, 1],
    ])
    const cut = await both(query('start=20240701&end=20240703&g=country&limit=1'))
    expect(cut.seriesLabels).toEqual(['(none)'])
  })

  it('buckets weeks from Monday and counts only days inside the range', async () => {
    store = await storeWithEvents(events)
    const data = await both(query('start=20240702&end=20240703&i=7'))
    // week of 2024-07-01, events of 07-02 and 07-03 only: a, d (day 2), b (day 3) = 3
    expect(data.xValues).toEqual(['2024-07-01'])
    expect(data.series).toEqual([[3]])
  })

  it('cuts days in the project time zone', async () => {
    store = await storeWithEvents(events)
    // Los Angeles is UTC-7 in July: d's event at 06-30 22:00Z is 06-30 15:00 local; a's 07-01
    // 01:00Z is 06-30 18:00 local. So on 2024-06-30 (local): a and d active.
    const data = await both(query('start=20240630&end=20240630', 'America/Los_Angeles'))
    expect(data.series).toEqual([[2]])
  })

  it('refuses bad parameters with a 400 naming them', () => {
    const bad = (params: string) => {
      try {
        query(params)
      } catch (error) {
        expect(error).toBeInstanceOf(ApiError)
        return String((error as ApiError).body.error)
      }
      return 'accepted'
    }
    expect(bad('end=20240701')).toMatch(/start/)
    expect(bad('start=20240701&end=20240701&m=dau')).toMatch(/parameter m/)
    expect(bad('start=20240701&end=20240701&i=-300000')).toMatch(/parameter i/)
    expect(bad('start=20240701&end=20240701&g=nope')).toMatch(/g/)
    expect(bad('start=20240701&end=20240701&g=country&s=[]&s=[]')).toMatch(/single segment/)
    expect(bad('start=20240703&end=20240701')).toMatch(/end is before start/)
  })
})

const SEGMENTS = [
  '[]',
  JSON.stringify([{ prop: 'platform', op: 'is', values: ['iOS', 'Web'] }]),
  JSON.stringify([{ prop: 'gp:plan', op: 'is not', values: ['free'] }]),
  JSON.stringify([{ type: 'event', event_type: 'B', op: '>=', value: 1, time_type: 'allTime' }]),
  JSON.stringify([
    { type: 'event', event_type: 'A', op: '>=', value: 2, time_type: 'forEachInterval' },
  ]),
]
const GROUPS = ['', 'country', 'platform', 'gp:plan', 'gp:age']

describe('/api/2/users SQL against the reference evaluator', () => {
  it('agrees on 40 random datasets (modes, intervals, zones, segments, group-bys)', async () => {
    const seeds = Array.from({ length: 40 }, (_, k) => k + 1)
    store = await storeWithDatasets(
      seeds.map((seed) =>
        randomEvents(seed, {
          events: 40 + (seed % 5) * 10,
          eventTypes: ['A', 'B', '$identify', 'C', 'session_start'],
        }),
      ),
    )
    let nonEmpty = 0
    for (const seed of seeds) {
      const random = seededRandom(seed * 7919)
      const mode = pick(random, ['active', 'new'])
      const i = pick(random, ['1', '7', '30'])
      const zone = pick(random, ['UTC', 'America/Los_Angeles', 'Asia/Kolkata'])
      const group = pick(random, GROUPS)
      const segments =
        group === '' && random() < 0.3
          ? [pick(random, SEGMENTS), pick(random, SEGMENTS)]
          : [pick(random, SEGMENTS)]
      const params = new URLSearchParams({ start: '20240701', end: '20240704', m: mode, i })
      if (group !== '') params.set('g', group)
      for (const s of segments) params.append('s', s)
      const q = { ...query(params.toString(), zone), projectId: seed }
      const sql = await sqlUsers(store, q)
      const reference = referenceUsers(q, await loadQueryEvents(store, seed))
      if (sql.size > 0) nonEmpty++
      expect(Object.fromEntries(sql), `seed ${seed} ${params}`).toEqual(
        Object.fromEntries(reference),
      )
    }
    // Most datasets must have counted someone, or the comparison proves little.
    expect(nonEmpty).toBeGreaterThan(30)
  }, 120_000)
})
