import type { FunnelSeries } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../../src/errors.ts'
import { parseFunnelQuery } from '../../../src/query/funnels/query.ts'
import { basicAuth, json, ORIGIN, PROJECT, postJson, testApp } from '../../helpers/app-fixture.ts'
import { filledBins } from './funnel-helpers.ts'

const A = JSON.stringify({ event_type: 'A' })
const B = JSON.stringify({ event_type: 'ce:B' })

function url(params: [string, string][]): URL {
  const u = new URL(`${ORIGIN}/api/2/funnels`)
  for (const [name, value] of params) u.searchParams.append(name, value)
  return u
}

const BASE: [string, string][] = [
  ['e', A],
  ['e', B],
  ['start', '20240701'],
  ['end', '20240701'],
]

function refusal(params: [string, string][]): string {
  try {
    parseFunnelQuery(url(params), 'UTC')
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) return String(error.body.error)
    throw error
  }
  throw new Error('expected a 400')
}

const without = (name: string) => BASE.filter(([n]) => n !== name)

describe('funnel parameters', () => {
  it('reads the defaults: ordered, active users, a 30-day window, daily buckets, limit 100', () => {
    const query = parseFunnelQuery(url(BASE), 'UTC')
    expect(query.steps.map((s) => s.eventType)).toEqual(['A', 'B'])
    expect(query).toMatchObject({
      mode: 'ordered',
      users: 'active',
      conversionWindowSeconds: 2_592_000,
      limit: 100,
      groupBy: undefined,
      segments: [{ conditions: [] }],
    })
    expect(query.range.interval).toBe('day')
  })

  it('accepts a one-step funnel and the largest window, 366 days', () => {
    const query = parseFunnelQuery(
      url([['e', A], ...without('e'), ['cs', String(366 * 86_400)], ['mode', 'unordered']]),
      'UTC',
    )
    expect(query.steps).toHaveLength(1)
    expect(query.conversionWindowSeconds).toBe(31_622_400)
  })

  it.each([
    ['no e', without('e'), 'Missing required parameter: e'],
    [
      'e not JSON',
      [['e', '{nope'], ...BASE.slice(1)],
      'Invalid parameter e (step 1): not valid JSON',
    ],
    ['e without event_type', [['e', '{}'], ...BASE.slice(1)], 'event_type is required'],
    [
      '21 steps',
      [...Array.from({ length: 21 }, () => ['e', A]), ...without('e')],
      'at most 20 steps',
    ],
    [
      '11 unordered steps',
      [...Array.from({ length: 11 }, () => ['e', A]), ...without('e'), ['mode', 'unordered']],
      'unordered funnels take at most 10 steps',
    ],
    ['an unknown mode', [...BASE, ['mode', 'strict']], 'Invalid parameter mode'],
    ['an unknown n', [...BASE, ['n', 'returning']], 'Invalid parameter n'],
    ['cs = 0', [...BASE, ['cs', '0']], 'Invalid parameter cs'],
    ['cs over 366 days', [...BASE, ['cs', String(366 * 86_400 + 1)]], 'Invalid parameter cs'],
    ['a fractional cs', [...BASE, ['cs', '1.5']], 'Invalid parameter cs'],
    ['no start', without('start'), 'Missing required parameter: start'],
    ['end before start', [...without('end'), ['end', '20240630']], 'end is before start'],
    ['an unknown interval', [...BASE, ['i', '3']], 'Invalid parameter i'],
    ['an unknown group-by', [...BASE, ['g', 'nickname']], 'Invalid parameter g'],
    [
      'a group-by with two segments',
      [...BASE, ['g', 'country'], ['s', '[]'], ['s', '[]']],
      'a group-by takes a single segment',
    ],
    ['limit 0', [...BASE, ['limit', '0']], 'Invalid parameter limit'],
    ['a bad segment', [...BASE, ['s', '{"prop":"country"}']], 'Invalid parameter s'],
  ] as [string, [string, string][], string][])(
    'refuses %s with a 400 naming the parameter',
    (_, params, message) => {
      expect(refusal(params)).toContain(message)
    },
  )
})

describe('GET /api/2/funnels', () => {
  it('answers over uploaded events in the Dashboard envelope', async () => {
    const now = Date.UTC(2024, 6, 3)
    const { app } = await testApp({ now: () => now, rateLimits: false })
    const at = (minutes: number) => Date.UTC(2024, 6, 1, 10, minutes)
    const upload = await app.handle(
      postJson('/batch', {
        api_key: PROJECT.apiKey,
        events: [
          { user_id: 'ann-0001', event_type: 'A', time: at(0), insert_id: 'f1' },
          { user_id: 'ann-0001', event_type: 'B', time: at(2), insert_id: 'f2' },
          { user_id: 'bob-0001', event_type: 'A', time: at(5), insert_id: 'f3' },
          { user_id: 'cat-0001', event_type: 'B', time: at(5), insert_id: 'f4' },
        ],
      }),
    )
    expect(upload.status).toBe(200)
    const response = await app.handle(
      new Request(url([...BASE, ['cs', '3600']]), {
        headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
      }),
    )
    expect(response.status).toBe(200)
    const body = await json(response)
    expect(body.timeComputed).toBe(now)
    // ann and bob enter on A; ann does B 2 minutes later; cat never enters.
    const data = body.data as FunnelSeries[]
    const day = (series: number[][]) => ({
      xValues: ['2024-07-01'],
      formattedXValues: ['Jul 1'],
      series,
    })
    const [first] = data
    const { stepTransTimeDistribution, stepPrevStepCountDistribution, ...rest } = first ?? {}
    expect(data).toHaveLength(1)
    expect(rest).toEqual({
      meta: { segmentIndex: 0 },
      groupValue: '',
      events: ['A', 'B'],
      cumulativeRaw: [2, 1],
      cumulative: [1, 0.5],
      stepByStep: [1, 0.5],
      medianTransTimes: [0, 120_000],
      avgTransTimes: [0, 120_000],
      dayFunnels: day([[2, 1]]),
      dayMedianTransTimes: day([[0, 120_000]]),
      dayAvgTransTimes: day([[0, 120_000]]),
    })
    // ann's 120 s fall in the [2 min, 5 min) bin; she did A once before B.
    expect(stepTransTimeDistribution?.segment_index).toBe(0)
    expect(filledBins(stepTransTimeDistribution)).toEqual([[], [[120_000, 300_000, 1, 120_000]]])
    expect(filledBins(stepPrevStepCountDistribution)).toEqual([[], [[1, 2, 1, 1]]])
  })

  it('answers 400 with the JSON error body for a bad parameter, and 401 without credentials', async () => {
    const { app } = await testApp()
    const bad = await app.handle(
      new Request(url([...BASE, ['mode', 'strict']]), {
        headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
      }),
    )
    expect(bad.status).toBe(400)
    expect(await json(bad)).toEqual({
      code: 400,
      error: 'Invalid parameter mode: expected one of ordered, unordered, sequential',
    })
    const anonymous = await app.handle(new Request(url(BASE)))
    expect(anonymous.status).toBe(401)
  })
})
