/**
 * Each segmentation metric pinned on one small dataset, computed by hand (analytics-semantics.md
 * §1.2). Days are July 1–3 2024 (UTC). `Play` is the segmented event (A):
 *   u1: Jul 1 ×2 (price 10, 5), Jul 2 ×1 (price "abc")
 *   u2: Jul 1 ×1 (price 2.5),   Jul 3 ×3 (no price, price 1, price 1)
 *   u3: Jul 2 ×1 (price 4)
 * `View` (B): u4 Jul 1, u1 Jul 2, u3 Jul 3. `session_start` (inactive): u5 Jul 1.
 * Active users (≥ 1 active event): Jul 1 {u1,u2,u4}, Jul 2 {u1,u3}, Jul 3 {u2,u3}; range {u1..u4}.
 */
import type { WireEvent } from '@ampkit/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DuckDbStore } from '../../../src/store/duckdb-store.ts'
import { storeWithEvents } from '../helpers/random-dataset.ts'
import { at, collapsed, segmentation } from './helpers/engines.ts'

const DATASET: WireEvent[] = [
  at('u1', 'Play', 0, { event_properties: { price: 10 } }),
  at('u1', 'Play', 0, { event_properties: { price: 5 }, hour: 13 }),
  at('u1', 'Play', 1, { event_properties: { price: 'abc' } }),
  at('u2', 'Play', 0, { event_properties: { price: 2.5 } }),
  at('u2', 'Play', 2, { event_properties: {} }),
  at('u2', 'Play', 2, { event_properties: { price: 1 }, hour: 13 }),
  at('u2', 'Play', 2, { event_properties: { price: '1' }, hour: 14 }),
  at('u3', 'Play', 1, { event_properties: { price: 4 } }),
  at('u4', 'View', 0),
  at('u1', 'View', 1),
  at('u3', 'View', 2),
  at('u5', 'session_start', 0),
]

const RANGE = { start: '20240701', end: '20240703' }
const PLAY = { event_type: 'Play' }
const PLAY_BY_PRICE = { event_type: 'Play', group_by: [{ type: 'event', value: 'price' }] }

let store: DuckDbStore

beforeAll(async () => {
  store = await storeWithEvents(DATASET)
})

afterAll(async () => {
  await store.close()
})

