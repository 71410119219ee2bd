/**
 * The newer formula functions pinned on one small dataset, computed by hand (analytics-semantics.md
 * §1.2). Every answer comes from both engines (`segmentation` checks they agree). UTC, range
 * Jul 1–3 2024 (Jul 1–4 where an empty day is shown). `Buy` is A, with `amount` and revenue:
 *   Jun 30 (before the range): u1 amount 8, revenue 7
 *   Jul 1: u1 amount 5 (revenue 5), u1 amount 12 (revenue 12), u2 amount 5 (revenue 3)
 *   Jul 2: u2 amount 20 (no revenue), u3 amount "big" (revenue 4)
 *   Jul 3: u3 amount 1 (revenue 1), u3 amount 1, u3 amount 2, u4 (no amount)
 * `View`: u5 on Jul 1 and Jul 2. Active users: Jul 1 {u1,u2,u5} = 3, Jul 2 {u2,u3,u5} = 3,
 * Jul 3 {u3,u4} = 2, range {u1..u5} = 5.
 * Per day, Buy: users 2, 2, 2 (range 4); events 3, 2, 4 (range 9); numeric amounts [5, 12, 5],
 * [20], [1, 1, 2]; amount texts {5, 12}, {20, big}, {1, 2} (range: 6 distinct).
 */
import type { WireEvent } from '@ampkit/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DuckDbStore } from '../../../src/store/duckdb-store.ts'
import { storeWithEvents } from '../helpers/random-dataset.ts'
import { at, collapsed, rounded, segmentation } from './helpers/engines.ts'

const DATASET: WireEvent[] = [
  at('u1', 'Buy', -1, { event_properties: { amount: 8 }, revenue: 7 }),
  at('u1', 'Buy', 0, { event_properties: { amount: 5 }, revenue: 5 }),
  at('u1', 'Buy', 0, { event_properties: { amount: 12 }, revenue: 12, hour: 13 }),
  at('u2', 'Buy', 0, { event_properties: { amount: 5 }, revenue: 3 }),
  at('u2', 'Buy', 1, { event_properties: { amount: 20 } }),
  at('u3', 'Buy', 1, { event_properties: { amount: 'big' }, revenue: 4 }),
  at('u3', 'Buy', 2, { event_properties: { amount: 1 }, revenue: 1 }),
  at('u3', 'Buy', 2, { event_properties: { amount: 1 }, hour: 13 }),
  at('u3', 'Buy', 2, { event_properties: { amount: 2 }, hour: 14 }),
  at('u4', 'Buy', 2),
  at('u5', 'View', 0),
  at('u5', 'View', 1),
]

const RANGE = { start: '20240701', end: '20240703' }
const BUY = { event_type: 'Buy' }
const BUY_BY_AMOUNT = { event_type: 'Buy', group_by: [{ type: 'event', value: 'amount' }] }

let store: DuckDbStore

beforeAll(async () => {
  store = await storeWithEvents(DATASET)
})

afterAll(async () => {
  await store.close()
})

const formula = (e: object, text: string, extra: object = {}) =>
  segmentation(store, { e, m: 'formula', formula: text, ...RANGE, ...extra })

