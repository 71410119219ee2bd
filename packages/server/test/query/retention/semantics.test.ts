/**
 * Hand-computed retention answers. Each dataset is small enough to work out on paper; the arithmetic
 * is in the comments, and both the SQL path and the reference evaluator must give it.
 */
import { describe, expect, it } from 'vitest'
import type { DuckDbStore } from '../../../src/store/duckdb-store.ts'
import { storeWithEvents } from '../helpers/random-dataset.ts'
import { cells, ev, july, query, referenceAnswer, sqlAnswer } from './helpers.ts'

type Answer = Awaited<ReturnType<typeof sqlAnswer>>

/** Runs both paths, checks they agree, and returns the answer. */
async function answer(
  store: DuckDbStore,
  params: Record<string, unknown>,
  nowMs: number,
): Promise<Answer> {
  const q = query(params)
  const fromSql = await sqlAnswer(store, q, nowMs)
  expect(fromSql).toEqual(await referenceAnswer(store, q, nowMs))
  return fromSql
}

/** Retained counts of one cohort, columns 0..n-1 (the cohort size left out). */
function counts(data: Answer, date: string, n: number): number[] {
  return cells(data, date)
    .slice(1, n + 1)
    .map(([count]) => count)
}

const OPEN = { event_type: 'Open' }
const PLAY = { event_type: 'Play' }

describe('retention modes on one dataset', () => {
  // One cohort, 2024-07-01; start event Open, return event Play. Day N = [24N h, 24(N+1) h) after
  // the anchor (times floored to the hour):
  // u1 Open 10:00; Play 07-02 10:30 → 24.5 h → day 1; Play 07-04 09:00 → 71 h → day 2
  // u2 Open 12:00; Play 07-01 13:00 → 1 h → day 0;   Play 07-05 12:00 → 96 h → day 4
  // u3 Open 23:00; never plays
  // u4 Open 08:00; Play 07-03 08:00 → 48 h → day 2
  const events = [
    ev('u1', 'Open', july(1, 10)),
    ev('u1', 'Play', july(2, 10, 30)),
    ev('u1', 'Play', july(4, 9)),
    ev('u2', 'Open', july(1, 12)),
    ev('u2', 'Play', july(1, 13)),
    ev('u2', 'Play', july(5, 12)),
    ev('u3', 'Open', july(1, 23)),
    ev('u4', 'Open', july(1, 8)),
    ev('u4', 'Play', july(3, 8)),
  ]
  const base = { se: OPEN, re: PLAY, start: '20240701', end: '20240701' }
  const now = july(20)

  it('n-day counts a user on exactly the days a return falls on', async () => {
    const store = await storeWithEvents(events)
    try {
      const data = await answer(store, base, now)
      // Cohort size 4; day 0: u2; day 1: u1; day 2: u1, u4; day 3: none; day 4: u2.
      expect(cells(data, '2024-07-01')[0]).toEqual([4, 4, false])
      expect(counts(data, '2024-07-01', 6)).toEqual([1, 1, 2, 0, 1, 0])
      // Days that have begun by now (07-20) for the cohort: Day 0 … Day 19.
      expect(cells(data, '2024-07-01')).toHaveLength(1 + 20)
    } finally {
      await store.close()
    }
  })

  it('rolling counts a user on every day up to their last return', async () => {
    const store = await storeWithEvents(events)
    try {
      const data = await answer(store, { ...base, rm: 'rolling' }, now)
      // Last return day: u1 2, u2 4, u4 2, u3 none. Day N counts users whose last day ≥ N:
      // days 0–2: 3; days 3–4: 1 (u2); day 5: 0.
      expect(counts(data, '2024-07-01', 6)).toEqual([3, 3, 3, 1, 1, 0])
    } finally {
      await store.close()
    }
  })

  it('bracket counts a user in each [from, to) range holding a return day', async () => {
    const store = await storeWithEvents(events)
    try {
      const data = await answer(
        store,
        {
          ...base,
          rm: 'bracket',
          rb: [
            [0, 2],
            [2, 5],
          ],
        },
        now,
      )
      // [0,2): u2 (day 0), u1 (day 1) = 2. [2,5): u1 (2), u4 (2), u2 (4) = 3.
      expect(cells(data, '2024-07-01')).toEqual([
        [4, 4, false],
        [2, 4, false],
        [3, 4, false],
      ])
    } finally {
      await store.close()
    }
  })
})

