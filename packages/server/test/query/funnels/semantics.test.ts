/**
 * Hand-computed funnels: each dataset is small enough to follow by hand, the expected numbers are
 * worked out in the comments, and both engines (SQL and reference) must give them.
 */
import type { FunnelSeries, WireEvent } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
import { storeWithEvents } from '../helpers/random-dataset.ts'
import {
  filledBins,
  funnelQuery,
  type QueryOptions,
  referenceAnswer,
  sqlAnswer,
  step,
} from './funnel-helpers.ts'

/** 2024-07-01 10:00:00 UTC: t(s) is that many seconds later. */
const BASE_MS = Date.UTC(2024, 6, 1, 10)
const t = (seconds: number) => BASE_MS + Math.round(seconds * 1000)
let insert = 0

function ev(user: string, eventType: string, timeMs: number, extra: Partial<WireEvent> = {}) {
  insert++
  return {
    event_type: eventType,
    user_id: user,
    device_id: `d-${user}`,
    time: timeMs,
    insert_id: `i${insert}`,
    ...extra,
  } satisfies WireEvent
}

/** Runs the funnel through both engines, checks they agree, and returns the answer. */
async function funnel(
  events: WireEvent[],
  steps: string[],
  options: QueryOptions = {},
): Promise<FunnelSeries[]> {
  const store = await storeWithEvents(events)
  try {
    const query = funnelQuery(
      steps.map((type) => step(type)),
      options,
    )
    const sql = await sqlAnswer(store, query)
    expect(sql).toEqual(await referenceAnswer(store, query))
    return sql
  } finally {
    await store.close()
  }
}

const raw = (data: FunnelSeries[]) => data.map((series) => series.cumulativeRaw)

describe('funnel modes on the same data', () => {
  // u1: A@0 X@10 B@20 C@30    ordered 3 · sequential 1 (X sits between A and B) · unordered 3
  // u2: B@0 A@10 C@20         ordered 1 (no B after A) · sequential 1 · unordered 1 (B is before
  //                           the entry, outside its window)
  // u3: A@0 C@10 B@20         ordered 2 (no C after B) · sequential 1 (C follows A) · unordered 3
  // u4: A@0.0 B@0.4 C@1.0     ordered 3 · sequential 3 (B shares A's second, C is the next one)
  //                           · unordered 3
  const events = [
    ev('u1', 'A', t(0)),
    ev('u1', 'X', t(10)),
    ev('u1', 'B', t(20)),
    ev('u1', 'C', t(30)),
    ev('u2', 'B', t(0)),
    ev('u2', 'A', t(10)),
    ev('u2', 'C', t(20)),
    ev('u3', 'A', t(0)),
    ev('u3', 'C', t(10)),
    ev('u3', 'B', t(20)),
    ev('u4', 'A', t(0)),
    ev('u4', 'B', t(0.4)),
    ev('u4', 'C', t(1)),
  ]

  it('ordered: steps in order with other events between', async () => {
    const [series] = await funnel(events, ['A', 'B', 'C'])
    // Reached: step 0 u1..u4 = 4; step 1 u1, u3, u4 = 3; step 2 u1, u4 = 2.
    expect(series?.cumulativeRaw).toEqual([4, 3, 2])
    expect(series?.cumulative).toEqual([1, 3 / 4, 2 / 4])
    expect(series?.stepByStep).toEqual([1, 3 / 4, 2 / 3])
    // A→B: u1 20 s, u3 20 s, u4 0 s (same second) → median 20,000, mean 13,333.3 → 13,333.
    // B→C: u1 10 s, u4 1 s → median (10,000 + 1,000) / 2 = 5,500, mean 5,500.
    expect(series?.medianTransTimes).toEqual([0, 20_000, 5_500])
    expect(series?.avgTransTimes).toEqual([0, 13_333, 5_500])
    expect(series?.events).toEqual(['A', 'B', 'C'])
    expect(series?.meta).toEqual({ segmentIndex: 0 })
    expect(series?.groupValue).toBe('')
  })

  it('sequential: no other event between steps, except in a step’s own second', async () => {
    // Only u4 gets past step 0.
    expect(raw(await funnel(events, ['A', 'B', 'C'], { mode: 'sequential' }))).toEqual([[4, 1, 1]])
  })

  it('unordered: the later steps in any order inside the entry’s window', async () => {
    const [series] = await funnel(events, ['A', 'B', 'C'], { mode: 'unordered' })
    // u1, u3, u4 reach step 2.
    expect(series?.cumulativeRaw).toEqual([4, 3, 3])
    // Step 1 (B) is done by: u1 20 s, u3 20 s, u4 0 s → median 20,000, mean 13,333.
    // Steps 1..2 (B and C) by: u1 30 s (+10), u3 20 s (+0: C came first), u4 1 s (+1) →
    // median 1,000, mean 11,000 / 3 = 3,666.7 → 3,667.
    expect(series?.medianTransTimes).toEqual([0, 20_000, 1_000])
    expect(series?.avgTransTimes).toEqual([0, 13_333, 3_667])
  })

  it('sequential: a tolerated same-second event can be the one that leads on', async () => {
    // A@0 B@0.5 X@1 B@1.5 C@2: the first B is followed by X's second, so C is not adjacent to it;
    // the second B (sharing X's second) is, and C follows it in the next second → 3.
    const data = await funnel(
      [
        ev('s', 'A', t(0)),
        ev('s', 'B', t(0.5)),
        ev('s', 'X', t(1)),
        ev('s', 'B', t(1.5)),
        ev('s', 'C', t(2)),
      ],
      ['A', 'B', 'C'],
      { mode: 'sequential' },
    )
    expect(raw(data)).toEqual([[1, 1, 1]])
    // Step times are the earliest reachable: B at 0 s, C at 2 s.
    expect(data[0]?.medianTransTimes).toEqual([0, 0, 2_000])
  })

  it('sequential: identify events and session markers neither break a sequence nor fill a step', async () => {
    const data = await funnel(
      [ev('s', 'A', t(0)), ev('s', 'session_start', t(5)), ev('s', 'B', t(10))],
      ['A', 'B'],
      { mode: 'sequential' },
    )
    expect(raw(data)).toEqual([[1, 1]])
  })
})

