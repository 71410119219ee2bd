import type { FunnelSeries } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
import type { FunnelQuery } from '../../../src/query/funnels/query.ts'
import type { PropertyFilter, PropertyRef, Segment } from '../../../src/query/ir.ts'
import { pick, randomEvents, seededRandom } from '../helpers/random-dataset.ts'
import {
  filledBins,
  funnelQuery,
  referenceAnswer,
  sqlAnswer,
  step,
  storeWithDatasets,
} from './funnel-helpers.ts'

const MINUTE_MS = 60_000
const SPANS_MS = [10 * MINUTE_MS, 6 * 60 * MINUTE_MS, 3 * 24 * 60 * MINUTE_MS]
const WINDOWS_S = [1, 30, 600, 3600, 86_400, 2 * 86_400, 2_592_000, 2_592_000]
const TYPES = ['A', 'B', 'C', 'session_start']
const STEP_TYPES = [
  'A',
  'A',
  'B',
  'B',
  'C',
  '_all',
  '_active',
  '_new',
  'revenue_amount',
  'session_start',
]
const FILTERS: PropertyFilter[] = [
  { property: { scope: 'event', key: 'genre' }, op: 'is', values: ['rock', 'jazz'] },
  { property: { scope: 'event', key: 'price' }, op: 'greater', values: ['1'] },
  { property: { scope: 'column', column: 'platform' }, op: 'is not', values: ['Web'] },
]
const SEGMENTS: Segment[][] = [
  [{ conditions: [] }],
  [
    {
      conditions: [
        {
          kind: 'property',
          filter: {
            property: { scope: 'column', column: 'country' },
            op: 'is',
            values: ['Germany', 'France'],
          },
        },
      ],
    },
  ],
  [
    { conditions: [] },
    {
      conditions: [
        {
          kind: 'property',
          filter: { property: { scope: 'user', key: 'plan' }, op: 'is', values: ['pro'] },
        },
      ],
    },
  ],
]
const GROUPS: (PropertyRef | undefined)[] = [
  undefined,
  undefined,
  { scope: 'column', column: 'platform' },
  { scope: 'user', key: 'plan' },
]

function randomQuery(random: () => number): FunnelQuery {
  const steps = Array.from({ length: 2 + Math.floor(random() * 3) }, () =>
    step(pick(random, STEP_TYPES), random() < 0.25 ? [pick(random, FILTERS)] : []),
  )
  const startDay = pick(random, ['01', '01', '01', '02'])
  return funnelQuery(steps, {
    mode: pick(random, ['ordered', 'sequential', 'unordered'] as const),
    users: random() < 0.2 ? 'new' : 'active',
    cs: pick(random, WINDOWS_S),
    start: `202407${startDay}`,
    end: `202407${pick(random, startDay === '01' ? ['01', '02', '03'] : ['02', '04'])}`,
    interval: pick(random, ['1', '1', '7', '-3600000']),
    timeZone: pick(random, ['UTC', 'UTC', 'America/New_York']),
    segments: pick(random, SEGMENTS),
    ...(() => {
      const groupBy = pick(random, GROUPS)
      return groupBy === undefined ? {} : { groupBy, limit: random() < 0.3 ? 1 : 100 }
    })(),
  })
}

/**
 * What must hold inside one answer, whichever engine gave it: each histogram holds every user who
 * reached the step, once; the time histogram's sums give `avgTransTimes`; a bucket nobody reached a
 * step in has no time for it. (The engines are compared with each other too; these catch a mistake
 * both might share.)
 */
