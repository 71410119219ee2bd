import type { WireEvent } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
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
      { subprop_type: 'user', subprop_key: 'gp:plan', subprop_op: 'is not', subprop_value: ['free'] },
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

describe('retention SQL against the reference evaluator', () => {
  const seeds = Array.from({ length: 44 }, (_, i) => i + 1)
  it.each(seeds)('gives the same answer on random dataset %i for 6 random queries', async (seed) => {
    const random = seededRandom(seed * 7919)
    const spanDays = pick(random, [3, 6, 10, 45])
    const events: WireEvent[] = randomEvents(seed, {
      users: 4 + Math.floor(random() * 8),
      events: 40 + Math.floor(random() * 60),
      spanMs: spanDays * DAY_MS,
      eventTypes: ['A', 'B', 'C', 'D', 'session_start'],
    })
    const store = await storeWithEvents(events)
    try {
      for (let i = 0; i < 6; i++) {
        const { params, timeZone, nowMs } = randomQuery(random, spanDays)
        const q = query(params, timeZone)
        const expected = await referenceAnswer(store, q, nowMs)
        const actual = await sqlAnswer(store, q, nowMs)
        expect(actual, JSON.stringify({ params, timeZone, nowMs })).toEqual(expected)
      }
    } finally {
      await store.close()
    }
  })
})