describe('the conversion window', () => {
  it('counts a step exactly cs seconds after the entry, not one second more; times are whole seconds', async () => {
    // cs = 60: w1 B at +60 s converts; w2 B at +61 s does not; w3 A at 0.5 s, B at 60.9 s: both
    // floored to whole seconds (0 and 60) → converts.
    const data = await funnel(
      [
        ev('w1', 'A', t(0)),
        ev('w1', 'B', t(60)),
        ev('w2', 'A', t(0)),
        ev('w2', 'B', t(61)),
        ev('w3', 'A', t(0.5)),
        ev('w3', 'B', t(60.9)),
      ],
      ['A', 'B'],
      { cs: 60 },
    )
    expect(raw(data)).toEqual([[3, 2]])
    expect(data[0]?.medianTransTimes).toEqual([0, 60_000])
  })

  it('rounds the window of unordered funnels down to whole days, and to at least one day', async () => {
    const events = [
      ev('d1', 'A', t(0)),
      ev('d1', 'B', t(86_400)),
      ev('d2', 'A', t(0)),
      ev('d2', 'B', t(86_401)),
    ]
    // cs = 90,000 s (25 h) is one whole day: d1 at exactly 86,400 s converts, d2 one second later not.
    expect(raw(await funnel(events, ['A', 'B'], { mode: 'unordered', cs: 90_000 }))).toEqual([
      [2, 1],
    ])
    // cs = 3,600 s would be zero days: the window is one day all the same.
    expect(raw(await funnel(events, ['A', 'B'], { mode: 'unordered', cs: 3_600 }))).toEqual([
      [2, 1],
    ])
    // Ordered keeps cs as given: 3,600 s.
    expect(raw(await funnel(events, ['A', 'B'], { cs: 3_600 }))).toEqual([[2, 0]])
  })

  it('lets later steps fall after the range end, inside the window', async () => {
    // Range 2024-07-01 only; B the next day, 14 h after A.
    const data = await funnel([ev('x', 'A', t(0)), ev('x', 'B', t(14 * 3600))], ['A', 'B'], {
      cs: 86_400,
    })
    expect(raw(data)).toEqual([[1, 1]])
  })
})