describe('window edges', () => {
  it('puts a return 23:59:59.999 after the start on day 0 and one 24:00 after on day 1', async () => {
    // a and b start at 10:00:00.000; a returns at 09:59:59.999 next day (day 0), b at 10:00 (day 1).
    // c starts at 10:30 and returns at 10:10 next day, 23 h 40 min later: floored to the hour both
    // are 10:00, 24 h apart, so day 1 (Amplitude computes daily retention hourly).
    const store = await storeWithEvents([
      ev('a', 'Open', july(1, 10)),
      ev('a', 'Play', july(2, 9, 59, 59, 999)),
      ev('b', 'Open', july(1, 10)),
      ev('b', 'Play', july(2, 10)),
      ev('c', 'Open', july(1, 10, 30)),
      ev('c', 'Play', july(2, 10, 10)),
    ])
    try {
      const data = await answer(
        store,
        { se: OPEN, re: PLAY, start: '20240701', end: '20240701' },
        july(10),
      )
      expect(counts(data, '2024-07-01', 3)).toEqual([1, 2, 0])
    } finally {
      await store.close()
    }
  })

  it('never counts the start event, nor an event in the same millisecond, as a day-0 return', async () => {
    // With re = _all, d's own Open would match; e's Play shares its Open's millisecond; f's Play is
    // 1 ms later and counts.
    const store = await storeWithEvents([
      ev('d', 'Open', july(1, 12)),
      ev('e', 'Open', july(1, 12)),
      ev('e', 'Play', july(1, 12)),
      ev('f', 'Open', july(1, 12)),
      ev('f', 'Play', july(1, 12, 0, 0, 1)),
    ])
    try {
      const data = await answer(
        store,
        { se: OPEN, re: { event_type: '_all' }, start: '20240701', end: '20240701' },
        july(10),
      )
      expect(cells(data, '2024-07-01').slice(0, 2)).toEqual([
        [3, 3, false],
        [1, 3, false],
      ])
    } finally {
      await store.close()
    }
  })
})

