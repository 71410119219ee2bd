/**
 * Group-bys, segments, time zones, rolling windows and formulas, each on a small dataset computed
 * by hand in the comments. Every answer is also checked against the reference evaluator.
 */
import type { WireEvent } from '@ampkit/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import type { CohortResolver } from '../../../src/query/cohort-members.ts'
import type { DuckDbStore } from '../../../src/store/duckdb-store.ts'
import { storeWithEvents } from '../helpers/random-dataset.ts'
import { at, collapsed, segmentation } from './helpers/engines.ts'

const stores: DuckDbStore[] = []
async function storeOf(events: WireEvent[]): Promise<DuckDbStore> {
  const store = await storeWithEvents(events)
  stores.push(store)
  return store
}
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()))
})

const RANGE = { start: '20240701', end: '20240702' }

describe('segmentation group-by', () => {
  it('splits by a user property, labels [segment, value], sorts by collapsed users and cuts to limit', async () => {
    // Germany: u1, u2, u3 (3 users); France: u4, u5 (2); (none): u6 (1); Spain: u7 (1).
    const store = await storeOf([
      at('u1', 'Play', 0, { country: 'Germany' }),
      at('u2', 'Play', 0, { country: 'Germany' }),
      at('u3', 'Play', 1, { country: 'Germany' }),
      at('u4', 'Play', 0, { country: 'France' }),
      at('u5', 'Play', 1, { country: 'France' }),
      at('u5', 'Play', 1, { country: 'France', hour: 14 }),
      at('u6', 'Play', 1),
      at('u7', 'Play', 0, { country: 'Spain' }),
    ])
    const data = await segmentation(store, { e: { event_type: 'Play' }, g: 'country', ...RANGE })
    // Ties (1 user each) are ordered by value: "(none)" before "Spain".
    expect(data.seriesLabels).toEqual([
      [0, 'Germany'],
      [0, 'France'],
      [0, '(none)'],
      [0, 'Spain'],
    ])
    expect(data.series).toEqual([
      [2, 1],
      [1, 1],
      [0, 1],
      [1, 0],
    ])
    expect(collapsed(data)).toEqual([3, 2, 1, 1])
    const cut = await segmentation(store, {
      e: { event_type: 'Play' },
      g: 'country',
      limit: 2,
      ...RANGE,
    })
    expect(cut.seriesLabels).toEqual([
      [0, 'Germany'],
      [0, 'France'],
    ])
    // Totals rank by events: France has 3 events (u4 + u5 twice), Germany 3: tie → by value.
    const totals = await segmentation(store, {
      e: { event_type: 'Play' },
      g: 'country',
      m: 'totals',
      limit: 2,
      ...RANGE,
    })
    expect(totals.seriesLabels).toEqual([
      [0, 'France'],
      [0, 'Germany'],
    ])
    expect(collapsed(totals)).toEqual([3, 3])
  })

  it("groups by the event's own group_by and g together, values joined by '; '", async () => {
    const store = await storeOf([
      at('u1', 'Play', 0, { event_properties: { genre: 'rock' }, platform: 'iOS' }),
      at('u2', 'Play', 0, { event_properties: { genre: 'rock' }, platform: 'iOS' }),
      at('u3', 'Play', 0, { event_properties: { genre: 'jazz' } }),
    ])
    const e = { event_type: 'Play', group_by: [{ type: 'event', value: 'genre' }] }
    const data = await segmentation(store, { e, g: 'platform', ...RANGE })
    expect(data.seriesLabels).toEqual([
      [0, 'rock; iOS'],
      [0, 'jazz; (none)'],
    ])
    expect(data.series).toEqual([
      [2, 0],
      [1, 0],
    ])
  })

  it('sums per group with sums, the second group_by splitting the series', async () => {
    const store = await storeOf([
      at('u1', 'Buy', 0, { event_properties: { amount: 10, shop: 'a' } }),
      at('u2', 'Buy', 0, { event_properties: { amount: 5, shop: 'b' } }),
      at('u2', 'Buy', 1, { event_properties: { amount: 7, shop: 'b' } }),
    ])
    const e = {
      event_type: 'Buy',
      group_by: [
        { type: 'event', value: 'amount' },
        { type: 'event', value: 'shop' },
      ],
    }
    const data = await segmentation(store, { e, m: 'sums', ...RANGE })
    // Ranked by the property sum: b = 5 + 7 = 12, a = 10.
    expect(data.seriesLabels).toEqual([
      [0, 'b'],
      [0, 'a'],
    ])
    expect(data.series).toEqual([
      [5, 7],
      [10, 0],
    ])
  })
})