describe('repeated steps and the counted path', () => {
  // r1: A@0 A@5 B@10   ordered 3 · unordered 3
  // r2: A@0 B@5 A@10   ordered 2 (A, A@10, no B after) · unordered 3 (A@10 and B@5 in the window)
  // r3: A@0 B@5        ordered 1 (a step needs its own event: no second A) · unordered 1
  const events = [
    ev('r1', 'A', t(0)),
    ev('r1', 'A', t(5)),
    ev('r1', 'B', t(10)),
    ev('r2', 'A', t(0)),
    ev('r2', 'B', t(5)),
    ev('r2', 'A', t(10)),
    ev('r3', 'A', t(0)),
    ev('r3', 'B', t(5)),
  ]

  it('needs a distinct event for each repeated step (ordered)', async () => {
    expect(raw(await funnel(events, ['A', 'A', 'B']))).toEqual([[3, 2, 1]])
  })

  it('needs a distinct event for each repeated step (unordered)', async () => {
    expect(raw(await funnel(events, ['A', 'A', 'B'], { mode: 'unordered' }))).toEqual([[3, 2, 2]])
  })

  it('two events of the same second can fill two repeated steps, in stored order', async () => {
    expect(raw(await funnel([ev('q', 'A', t(0)), ev('q', 'A', t(0.2))], ['A', 'A']))).toEqual([
      [1, 1],
    ])
  })

  it('counts the earliest of the entries that get furthest', async () => {
    // cs = 60. Entry A@0: B@100 is too late. Entry A@1000 → B@1030 (30 s). Entry A@2000 → B@2010
    // (10 s). Both later entries reach step 1; the earlier one counts: median 30,000 ms.
    const data = await funnel(
      [
        ev('e', 'A', t(0)),
        ev('e', 'B', t(100)),
        ev('e', 'A', t(1000)),
        ev('e', 'B', t(1030)),
        ev('e', 'A', t(2000)),
        ev('e', 'B', t(2010)),
      ],
      ['A', 'B'],
      { cs: 60 },
    )
    expect(raw(data)).toEqual([[1, 1]])
    expect(data[0]?.medianTransTimes).toEqual([0, 30_000])
    expect(data[0]?.avgTransTimes).toEqual([0, 30_000])
  })
})

describe('who enters', () => {
  it('n=new keeps only users whose first-ever event is inside the range', async () => {
    const events = [
      ev('old', 'X', Date.UTC(2024, 5, 30, 12)),
      ev('old', 'A', t(0)),
      ev('old', 'B', t(10)),
      ev('new', 'A', t(0)),
      ev('new', 'B', t(10)),
    ]
    expect(raw(await funnel(events, ['A', 'B']))).toEqual([[2, 2]])
    expect(raw(await funnel(events, ['A', 'B'], { users: 'new' }))).toEqual([[1, 1]])
  })
})

describe('dayFunnels', () => {
  it('judges each entry day on its own, so a user counts in every day they entered', async () => {
    const day2 = (hours: number) => Date.UTC(2024, 6, 2, hours)
    // m1: 07-01 A 10:00 → B 10:30 (converts); 07-02 A 10:00, no B → 07-01 [1,1], 07-02 [1,0].
    // m2: 07-02 A 09:00 (B at 10:15 is 75 min later: too late), A 09:30 → B 10:15 (45 min) → [1,1].
    // Overall (best entry per user): both convert → [2, 2]. Per day: 07-01 [1,1]; 07-02 [2,1].
    const data = await funnel(
      [
        ev('m1', 'A', t(0)),
        ev('m1', 'B', t(1800)),
        ev('m1', 'A', day2(10)),
        ev('m2', 'A', day2(9)),
        ev('m2', 'A', day2(9) + 1_800_000),
        ev('m2', 'B', day2(10) + 900_000),
      ],
      ['A', 'B'],
      { cs: 3600, end: '20240702' },
    )
    expect(raw(data)).toEqual([[2, 2]])
    expect(data[0]?.dayFunnels).toEqual({
      xValues: ['2024-07-01', '2024-07-02'],
      formattedXValues: ['Jul 1', 'Jul 2'],
      series: [
        [1, 1],
        [2, 1],
      ],
    })
  })
})