describe('segmentation metrics', () => {
  it('counts distinct users per day and de-duplicates them over the range (uniques, the default)', async () => {
    const data = await segmentation(store, { e: PLAY, ...RANGE })
    expect(data.xValues).toEqual(['2024-07-01', '2024-07-02', '2024-07-03'])
    // Jul 1 {u1,u2} = 2, Jul 2 {u1,u3} = 2, Jul 3 {u2} = 1.
    expect(data.series).toEqual([[2, 2, 1]])
    // {u1,u2,u3} = 3 over the range, not 2 + 2 + 1 = 5.
    expect(collapsed(data)).toEqual([3])
    expect(data.seriesLabels).toEqual([0])
    expect(data.seriesMeta).toEqual([{ segmentIndex: 0, eventIndex: 0 }])
  })

  it('counts events with totals', async () => {
    const data = await segmentation(store, { e: PLAY, m: 'totals', ...RANGE })
    // Jul 1: 2 + 1 = 3; Jul 2: 1 + 1 = 2; Jul 3: 3. Range: 8.
    expect(data.series).toEqual([[3, 2, 3]])
    expect(collapsed(data)).toEqual([8])
  })

  it('divides events by users with average', async () => {
    const data = await segmentation(store, { e: PLAY, m: 'average', ...RANGE })
    // 3/2, 2/2, 3/1; range 8/3.
    expect(data.series).toEqual([[1.5, 1, 3]])
    expect(collapsed(data)[0]).toBeCloseTo(8 / 3, 12)
  })

  it('divides users by active users with pct_dau, leaving out users with only inactive events', async () => {
    const data = await segmentation(store, { e: PLAY, m: 'pct_dau', ...RANGE })
    // Jul 1: 2 of {u1,u2,u4} (u5 only has session_start); Jul 2: 2 of {u1,u3}; Jul 3: 1 of {u2,u3}.
    expect(data.series[0]?.[0]).toBeCloseTo(2 / 3, 12)
    expect(data.series[0]?.slice(1)).toEqual([1, 0.5])
    // 3 of the 4 users active in the range.
    expect(collapsed(data)).toEqual([0.75])
  })

  it('sums the first group_by property with sums, non-numbers adding nothing', async () => {
    const data = await segmentation(store, { e: PLAY_BY_PRICE, m: 'sums', ...RANGE })
    // Jul 1: 10 + 5 + 2.5 = 17.5; Jul 2: "abc" + 4 = 4; Jul 3: (none) + 1 + "1" = 2. Range 23.5.
    expect(data.series).toEqual([[17.5, 4, 2]])
    expect(collapsed(data)).toEqual([23.5])
    // The value property is consumed, not a group key: one series labelled by its segment.
    expect(data.seriesLabels).toEqual([0])
  })

  it('averages the property over events that carry a number with value_avg', async () => {
    const data = await segmentation(store, { e: PLAY_BY_PRICE, m: 'value_avg', ...RANGE })
    // Jul 1: 17.5 / 3; Jul 2: 4 / 1 ("abc" is no number); Jul 3: 2 / 2 ((none) ignored).
    // Range: 23.5 / 6.
    expect(data.series[0]?.[0]).toBeCloseTo(17.5 / 3, 12)
    expect(data.series[0]?.slice(1)).toEqual([4, 1])
    expect(collapsed(data)[0]).toBeCloseTo(23.5 / 6, 12)
  })

  it('bins users by how often they did the event with histogram, one series per bin', async () => {
    const data = await segmentation(store, { e: PLAY, m: 'histogram', ...RANGE })
    expect(data.seriesMeta.map((m) => m.bin)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10+',
    ])
    // Jul 1: u2 once, u1 twice; Jul 2: u1 and u3 once; Jul 3: u2 three times.
    expect(data.series.slice(0, 4)).toEqual([
      [1, 2, 0],
      [1, 0, 0],
      [0, 0, 1],
      [0, 0, 0],
    ])
    // Over the range: u3 once, u1 three times, u2 four times.
    expect(collapsed(data).slice(0, 5)).toEqual([1, 0, 1, 1, 0])
    expect(data.seriesLabels).toEqual(new Array(10).fill(0))
  })

  it('bins users by the value of the group_by property with histogram, min inclusive and max exclusive', async () => {
    const data = await segmentation(store, { e: PLAY_BY_PRICE, m: 'histogram', ...RANGE })
    // Each user's value is the sum of their numeric prices in the interval (or range):
    //   Jul 1: u1 10 + 5 = 15, u2 2.5.  Jul 2: u1 "abc" only (no number: in no bucket), u3 4.
    //   Jul 3: u2 (none) + 1 + "1" = 2.  Range: u1 15, u2 2.5 + 2 = 4.5, u3 4.
    // Values 2 .. 15: (15 - 2) / 10 = 1.3, rounded up to the width 2; the first bucket starts at
    // the multiple of 2 at or below 2, the last ends above 15: [2,4), [4,6), …, [14,16).
    expect(data.seriesMeta.map((m) => m.bin)).toEqual([
      '[2, 4)',
      '[4, 6)',
      '[6, 8)',
      '[8, 10)',
      '[10, 12)',
      '[12, 14)',
      '[14, 16)',
    ])
    expect(data.series).toEqual([
      // [2,4): Jul 1 u2 (2.5), Jul 3 u2 (2).
      [1, 0, 1],
      // [4,6): Jul 2 u3 (4 is the bucket's inclusive min).
      [0, 1, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      // [14,16): Jul 1 u1 (15).
      [1, 0, 0],
    ])
    // Range: u2 4.5 and u3 4 in [4,6), u1 15 in [14,16).
    expect(collapsed(data)).toEqual([0, 2, 0, 0, 0, 0, 1])
    // The value property is consumed, not a group key.
    expect(data.seriesLabels).toEqual(new Array(7).fill(0))
  })

  it('makes one bucket of width 1 when all values are equal, and none without a numeric value', async () => {
    const edge = await segmentation(store, {
      e: PLAY_BY_PRICE,
      m: 'histogram',
      start: '20240703',
      end: '20240703',
    })
    // Jul 3 only: u2's value 2 is the only one; equal values make one bucket of width 1: [2, 3).
    expect(edge.seriesMeta.map((m) => m.bin)).toEqual(['[2, 3)'])
    expect(edge.series).toEqual([[1]])
    const words = await segmentation(store, {
      e: { event_type: 'View', group_by: [{ type: 'event', value: 'price' }] },
      m: 'histogram',
      ...RANGE,
    })
    // View events carry no price: no value to bin, so no bucket and no series.
    expect(words.series).toEqual([])
    expect(words.xValues).toEqual(['2024-07-01', '2024-07-02', '2024-07-03'])
  })

  it('answers a series per event with e2', async () => {
    const data = await segmentation(store, { e: PLAY, e2: { event_type: 'View' }, ...RANGE })
    expect(data.series).toEqual([
      [2, 2, 1],
      [1, 1, 1],
    ])
    expect(data.seriesMeta).toEqual([
      { segmentIndex: 0, eventIndex: 0 },
      { segmentIndex: 0, eventIndex: 1 },
    ])
    expect(collapsed(data)).toEqual([3, 3])
  })

  it('counts _active as the active users themselves, and _all includes inactive events', async () => {
    const active = await segmentation(store, { e: { event_type: '_active' }, ...RANGE })
    expect(active.series).toEqual([[3, 2, 2]])
    const all = await segmentation(store, { e: { event_type: '_all' }, ...RANGE })
    // Jul 1 adds u5's session_start.
    expect(all.series).toEqual([[4, 2, 2]])
  })

  it('keeps only events of users active in that interval with n=active', async () => {
    const data = await segmentation(store, { e: { event_type: '_all' }, n: 'active', ...RANGE })
    // u5 is not active on Jul 1: 3 users, as with _active.
    expect(data.series).toEqual([[3, 2, 2]])
    expect(collapsed(data)).toEqual([4])
  })

  it('charts a day without events as 0 and answers an empty range with zero series', async () => {
    const data = await segmentation(store, { e: PLAY, start: '20240703', end: '20240705' })
    expect(data.series).toEqual([[1, 0, 0]])
    const none = await segmentation(store, { e: { event_type: 'Nope' }, ...RANGE })
    expect(none.series).toEqual([[0, 0, 0]])
    expect(collapsed(none)).toEqual([0])
  })

  it('accepts the ce: prefix of custom events', async () => {
    const data = await segmentation(store, { e: { event_type: 'ce:Play' }, ...RANGE })
    expect(data.series).toEqual([[2, 2, 1]])
  })

  it('applies the event filters', async () => {
    const filtered = {
      event_type: 'Play',
      filters: [
        {
          subprop_type: 'event',
          subprop_key: 'price',
          subprop_op: 'greater',
          subprop_value: ['3'],
        },
      ],
    }
    const data = await segmentation(store, { e: filtered, m: 'totals', ...RANGE })
    // price > 3: u1's 10 and 5 on Jul 1, u3's 4 on Jul 2.
    expect(data.series).toEqual([[2, 1, 0]])
  })
})