describe('segmentation segments', () => {
  // u1 (plan pro) plays Jul 1 and buys Jul 1; u2 (free) plays Jul 1 and 2, bought Jun 20 (before
  // the range); u3 (pro) plays Jul 2 and buys Jul 2 twice; u4 plays Jul 2, never buys.
  const events = () => [
    at('u1', 'Play', 0, { user_properties: { plan: 'pro' } }),
    at('u1', 'Buy', 0, { hour: 13 }),
    at('u2', 'Buy', -11),
    at('u2', 'Play', 0, { user_properties: { plan: 'free' } }),
    at('u2', 'Play', 1),
    at('u3', 'Play', 1, { user_properties: { plan: 'pro' } }),
    at('u3', 'Buy', 1, { hour: 13 }),
    at('u3', 'Buy', 1, { hour: 14 }),
    at('u4', 'Play', 1),
  ]
  const performed = (timeType: string, op = '>=', value = 1) => ({
    type: 'event',
    event_type: 'Buy',
    filters: [],
    op,
    value,
    time_type: timeType,
  })
  const e = { event_type: 'Play' }

  it('filters by a user property as of each event', async () => {
    const store = await storeOf(events())
    const data = await segmentation(
      store,
      { e, ...RANGE },
      {
        segments: [[{ prop: 'gp:plan', op: 'is', values: ['pro'] }]],
      },
    )
    // plan is set on u1 Jul 1 and u3 Jul 2 (user properties persist on the user's later events).
    expect(data.series).toEqual([[1, 1]])
  })

  it('keeps users who performed an event, counted over all time, the range, or each interval', async () => {
    const store = await storeOf(events())
    const allTime = await segmentation(
      store,
      { e, ...RANGE },
      {
        segments: [[performed('allTime')]],
      },
    )
    // Buyers ever: u1, u2 (Jun 20), u3. Jul 1 {u1,u2}, Jul 2 {u2,u3}.
    expect(allTime.series).toEqual([[2, 2]])
    const inRange = await segmentation(
      store,
      { e, ...RANGE },
      {
        segments: [[performed('currentInterval')]],
      },
    )
    // u2's purchase is before the range: Jul 1 {u1}, Jul 2 {u3}.
    expect(inRange.series).toEqual([[1, 1]])
    const sameDay = await segmentation(
      store,
      { e, ...RANGE },
      {
        segments: [[performed('forEachInterval', '>=', 2)]],
      },
    )
    // Two purchases the same day: only u3 on Jul 2.
    expect(sameDay.series).toEqual([[0, 1]])
    const never = await segmentation(
      store,
      { e, ...RANGE },
      {
        segments: [[performed('allTime', '=', 0)]],
      },
    )
    // Zero purchases: u4 only.
    expect(never.series).toEqual([[0, 1]])
  })

  it('answers one series per repeated s, labelled by segment index', async () => {
    const store = await storeOf(events())
    const data = await segmentation(
      store,
      { e, ...RANGE },
      {
        segments: [[], [performed('currentInterval')]],
      },
    )
    expect(data.seriesLabels).toEqual([0, 1])
    expect(data.series).toEqual([
      [2, 3],
      [1, 1],
    ])
    expect(data.seriesMeta).toEqual([
      { segmentIndex: 0, eventIndex: 0 },
      { segmentIndex: 1, eventIndex: 0 },
    ])
  })

  it('keeps the members of a cohort, resolved through the CohortResolver', async () => {
    const store = await storeOf(events())
    const rows = await store.selectRows(
      "SELECT DISTINCT amplitude_id FROM events WHERE user_id IN ('u2', 'u4')",
    )
    const members = new Set(rows.map((r) => Number(r.amplitude_id)))
    const cohorts: CohortResolver = {
      members: async (_project, id) => (id === 'c1' ? members : undefined),
    }
    const inCohort = await segmentation(
      store,
      { e, ...RANGE },
      {
        cohorts,
        segments: [[{ prop: 'userdata_cohort', op: 'is', values: ['c1'] }]],
      },
    )
    // Jul 1 {u2}, Jul 2 {u2,u4}.
    expect(inCohort.series).toEqual([[1, 2]])
    const outside = await segmentation(
      store,
      { e, ...RANGE },
      {
        cohorts,
        segments: [[{ prop: 'userdata_cohort', op: 'is not', values: ['c1'] }]],
      },
    )
    expect(outside.series).toEqual([[1, 1]])
  })
})