describe('transition times per day and the two histograms', () => {
  it('pins dayMedianTransTimes, dayAvgTransTimes and both step distributions on a hand-computed dataset', async () => {
    const DAY = 86_400
    // Ordered A → B → C, default 30-day window, range 07-01..07-02, daily buckets.
    // p1 07-01: A@0 A@5 B@20 C@80          path A@0 → B@20 (20 s) → C@80 (60 s)
    // p2 07-01: A@0 B@3 B@4 C@4000         path A@0 → B@3 (3 s) → C@4000 (3,997 s)
    //    07-02: A@D B@D+10                 path A → B (10 s): level 2 for that day; overall the
    //                                      07-01 entry gets further and is the counted one
    // p3 07-01: A@0 B@30                   path A → B (30 s)
    // p4 07-01: A@0                        entry only
    // p5 07-02: A@D B@D+100 C@D+200        path A → B (100 s) → C (100 s)
    const data = await funnel(
      [
        ev('p1', 'A', t(0)),
        ev('p1', 'A', t(5)),
        ev('p1', 'B', t(20)),
        ev('p1', 'C', t(80)),
        ev('p2', 'A', t(0)),
        ev('p2', 'B', t(3)),
        ev('p2', 'B', t(4)),
        ev('p2', 'C', t(4000)),
        ev('p2', 'A', t(DAY)),
        ev('p2', 'B', t(DAY + 10)),
        ev('p3', 'A', t(0)),
        ev('p3', 'B', t(30)),
        ev('p4', 'A', t(0)),
        ev('p5', 'A', t(DAY)),
        ev('p5', 'B', t(DAY + 100)),
        ev('p5', 'C', t(DAY + 200)),
      ],
      ['A', 'B', 'C'],
      { end: '20240702' },
    )
    const [series] = data
    // Overall, counted paths: step 0 p1..p5 = 5, step 1 p1 p2 p3 p5 = 4, step 2 p1 p2 p5 = 3.
    expect(series?.cumulativeRaw).toEqual([5, 4, 3])
    // A → B: 3,000 20,000 30,000 100,000 → median (20,000 + 30,000) / 2 = 25,000;
    //        mean 153,000 / 4 = 38,250.
    // B → C: 60,000 100,000 3,997,000 → median 100,000; mean 4,157,000 / 3 = 1,385,666.7 → 1,385,667.
    expect(series?.medianTransTimes).toEqual([0, 25_000, 100_000])
    expect(series?.avgTransTimes).toEqual([0, 38_250, 1_385_667])
    const days = { xValues: ['2024-07-01', '2024-07-02'], formattedXValues: ['Jul 1', 'Jul 2'] }
    // 07-01: p1 p2 p3 p4 → [4, 3, 2]; 07-02: p2 (level 2) p5 (level 3) → [2, 2, 1].
    expect(series?.dayFunnels).toEqual({
      ...days,
      series: [
        [4, 3, 2],
        [2, 2, 1],
      ],
    })
    // 07-01 A → B: 3,000 20,000 30,000 → median 20,000, mean 53,000 / 3 = 17,666.7 → 17,667;
    //       B → C: 60,000 3,997,000 → median = mean = 4,057,000 / 2 = 2,028,500.
    // 07-02 A → B: p2 10,000, p5 100,000 → median = mean = 55,000; B → C: p5 100,000.
    expect(series?.dayMedianTransTimes).toEqual({
      ...days,
      series: [
        [0, 20_000, 2_028_500],
        [0, 55_000, 100_000],
      ],
    })
    expect(series?.dayAvgTransTimes).toEqual({
      ...days,
      series: [
        [0, 17_667, 2_028_500],
        [0, 55_000, 100_000],
      ],
    })
    // Transition bins (ms) of the counted paths:
    // A → B: 3,000 in [1 s, 5 s); 20,000 in [10 s, 30 s); 30,000 in [30 s, 1 min);
    //        100,000 in [1 min, 2 min).
    // B → C: 60,000 and 100,000 in [1 min, 2 min) (sum 160,000); 3,997,000 in [1 h, 2 h).
    expect(filledBins(series?.stepTransTimeDistribution)).toEqual([
      [],
      [
        [1_000, 5_000, 1, 3_000],
        [10_000, 30_000, 1, 20_000],
        [30_000, 60_000, 1, 30_000],
        [60_000, 120_000, 1, 100_000],
      ],
      [
        [60_000, 120_000, 2, 160_000],
        [3_600_000, 7_200_000, 1, 3_997_000],
      ],
    ])
    // The ladder stops at the 30-day window: the last bin is [30 d, 30 d + 1 s), 20 bins per step.
    const bins = series?.stepTransTimeDistribution?.step_bins[1]?.bins ?? []
    expect(bins).toHaveLength(20)
    expect(bins.at(-1)).toEqual({
      start: 2_592_000_000,
      end: 2_592_001_000,
      bin_dist: { uniques: 0, totals: 0, sums: 0 },
    })
    // Previous-step counts, from the entry's second through the step's:
    // B: p1 did A twice (A@0, A@5 ≤ 20), p2 p3 p5 once → [1, 2): 3 users (sum 3), [2, 3): 1 (sum 2).
    // C: p2 did B twice (B@3, B@4 ≤ 4000), p1 p5 once → [1, 2): 2 (sum 2), [2, 3): 1 (sum 2).
    expect(filledBins(series?.stepPrevStepCountDistribution)).toEqual([
      [],
      [
        [1, 2, 3, 3],
        [2, 3, 1, 2],
      ],
      [
        [1, 2, 2, 2],
        [2, 3, 1, 2],
      ],
    ])
    expect(series?.stepPrevStepCountDistribution?.segment_index).toBe(0)
  })
})

