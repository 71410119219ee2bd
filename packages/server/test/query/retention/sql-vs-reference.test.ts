import type { WireEvent } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
import { retentionPlan } from '../../../src/query/retention/plan.ts'
import { retentionSources } from '../../../src/query/retention/sql.ts'
import { pick, randomEvents, seededRandom, storeWithEvents } from '../helpers/random-dataset.ts'
import { query, referenceAnswer, sqlAnswer } from './helpers.ts'

const DAY_MS = 86_400_000
const START = Date.UTC(2024, 6, 1)

const START_EVENTS = [
  { event_type: '_new' },
  { event_type: '_active' },
  { event_type: '_all' },
  { event_type: 'A' },
  { event_type: 'B' },
  {
    event_type: 'A',
    filters: [
      { subprop_type: 'event', subprop_key: 'genre', subprop_op: 'is', subprop_value: ['rock'] },
    ],
  },
]
const RETURN_EVENTS = [
  { event_type: '_all' },
  { event_type: '_active' },
  { event_type: 'A' },
  { event_type: 'C' },
  {
    event_type: '_active',
    filters: [
      {
        subprop_type: 'user',
        subprop_key: 'gp:plan',
        subprop_op: 'is not',
        subprop_value: ['free'],
      },
    ],
  },
]
const SEGMENTS = [
  undefined,
  [{ prop: 'country', op: 'is', values: ['Germany', 'France'] }],
  [{ prop: 'gp:plan', op: 'is', values: ['pro'] }],
  [{ type: 'event', event_type: 'B', filters: [], op: '>=', value: 2, time_type: 'allTime' }],
]
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata']