describe('segmentation intervals', () => {
  it("buckets by the project's time zone", async () => {
    // New York is UTC-4 in July. 02:00Z Jul 2 is 22:00 Jul 1 there; 02:00Z Jul 1 is Jun 30.
    const store = await storeOf([
      at('u1', 'Play', 1, { hour: 2 }),
      at('u2', 'Play', 0, { hour: 2 }),
      at('u3', 'Play', 1, { hour: 12 }),
    ])
    const data = await segmentation(
      store,
      { e: { event_type: 'Play' }, ...RANGE },
      {
        timeZone: 'America/New_York',
      },
    )
    expect(data.series).toEqual([[1, 1]])
    expect(collapsed(data)).toEqual([2])
    const hourly = await segmentation(
      store,
      { e: { event_type: 'Play' }, i: -3600000, start: '20240701', end: '20240701' },
      { timeZone: 'America/New_York' },
    )
    expect(hourly.xValues).toHaveLength(24)
    expect(hourly.xValues[22]).toBe('2024-07-01T22:00:00')
    expect(hourly.series[0]?.[22]).toBe(1)
  })

  it('cuts weeks on Monday and months on the 1st, labelled by their first day', async () => {
    // Jul 1 2024 is a Monday.
    const store = await storeOf([at('u1', 'Play', 0), at('u1', 'Play', 8), at('u2', 'Play', 9)])
    const weekly = await segmentation(store, {
      e: { event_type: 'Play' },
      i: 7,
      start: '20240701',
      end: '20240714',
    })
    expect(weekly.xValues).toEqual(['2024-07-01', '2024-07-08'])
    expect(weekly.series).toEqual([[1, 2]])
    const monthly = await segmentation(store, {
      e: { event_type: 'Play' },
      i: 30,
      start: '20240615',
      end: '20240731',
    })
    expect(monthly.xValues).toEqual(['2024-06-01', '2024-07-01'])
    expect(monthly.series).toEqual([[0, 2]])
  })

  it('rolls uniques over a trailing window, reaching back before the range', async () => {
    // u2 plays Jun 30 (before the range), u1 Jul 1 and Jul 2, u3 Jul 2.
    const store = await storeOf([
      at('u2', 'Play', -1),
      at('u1', 'Play', 0),
      at('u1', 'Play', 1),
      at('u3', 'Play', 1),
    ])
    const data = await segmentation(store, {
      e: { event_type: 'Play' },
      rollingWindow: 2,
      ...RANGE,
    })
    // Jul 1 = {Jun 30, Jul 1} users {u2,u1} = 2; Jul 2 = {Jul 1, Jul 2} users {u1,u3} = 2 (u1 once).
    expect(data.series).toEqual([[2, 2]])
    // Collapsed covers the range only: {u1,u3}.
    expect(collapsed(data)).toEqual([2])
    const averaged = await segmentation(store, {
      e: { event_type: 'Play' },
      m: 'totals',
      rollingAverage: 2,
      ...RANGE,
    })
    // Daily totals Jun 30: 1, Jul 1: 1, Jul 2: 2 → means (1+1)/2 = 1 and (1+2)/2 = 1.5.
    expect(averaged.series).toEqual([[1, 1.5]])
    expect(collapsed(averaged)).toEqual([3])
  })
})