describe('segmentation formula functions', () => {
  it('reads the least, greatest and distinct values of the first group_by with PROPMIN, PROPMAX and PROPCOUNT', async () => {
    const data = await formula(BUY_BY_AMOUNT, 'PROPMIN(A); PROPMAX(A); PROPCOUNT(A)', {
      end: '20240704',
    })
    expect(data.xValues).toEqual(['2024-07-01', '2024-07-02', '2024-07-03', '2024-07-04'])
    // The amount is their value, not a group: one series each, labelled by the segment.
    expect(data.seriesLabels).toEqual([0, 0, 0])
    // PROPMIN: min(5, 12, 5) = 5; min(20) = 20 ("big" is no number); min(1, 1, 2) = 1; Jul 4
    // has no value: 0. Range: min of all = 1.
    expect(data.series[0]).toEqual([5, 20, 1, 0])
    // PROPMAX: 12; 20; 2; 0. Range: 20.
    expect(data.series[1]).toEqual([12, 20, 2, 0])
    // PROPCOUNT counts distinct texts, numbers or not: {5,12} = 2; {20,big} = 2; {1,2} = 2;
    // 0. Range: {5,12,20,big,1,2} = 6 (the pre-range 8 is outside).
    expect(data.series[2]).toEqual([2, 2, 2, 0])
    expect(collapsed(data)).toEqual([1, 20, 6])
  })

  it('averages each user’s number of distinct values over the users who did the event with PROPCOUNTAVG', async () => {
    const data = await formula(BUY_BY_AMOUNT, 'PROPCOUNTAVG(A)')
    // Jul 1: u1 {5,12} = 2, u2 {5} = 1 → 3/2 = 1.5 (not PROPCOUNT / UNIQUES = 2/2: users share
    // the 5). Jul 2: u2 {20} = 1, u3 {big} = 1 → 2/2 = 1. Jul 3: u3 {1,2} = 2, u4 {} = 0 → 2/2
    // = 1. Range: u1 {5,12} 2 + u2 {5,20} 2 + u3 {big,1,2} 3 + u4 0 = 7, over 4 users = 1.75.
    expect(data.series).toEqual([[1.5, 1, 1]])
    expect(collapsed(data)).toEqual([1.75])
  })

  it('interpolates PERCENTILE between the nearest ranks of the numeric values', async () => {
    const data = rounded(await formula(BUY_BY_AMOUNT, 'PERCENTILE(A, 50); PERCENTILE(A, 90)'))
    // Median: sorted [5,5,12] → rank 0.5 × 2 = 1 → 5; [20] → 20; [1,1,2] → 1. Range:
    // [1,1,2,5,5,12,20] → rank 3 → 5.
    expect(data.series[0]).toEqual([5, 20, 1])
    // 90th: rank 0.9 × 2 = 1.8 → 5 + (12 − 5) × 0.8 = 10.6; 20; 1 + (2 − 1) × 0.8 = 1.8.
    // Range: rank 0.9 × 6 = 5.4 → 12 + (20 − 12) × 0.4 = 15.2.
    expect(data.series[1]).toEqual([10.6, 20, 1.8])
    expect(collapsed(data)).toEqual([5, 15.2])
  })

  it('sums the revenue of the event with REVENUETOTAL', async () => {
    const data = await formula(BUY, 'REVENUETOTAL(A)')
    // Jul 1: 5 + 12 + 3 = 20; Jul 2: 0 + 4 = 4; Jul 3: 1; range 25 (the pre-range 7 is outside).
    expect(data.series).toEqual([[20, 4, 1]])
    expect(collapsed(data)).toEqual([25])
  })

  it('divides the property sum by the active users of the interval with ARPAU', async () => {
    // The amount is A's value only, as for every value function: one series, not one per amount.
    const data = rounded(await formula(BUY_BY_AMOUNT, 'ARPAU(A)'))
    expect(data.seriesLabels).toEqual([0])
    // PROPSUM: 5 + 12 + 5 = 22; 20; 1 + 1 + 2 = 4; range 46. Active users 3, 3, 2; range 5.
    // 22/3 = 7.33333333; 20/3 = 6.66666667; 4/2 = 2; range 46/5 = 9.2.
    expect(data.series[0]).toEqual([7.33333333, 6.66666667, 2])
    expect(collapsed(data)[0]).toBe(9.2)
  })

  it('takes percentiles of the users’ event counts with FREQPERCENTILE', async () => {
    const data = await formula(BUY, 'FREQPERCENTILE(A, 50); FREQPERCENTILE(A, 100)')
    // Counts: Jul 1 u1 2, u2 1 → [1,2]; Jul 2 u2 1, u3 1 → [1,1]; Jul 3 u3 3, u4 1 → [1,3].
    // Median (rank 0.5): 1.5, 1, 2. Range: u1 2, u2 2, u3 4, u4 1 → [1,2,2,4], rank 1.5 → 2.
    expect(data.series[0]).toEqual([1.5, 1, 2])
    // 100th: the greatest count: 2, 1, 3; range 4.
    expect(data.series[1]).toEqual([2, 1, 3])
    expect(collapsed(data)).toEqual([2, 4])
  })

  it('runs a sum over the shown intervals with CUMSUM, from the range’s first one', async () => {
    const data = await formula(BUY, 'CUMSUM(TOTALS(A)); TOTALS(A)')
    // Totals 3, 2, 4 → 3, 5, 9 (the pre-range event is not added). Over the range CUMSUM is its
    // operand's value: totals 9.
    expect(data.series).toEqual([
      [3, 5, 9],
      [3, 2, 4],
    ])
    expect(collapsed(data)).toEqual([9, 9])
  })

  it('averages the last n points with ROLLAVG and de-duplicates users over the last n intervals with ROLLWIN', async () => {
    const data = await formula(
      BUY,
      'ROLLAVG(UNIQUES(A), 2); ROLLWIN(UNIQUES(A), 2); ROLLWIN(TOTALS(A), 2)',
    )
    // Uniques per day: Jun 30 {u1} = 1 (read because the window reaches back), Jul 1 2, Jul 2 2,
    // Jul 3 2. ROLLAVG: (1 + 2)/2 = 1.5, (2 + 2)/2 = 2, 2.
    expect(data.series[0]).toEqual([1.5, 2, 2])
    // ROLLWIN: Jun 30–Jul 1 {u1,u2} = 2; Jul 1–2 {u1,u2,u3} = 3; Jul 2–3 {u2,u3,u4} = 3.
    expect(data.series[1]).toEqual([2, 3, 3])
    // Totals over two days: 1 + 3 = 4; 3 + 2 = 5; 2 + 4 = 6.
    expect(data.series[2]).toEqual([4, 5, 6])
    // Over the range each is its operand's value: uniques 4, uniques 4, totals 9.
    expect(collapsed(data)).toEqual([4, 4, 9])
  })

  it('applies ROLLWIN to value functions over the values of the whole window', async () => {
    const data = await formula(BUY_BY_AMOUNT, 'ROLLWIN(PROPMAX(A), 2); ROLLWIN(PROPCOUNT(A), 2)')
    // Jun 30–Jul 1 [8,5,12,5]: max 12, texts {8,5,12} = 3; Jul 1–2 [5,12,5,20,big]: 20,
    // {5,12,20,big} = 4; Jul 2–3 [20,big,1,1,2]: 20, {20,big,1,2} = 4. Range: 20 and 6.
    expect(data.series).toEqual([
      [12, 20, 20],
      [3, 4, 4],
    ])
    expect(collapsed(data)).toEqual([20, 6])
  })
})