function checkConsistent(series: FunnelSeries, label: string): void {
  const { cumulativeRaw, avgTransTimes } = series
  const times = series.stepTransTimeDistribution?.step_bins ?? []
  const counts = series.stepPrevStepCountDistribution?.step_bins ?? []
  expect(times, label).toHaveLength(cumulativeRaw.length)
  expect(counts, label).toHaveLength(cumulativeRaw.length)
  for (let k = 1; k < cumulativeRaw.length; k++) {
    const reached = cumulativeRaw[k] ?? 0
    const timeBins = times[k]?.bins ?? []
    const countBins = counts[k]?.bins ?? []
    const users = (bins: typeof timeBins) => bins.reduce((n, bin) => n + bin.bin_dist.uniques, 0)
    expect(users(timeBins), label).toBe(reached)
    expect(users(countBins), label).toBe(reached)
    const sumMs = timeBins.reduce((n, bin) => n + bin.bin_dist.sums, 0)
    expect(reached === 0 ? 0 : Math.round(sumMs / reached), label).toBe(avgTransTimes[k])
    for (const bins of [timeBins, countBins])
      for (const bin of bins)
        if (bin.bin_dist.uniques > 0) {
          // Every value lies in its bin: the mean of a bin does too.
          const mean = bin.bin_dist.sums / bin.bin_dist.uniques
          expect(mean >= bin.start && mean < bin.end, label).toBe(true)
        }
  }
  series.dayFunnels.series.forEach((row, t) => {
    row.forEach((reached, k) => {
      if (reached > 0) return
      expect(series.dayMedianTransTimes?.series[t]?.[k], label).toBe(0)
      expect(series.dayAvgTransTimes?.series[t]?.[k], label).toBe(0)
    })
  })
}

const DATASETS = 40
const FUNNELS_PER_DATASET = 3

describe('funnels in SQL agree with the reference evaluator', () => {
  it(`on ${DATASETS} random datasets, ${FUNNELS_PER_DATASET} random funnels each (2–4 steps, every mode, random windows and filters)`, async () => {
    const datasets = Array.from({ length: DATASETS }, (_, i) =>
      randomEvents(i + 1, {
        users: 6,
        events: 90,
        spanMs: SPANS_MS[i % SPANS_MS.length] as number,
        eventTypes: TYPES,
      }),
    )
    const store = await storeWithDatasets(datasets)
    let compared = 0
    let converted = 0
    let dayTimes = 0
    let repeatedPrevSteps = 0
    const convertedModes = new Set<string>()
    try {
      for (let project = 1; project <= DATASETS; project++) {
        const random = seededRandom(1000 + project)
        for (let round = 0; round < FUNNELS_PER_DATASET; round++) {
          const query = randomQuery(random)
          const sql = await sqlAnswer(store, query, project)
          const label = `dataset ${project} funnel ${round}: ${JSON.stringify({ ...query, range: `${query.range.startDay}..${query.range.endDay} ${query.range.interval} ${query.range.timeZone}` })}`
          expect(sql, label).toEqual(await referenceAnswer(store, query, project))
          for (const series of sql) checkConsistent(series, label)
          compared++
          if (sql.some((s) => s.dayMedianTransTimes?.series.some((row) => row.some((v) => v > 0))))
            dayTimes++
          if (
            filledBins(sql[0]?.stepPrevStepCountDistribution).some((bins) =>
              bins.some(([start]) => start > 1),
            )
          )
            repeatedPrevSteps++
          if (sql.some((series) => (series.cumulativeRaw[1] ?? 0) > 0)) {
            converted++
            convertedModes.add(query.mode)
          }
        }
      }
    } finally {
      await store.close()
    }
    expect(compared).toBe(DATASETS * FUNNELS_PER_DATASET)
    // Not vacuous: a good share of the funnels convert someone past step 1, in every mode.
    expect(converted).toBeGreaterThan(compared / 3)
    expect([...convertedModes].sort()).toEqual(['ordered', 'sequential', 'unordered'])
    // …and the new fields are exercised: per-day transition times above zero, and users who did
    // the previous step more than once.
    expect(dayTimes).toBeGreaterThan(compared / 5)
    expect(repeatedPrevSteps).toBeGreaterThan(compared / 10)
  }, 300_000)
})