describe('segmentation formulas', () => {
  // A = Play: Jul 1 {u1,u2}, Jul 2 {u1 ×2}. B = View: Jul 1 {u1,u2,u3,u4}, Jul 2 {u1}.
  const events = () => [
    at('u1', 'Play', 0, { event_properties: { price: 4 } }),
    at('u2', 'Play', 0, { event_properties: { price: 6 } }),
    at('u1', 'Play', 1, { event_properties: { price: 1 } }),
    at('u1', 'Play', 1, { event_properties: { price: 2 }, hour: 13 }),
    ...['u1', 'u2', 'u3', 'u4'].map((u) => at(u, 'View', 0)),
    at('u1', 'View', 1),
  ]
  const e = { event_type: 'Play', group_by: [{ type: 'event', value: 'price' }] }
  const e2 = { event_type: 'View' }

  it('divides the uniques of A by the uniques of B', async () => {
    const store = await storeOf(events())
    const data = await segmentation(store, {
      e: { event_type: 'Play' },
      e2,
      m: 'formula',
      formula: 'UNIQUES(A)/UNIQUES(B)',
      ...RANGE,
    })
    // Jul 1: 2/4; Jul 2: 1/1; range: {u1,u2} / {u1..u4} = 2/4.
    expect(data.series).toEqual([[0.5, 1]])
    expect(collapsed(data)).toEqual([0.5])
    expect(data.seriesMeta).toEqual([
      { segmentIndex: 0, formulaIndex: 0, formula: 'UNIQUES(A)/UNIQUES(B)' },
    ])
    expect(data.seriesLabels).toEqual([0])
  })

  it('evaluates arithmetic with parentheses and numbers, several formulas split by ;', async () => {
    const store = await storeOf(events())
    const data = await segmentation(store, {
      e: { event_type: 'Play' },
      e2,
      m: 'formula',
      formula: '(totals(A) + 2) * 3 - UNIQUES(B) / 2; AVG(A); ACTIVE(A)',
      ...RANGE,
    })
    // Jul 1: (2 + 2) * 3 - 4/2 = 10; Jul 2: (2 + 2) * 3 - 1/2 = 11.5; range (4 + 2) * 3 - 4/2 = 16.
    expect(data.series[0]).toEqual([10, 11.5])
    expect(collapsed(data)[0]).toBe(16)
    // AVG = totals / uniques: 2/2, 2/1; range 4/2.
    expect(data.series[1]).toEqual([1, 2])
    expect(collapsed(data)[1]).toBe(2)
    // ACTIVE = uniques / active users: 2/4, 1/1; range 2/4.
    expect(data.series[2]).toEqual([0.5, 1])
    expect(data.seriesMeta.map((m) => m.formulaIndex)).toEqual([0, 1, 2])
  })

  it('reads the first group_by of PROPSUM and PROPAVG as their value only, one series', async () => {
    const store = await storeOf(events())
    const data = await segmentation(store, {
      e,
      m: 'formula',
      formula: 'PROPSUM(A) / UNIQUES(A); PROPAVG(A); PROPSUM(A); PROPMAX(A)',
      ...RANGE,
    })
    // The price is the value, not a group: one series per formula, labelled by the segment.
    expect(data.seriesLabels).toEqual([0, 0, 0, 0])
    // PROPSUM / UNIQUES: Jul 1 (4 + 6) / {u1,u2} 2 = 5; Jul 2 (1 + 2) / {u1} 1 = 3; range
    // (4 + 6 + 1 + 2) / {u1,u2} 2 = 13 / 2 = 6.5.
    expect(data.series[0]).toEqual([5, 3])
    // PROPAVG = sum / events with a price: Jul 1 10 / 2 = 5; Jul 2 3 / 2 = 1.5; range 13 / 4 = 3.25.
    expect(data.series[1]).toEqual([5, 1.5])
    // PROPSUM: Jul 1 4 + 6 = 10; Jul 2 1 + 2 = 3; range 13. PROPMAX beside it changes nothing.
    expect(data.series[2]).toEqual([10, 3])
    // PROPMAX: Jul 1 max(4, 6) = 6; Jul 2 max(1, 2) = 2; range 6.
    expect(data.series[3]).toEqual([6, 2])
    expect(collapsed(data)).toEqual([6.5, 3.25, 13, 6])
  })

  it('splits PROPSUM by the second group_by of its event', async () => {
    const play = (user: string, day: number, price: number, genre: string, hour = 12) =>
      at(user, 'Play', day, { event_properties: { price, genre }, hour })
    const store = await storeOf([
      play('u1', 0, 4, 'rock'),
      play('u2', 0, 6, 'jazz'),
      play('u1', 1, 1, 'rock'),
      play('u1', 1, 2, 'rock', 13),
      play('u3', 1, 5, 'jazz'),
    ])
    const data = await segmentation(store, {
      e: {
        event_type: 'Play',
        group_by: [
          { type: 'event', value: 'price' },
          { type: 'event', value: 'genre' },
        ],
      },
      m: 'formula',
      formula: 'PROPSUM(A)',
      ...RANGE,
    })
    // Groups by genre, ordered by collapsed users: jazz {u2,u3} 2, rock {u1} 1.
    expect(data.seriesLabels).toEqual([
      [0, 'jazz'],
      [0, 'rock'],
    ])
    // jazz: Jul 1 6; Jul 2 5; range 11. rock: Jul 1 4; Jul 2 1 + 2 = 3; range 7.
    expect(data.series).toEqual([
      [6, 5],
      [4, 3],
    ])
    expect(collapsed(data)).toEqual([11, 7])
  })

  it('charts a division by zero as 0', async () => {
    const store = await storeOf(events())
    const data = await segmentation(store, {
      e: { event_type: 'Play' },
      e2: { event_type: 'Nothing' },
      m: 'formula',
      formula: 'UNIQUES(A)/UNIQUES(B)',
      ...RANGE,
    })
    expect(data.series).toEqual([[0, 0]])
  })
})

describe('segmentation users', () => {
  it('counts an anonymous device merged into a user as that user, on its earlier events too', async () => {
    // Jul 1: alice on d1, an anonymous user on d2; Jul 2: alice logs in on d2, which merges d2's
    // anonymous Amplitude id into alice's.
    const store = await storeOf([
      at('alice', 'Play', 0, { device_id: 'd1' }),
      { ...at('x', 'Play', 0, { device_id: 'd2', hour: 13 }), user_id: undefined },
      at('alice', 'Play', 1, { device_id: 'd2' }),
    ])
    const merged = await store.selectRows(
      'SELECT count(*) AS n FROM users_current WHERE merged_into IS NOT NULL',
    )
    expect(Number(merged[0]?.n)).toBe(1)
    const data = await segmentation(store, { e: { event_type: 'Play' }, ...RANGE })
    // Jul 1: alice and the anonymous id are one user.
    expect(data.series).toEqual([[1, 1]])
    expect(collapsed(data)).toEqual([1])
  })
})