describe('several cohorts, incomplete cells and the combined row', () => {
  // Range 07-01..07-03, _active → _active, now = 07-04 12:00 UTC.
  // Completeness: a daily cohort's last possible anchor is 23:00 of its day; day N is complete
  // when now ≥ that + (N+1)·24 h. 07-01: (07-04 12:00 − 07-01 23:00) = 61 h → days 0, 1 complete.
  // 07-02: 37 h → day 0. 07-03: 13 h → none. Columns: days begun for 07-01 00:00 by now: 0..3.
  // x uses the app at 09:00 on 07-01, 07-02, 07-03 (three cohorts):
  //   07-01: returns 24 h → day 1, 48 h → day 2.  07-02: 24 h → day 1.  07-03: nothing after.
  // y at 07-01 20:00 and 21:00, and 07-03 22:00 (cohorts 07-01 and 07-03):
  //   07-01 (anchor 20:00): 21:00 → day 0; 07-03 22:00 → 50 h → day 2.  07-03: nothing after.
  // z at 07-02 05:00 and 06:00: 07-02: day 0.
  const events = [
    ev('x', 'Use', july(1, 9)),
    ev('x', 'Use', july(2, 9)),
    ev('x', 'Use', july(3, 9)),
    ev('y', 'Use', july(1, 20)),
    ev('y', 'Use', july(1, 21)),
    ev('y', 'Use', july(3, 22)),
    ev('z', 'Use', july(2, 5)),
    ev('z', 'Use', july(2, 6)),
  ]
  const params = {
    se: { event_type: '_active' },
    re: { event_type: '_active' },
    start: '20240701',
    end: '20240703',
  }

  it('marks cells not yet elapsed incomplete and lists dates newest first', async () => {
    const store = await storeWithEvents(events)
    try {
      const data = await answer(store, params, july(4, 12))
      expect(data.series[0]?.dates).toEqual(['2024-07-03', '2024-07-02', '2024-07-01'])
      // 07-01 (x, y): day 0 y; day 1 x; day 2 x and y (incomplete); day 3 none (incomplete).
      expect(cells(data, '2024-07-01')).toEqual([
        [2, 2, false],
        [1, 2, false],
        [1, 2, false],
        [2, 2, true],
        [0, 2, true],
      ])
      // 07-02 (x, z): day 0 z; day 1 x (incomplete).
      expect(cells(data, '2024-07-02')).toEqual([
        [2, 2, false],
        [1, 2, false],
        [1, 2, true],
        [0, 2, true],
        [0, 2, true],
      ])
      // 07-03 (x, y): nothing yet, all incomplete.
      expect(cells(data, '2024-07-03').map(([, , incomplete]) => incomplete)).toEqual([
        false,
        true,
        true,
        true,
        true,
      ])
    } finally {
      await store.close()
    }
  })

  it('de-duplicates users in the combined row and leaves incomplete cells out', async () => {
    const store = await storeWithEvents(events)
    try {
      const data = await answer(store, params, july(4, 12))
      // Size: x, y, z = 3. Day 0 from 07-01 and 07-02 (complete): outof x, y, z; retained y, z.
      // Day 1 from 07-01 only: outof x, y; retained x. Day 2: no complete cohort, so x's and y's
      // day-2 returns of 07-01 do not count. Every column has an incomplete cohort (07-03).
      expect(data.series[0]?.combined).toEqual([
        { count: 3, outof: 3, retainedSetId: null, incomplete: false },
        { count: 2, outof: 3, retainedSetId: null, incomplete: true },
        { count: 1, outof: 2, retainedSetId: null, incomplete: true },
        { count: 0, outof: 0, retainedSetId: null, incomplete: true },
        { count: 0, outof: 0, retainedSetId: null, incomplete: true },
      ])
    } finally {
      await store.close()
    }
  })

  it('counts the combined row over every cohort once all cells have elapsed', async () => {
    const store = await storeWithEvents(events)
    try {
      const data = await answer(store, params, july(30))
      // Day 0: y (07-01), z (07-02) of x, y, z. Day 1: x (07-01 and 07-02, counted once).
      // Day 2: x and y (07-01).
      expect(
        data.series[0]?.combined.slice(0, 4).map((c) => [c.count, c.outof, c.incomplete]),
      ).toEqual([
        [3, 3, false],
        [2, 3, false],
        [1, 3, false],
        [2, 3, false],
      ])
    } finally {
      await store.close()
    }
  })
})

describe('start events', () => {
  // Range 07-02 only; re = _active. p first appears 07-01 10:00, then 07-02 10:00 and 07-03 11:00.
  // q first appears 07-02 08:00, then 07-03 09:00. r's first event is an inactive session_start at
  // 07-02 07:00, then Use at 09:00.
  const events = [
    ev('p', 'Use', july(1, 10)),
    ev('p', 'Use', july(2, 10)),
    ev('p', 'Use', july(3, 11)),
    ev('q', 'Use', july(2, 8)),
    ev('q', 'Use', july(3, 9)),
    ev('r', 'session_start', july(2, 7)),
    ev('r', 'Use', july(2, 9)),
  ]
  const params = { re: { event_type: '_active' }, start: '20240702', end: '20240702' }

  it('_new takes users whose first-ever event, active or not, falls in the range', async () => {
    const store = await storeWithEvents(events)
    try {
      const data = await answer(store, { ...params, se: { event_type: '_new' } }, july(20))
      // p is not new on 07-02. q: anchor 08:00, 07-03 09:00 → 25 h → day 1. r: anchor at its
      // session_start 07:00, Use 09:00 → day 0.
      expect(cells(data, '2024-07-02')[0]).toEqual([2, 2, false])
      expect(counts(data, '2024-07-02', 3)).toEqual([1, 1, 0])
    } finally {
      await store.close()
    }
  })

  it('_active takes every user with an active event in the range', async () => {
    const store = await storeWithEvents(events)
    try {
      const data = await answer(store, { ...params, se: { event_type: '_active' } }, july(20))
      // p: anchor 07-02 10:00, 07-03 11:00 → 25 h → day 1. q: day 1. r: anchor at Use 09:00
      // (session_start is not active), nothing later.
      expect(cells(data, '2024-07-02')[0]).toEqual([3, 3, false])
      expect(counts(data, '2024-07-02', 3)).toEqual([0, 2, 0])
    } finally {
      await store.close()
    }
  })
})