describe('segments and group-by, judged on the entry event', () => {
  it('groups by the entry’s property, "(none)" when it has none, most entered first, cut to limit', async () => {
    // g1: A on iOS → B on Android: group iOS, converts. g2: A without platform → B: (none), converts.
    // g3: A on iOS, no B. → iOS [2,1], (none) [1,1].
    const events = [
      ev('g1', 'A', t(0), { platform: 'iOS' }),
      ev('g1', 'B', t(10), { platform: 'Android' }),
      ev('g2', 'A', t(0)),
      ev('g2', 'B', t(10), { platform: 'iOS' }),
      ev('g3', 'A', t(0), { platform: 'iOS' }),
    ]
    const groupBy = { scope: 'column', column: 'platform' } as const
    const data = await funnel(events, ['A', 'B'], { groupBy })
    expect(data.map((s) => [s.groupValue, s.cumulativeRaw])).toEqual([
      ['iOS', [2, 1]],
      ['(none)', [1, 1]],
    ])
    expect(raw(await funnel(events, ['A', 'B'], { groupBy, limit: 1 }))).toEqual([[2, 1]])
  })

  it('answers one element per segment, the segment tested on the entry event only', async () => {
    // s1: A in Germany → B in France: in the Germany segment. s2: A in France → B in Germany: not.
    const events = [
      ev('s1', 'A', t(0), { country: 'Germany' }),
      ev('s1', 'B', t(10), { country: 'France' }),
      ev('s2', 'A', t(0), { country: 'France' }),
      ev('s2', 'B', t(10), { country: 'Germany' }),
    ]
    const germany = {
      conditions: [
        {
          kind: 'property',
          filter: {
            property: { scope: 'column', column: 'country' },
            op: 'is',
            values: ['Germany'],
          },
        },
      ],
    } as const
    const data = await funnel(events, ['A', 'B'], { segments: [{ conditions: [] }, germany] })
    expect(data.map((s) => [s.meta.segmentIndex, s.cumulativeRaw])).toEqual([
      [0, [2, 2]],
      [1, [1, 1]],
    ])
  })

  it('answers zeros for a segment nobody entered', async () => {
    const data = await funnel([ev('z', 'B', t(0))], ['A', 'B'])
    expect(data).toHaveLength(1)
    expect(data[0]?.cumulativeRaw).toEqual([0, 0])
    expect(data[0]?.cumulative).toEqual([0, 0])
    expect(data[0]?.dayFunnels.series).toEqual([[0, 0]])
  })
})