function day(offset: number): string {
  return new Date(START + offset * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')
}

function randomQuery(random: () => number, spanDays: number) {
  const interval = spanDays > 20 ? pick(random, ['1', '7', '30']) : pick(random, ['1', '1', '7'])
  const first = Math.floor(random() * Math.min(5, spanDays))
  const last = first + Math.floor(random() * Math.min(spanDays - first, interval === '1' ? 8 : 30))
  const mode = pick(random, ['n-day', 'rolling', 'bracket'])
  const brackets: number[][] = []
  if (mode === 'bracket') {
    const n = 1 + Math.floor(random() * 4)
    for (let i = 0; i < n; i++) {
      const from = Math.floor(random() * 6)
      brackets.push([from, from + 1 + Math.floor(random() * 4)])
    }
  }
  const segment = pick(random, SEGMENTS)
  return {
    params: {
      se: pick(random, START_EVENTS),
      re: pick(random, RETURN_EVENTS),
      start: day(first),
      end: day(last),
      i: interval,
      ...(mode !== 'n-day' && { rm: mode }),
      ...(mode === 'bracket' && { rb: brackets }),
      ...(segment !== undefined && { s: segment }),
      ...(random() < 0.3 && { g: pick(random, ['platform', 'gp:plan', 'country']) }),
    },
    timeZone: pick(random, ZONES),
    // Sometimes inside the data (incomplete cells), sometimes long after it.
    nowMs: START + Math.floor(random() * (spanDays + 3) * DAY_MS),
  }
}

/** Datasets per store, one project each: opening a DuckDB store costs more than a small query. */
const PROJECTS_PER_STORE = 4
const DATASETS = 44
const QUERIES_PER_DATASET = 2

describe('retention SQL against the reference evaluator', () => {
  const groups = Array.from({ length: DATASETS / PROJECTS_PER_STORE }, (_, i) => i)
  it.each(groups)(
    'gives the same answer on 4 random datasets × 2 random queries (group %i)',
    async (group) => {
      const datasets = Array.from({ length: PROJECTS_PER_STORE }, (_, p) => {
        const seed = group * PROJECTS_PER_STORE + p + 1
        const random = seededRandom(seed * 7919)
        const spanDays = pick(random, [3, 6, 10, 45])
        const events: WireEvent[] = randomEvents(seed, {
          users: 4 + Math.floor(random() * 8),
          events: 40 + Math.floor(random() * 60),
          spanMs: spanDays * DAY_MS,
          eventTypes: ['A', 'B', 'C', 'D', 'session_start'],
        })
        return { projectId: p + 1, random, spanDays, events }
      })
      const [first, ...rest] = datasets
      const store = await storeWithEvents(first?.events ?? [])
      try {
        for (const dataset of rest) {
          const sorted = [...dataset.events].sort((a, b) => (a.time ?? 0) - (b.time ?? 0))
          await store.ingestEvents(sorted, {
            projectId: dataset.projectId,
            receivedAtMs: START + 100 * DAY_MS,
            path: '/batch',
          })
        }
        for (const { projectId, random, spanDays } of datasets) {
          for (let i = 0; i < QUERIES_PER_DATASET; i++) {
            const { params, timeZone, nowMs } = randomQuery(random, spanDays)
            const q = query(params, timeZone, new Map(), projectId)
            const expected = await referenceAnswer(store, q, nowMs)
            const what = JSON.stringify({ projectId, params, timeZone, nowMs })
            expect(await sqlAnswer(store, q, nowMs, false), what).toEqual(expected)
            const sources = retentionSources(q, retentionPlan(q, nowMs), nowMs)
            if (sources.starts === 'rollup' || sources.returns === 'rollup')
              expect(await sqlAnswer(store, q, nowMs), `${what} (rollup)`).toEqual(expected)
          }
        }
      } finally {
        await store.close()
      }
    },
  )
})

describe('retention from the activity rollup against the reference evaluator', () => {
  it.each([101, 102, 103, 104, 105, 106])(
    'gives the same answer for _all/_active/_new queries on random dataset %i',
    async (seed) => {
      const random = seededRandom(seed)
      const spanDays = pick(random, [6, 10, 45])
      const store = await storeWithEvents(
        randomEvents(seed, {
          users: 6 + Math.floor(random() * 6),
          events: 60 + Math.floor(random() * 60),
          spanMs: spanDays * DAY_MS,
          eventTypes: ['A', 'B', 'session_start', 'C'],
        }),
      )
      try {
        for (let i = 0; i < 3; i++) {
          const { params, nowMs } = randomQuery(random, spanDays)
          const timeZone = pick(random, ['UTC', 'America/New_York', 'Europe/Berlin'])
          const q = query(
            {
              ...params,
              se: { event_type: pick(random, ['_all', '_active', '_new']) },
              re: { event_type: pick(random, ['_all', '_active']) },
              s: undefined,
              g: undefined,
            },
            timeZone,
          )
          expect(retentionSources(q, retentionPlan(q, nowMs), nowMs)).toEqual({
            starts: 'rollup',
            returns: 'rollup',
          })
          const what = JSON.stringify({ seed, params, timeZone, nowMs })
          expect(await sqlAnswer(store, q, nowMs), what).toEqual(
            await referenceAnswer(store, q, nowMs),
          )
        }
      } finally {
        await store.close()
      }
    },
  )
})

describe('retention past 63 days against the reference evaluator', () => {
  it('gives the same answer when columns reach beyond the 63-day bit sets', async () => {
    const store = await storeWithEvents(
      randomEvents(77, { users: 10, events: 150, spanMs: 100 * DAY_MS, eventTypes: ['A', 'B'] }),
    )
    try {
      const nowMs = START + 120 * DAY_MS
      for (const extra of [
        {},
        {
          rm: 'bracket',
          rb: [
            [0, 2],
            [60, 70],
          ],
        },
        { rm: 'rolling' },
      ]) {
        // 70 cohort days: Day 0 … Day 69.
        const q = query({
          se: { event_type: '_active' },
          re: { event_type: 'A' },
          start: day(0),
          end: day(69),
          ...extra,
        })
        const expected = await referenceAnswer(store, q, nowMs)
        expect(expected.series[0]?.combined.length).toBeGreaterThan(2)
        expect(await sqlAnswer(store, q, nowMs), JSON.stringify(extra)).toEqual(expected)
      }
    } finally {
      await store.close()
    }
  })
})