describe('weekly retention', () => {
  it('anchors on the first start of the week, floors to the day and counts 7-day periods', async () => {
    // Weeks start Monday: 07-01 and 07-08. Times floor to the day; week N = [7N, 7(N+1)) days.
    // w1: 07-02 15:00 (anchor of week 07-01, floored 07-02), 07-08 23:00, 07-09 01:00.
    //   week 07-01: 07-08 → 6 days → week 0; 07-09 → 7 days → week 1.
    //   week 07-08: anchor 07-08 23:00 (floored 07-08); 07-09 → 1 day → week 0.
    // w2: 07-07 23:00 (week 07-01), 07-08 01:00 (week 07-08).
    //   week 07-01: 07-08 → 1 day → week 0.  week 07-08: anchor 01:00, nothing after.
    const store = await storeWithEvents([
      ev('w1', 'Use', july(2, 15)),
      ev('w1', 'Use', july(8, 23)),
      ev('w1', 'Use', july(9, 1)),
      ev('w2', 'Use', july(7, 23)),
      ev('w2', 'Use', july(8, 1)),
    ])
    try {
      const data = await answer(
        store,
        {
          se: { event_type: '_active' },
          re: { event_type: '_active' },
          start: '20240701',
          end: '20240714',
          i: '7',
        },
        Date.UTC(2024, 8, 1),
      )
      expect(data.series[0]?.dates).toEqual(['2024-07-08', '2024-07-01'])
      expect(cells(data, '2024-07-01').slice(0, 4)).toEqual([
        [2, 2, false],
        [2, 2, false],
        [1, 2, false],
        [0, 2, false],
      ])
      expect(cells(data, '2024-07-08').slice(0, 3)).toEqual([
        [2, 2, false],
        [1, 2, false],
        [0, 2, false],
      ])
      // Weeks begun by 09-01 for the week of 07-01: 62 days → weeks 0..8.
      expect(cells(data, '2024-07-01')).toHaveLength(1 + 9)
    } finally {
      await store.close()
    }
  })
})

describe('segments and group-by', () => {
  it('applies the segment to the start event only and groups by the anchor’s property', async () => {
    // g1 starts on iOS and returns on Web 25 h later; g2 starts on Web (dropped by the segment
    // "platform is iOS", applied to start events only) and g3 starts on iOS with no return.
    const store = await storeWithEvents([
      ev('g1', 'Open', july(1, 10), { platform: 'iOS', country: 'Germany' }),
      ev('g1', 'Play', july(2, 11), { platform: 'Web' }),
      ev('g2', 'Open', july(1, 10), { platform: 'Web', country: 'Germany' }),
      ev('g2', 'Play', july(2, 11), { platform: 'Web' }),
      ev('g3', 'Open', july(1, 10), { platform: 'iOS' }),
    ])
    try {
      const params = {
        se: OPEN,
        re: PLAY,
        start: '20240701',
        end: '20240701',
        s: [{ prop: 'platform', op: 'is', values: ['iOS'] }],
      }
      const data = await answer(store, params, july(20))
      expect(counts(data, '2024-07-01', 2)).toEqual([0, 1])
      expect(cells(data, '2024-07-01')[0]).toEqual([2, 2, false])
      const grouped = await answer(store, { ...params, g: 'country' }, july(20))
      // Germany: g1 (retained day 1); (none): g3. Larger groups first, then by value.
      expect(grouped.seriesMeta).toEqual([
        { segmentIndex: 0, eventIndex: 0, groupValue: '(none)' },
        { segmentIndex: 0, eventIndex: 0, groupValue: 'Germany' },
      ])
      expect(cells(grouped, '2024-07-01', 1).slice(0, 3)).toEqual([
        [1, 1, false],
        [0, 1, false],
        [1, 1, false],
      ])
    } finally {
      await store.close()
    }
  })
})