describe('segmentation histogram formulas', () => {
  it('charts one series per frequency bin with HIST, as m=histogram does', async () => {
    const data = await formula(BUY, 'HIST(A)')
    // Per day, users by their count: Jul 1 u1 2, u2 1; Jul 2 u2 1, u3 1; Jul 3 u3 3, u4 1.
    // Bins "1", "2", "3" (the others stay 0). Range: u1 2, u2 2, u3 4, u4 1.
    expect(data.seriesMeta.slice(0, 4)).toEqual([
      { segmentIndex: 0, formulaIndex: 0, formula: 'HIST(A)', bin: '1' },
      { segmentIndex: 0, formulaIndex: 0, formula: 'HIST(A)', bin: '2' },
      { segmentIndex: 0, formulaIndex: 0, formula: 'HIST(A)', bin: '3' },
      { segmentIndex: 0, formulaIndex: 0, formula: 'HIST(A)', bin: '4' },
    ])
    expect(data.series.slice(0, 4)).toEqual([
      [1, 2, 1],
      [1, 0, 0],
      [0, 0, 1],
      [0, 0, 0],
    ])
    // Range: 1 time u4; 2 times u1, u2; 4 times u3.
    expect(collapsed(data).slice(0, 4)).toEqual([1, 2, 0, 1])
  })

  it('bins users by their value of the first group_by with PROPHIST', async () => {
    const data = await formula(BUY_BY_AMOUNT, 'PROPHIST(A)', { start: '20240702', end: '20240702' })
    // Jul 2: u2 20, u3 no number ("big"): one value, so one bucket [20, 21) holding u2.
    expect(data.seriesMeta.map((m) => m.bin)).toEqual(['[20, 21)'])
    expect(data.series).toEqual([[1]])
    expect(collapsed(data)).toEqual([1])
  })
})
