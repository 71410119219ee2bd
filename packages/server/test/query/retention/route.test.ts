import { describe, expect, it } from 'vitest'
import { ApiError } from '../../../src/errors.ts'
import { basicAuth, json, ORIGIN, PROJECT, postJson, testApp } from '../../helpers/app-fixture.ts'
import { july, query } from './helpers.ts'

const BASE = {
  se: { event_type: 'Open' },
  re: { event_type: 'Play' },
  start: '20240701',
  end: '20240701',
}

function refusal(params: Record<string, unknown>): string {
  try {
    query(params)
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) return String(error.body.error)
    throw error
  }
  throw new Error('expected a 400')
}

describe('retention parameters', () => {
  it.each([
    ['se missing', { ...BASE, se: undefined }, 'Missing required parameter: se'],
    ['re not JSON', { ...BASE, re: '{nope' }, 'Invalid parameter re: not valid JSON'],
    ['re = _new', { ...BASE, re: { event_type: '_new' } }, 're: _new is a start event only'],
    ['an unknown rm', { ...BASE, rm: 'weekly' }, 'Invalid parameter rm'],
    ['bracket without rb', { ...BASE, rm: 'bracket' }, 'Missing required parameter: rb'],
    ['rb without bracket', { ...BASE, rb: [[0, 1]] }, 'Invalid parameter rb: only with rm=bracket'],
    ['a bracket ending first', { ...BASE, rm: 'bracket', rb: [[3, 2]] }, 'Invalid parameter rb[0]'],
    ['a fractional bracket', { ...BASE, rm: 'bracket', rb: [[0.5, 2]] }, 'Invalid parameter rb[0]'],
    [
      'no brackets',
      { ...BASE, rm: 'bracket', rb: [] },
      'Invalid parameter rb: expected a non-empty',
    ],
    [
      '101 brackets',
      { ...BASE, rm: 'bracket', rb: Array.from({ length: 101 }, (_, i) => [i, i + 1]) },
      'at most 100 brackets',
    ],
    ['an hourly interval', { ...BASE, i: '-3600000' }, 'Invalid parameter i'],
    ['an impossible date', { ...BASE, end: '20240631' }, 'Invalid parameter end'],
    ['end before start', { ...BASE, start: '20240702' }, 'end is before start'],
    [
      'an unknown group-by',
      { ...BASE, g: 'nickname' },
      'Invalid parameter g: unknown user property',
    ],
    [
      'a group-by with two segments',
      { ...BASE, g: 'country', s: ['[]', '[]'] },
      'Invalid parameter g: a group-by takes a single segment',
    ],
  ])('refuses %s with a 400 naming the parameter', (_, params, message) => {
    expect(refusal(params)).toContain(message)
  })

  it('accepts 100 brackets', () => {
    const rb = Array.from({ length: 100 }, (_, i) => [i, i + 1])
    const q = query({ ...BASE, rm: 'bracket', rb })
    expect(q.mode).toEqual({
      kind: 'bracket',
      brackets: rb.map(([fromDay, toDay]) => ({ fromDay, toDay })),
    })
  })
})

describe('GET /api/2/retention', () => {
  it('answers over uploaded events in the Dashboard envelope, with the server clock deciding completeness', async () => {
    const now = july(3, 12)
    const { app } = await testApp({ now: () => now, rateLimits: false })
    const upload = await app.handle(
      postJson('/batch', {
        api_key: PROJECT.apiKey,
        events: [
          { user_id: 'ann-0001', event_type: 'Open', time: july(1, 10), insert_id: 'r1' },
          { user_id: 'ann-0001', event_type: 'Play', time: july(2, 11), insert_id: 'r2' },
          { user_id: 'bob-0001', event_type: 'Open', time: july(1, 9), insert_id: 'r3' },
        ],
      }),
    )
    expect(upload.status).toBe(200)
    const url = new URL(`${ORIGIN}/api/2/retention`)
    for (const [name, value] of Object.entries(BASE))
      url.searchParams.set(name, typeof value === 'string' ? value : JSON.stringify(value))
    const response = await app.handle(
      new Request(url, {
        headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
      }),
    )
    expect(response.status).toBe(200)
    const body = await json(response)
    expect(body.timeComputed).toBe(now)
    // Cohort 07-01 (ann, bob): ann returns 25 h later → day 1. Now = 07-03 12:00: the last anchor
    // hour of 07-01 is 23:00, so day 0 is complete (36 h later ≥ 24 h) and day 1 is not. Days
    // begun for 07-01 00:00 by now: 0, 1, 2.
    expect(body.data).toEqual({
      series: [
        {
          dates: ['2024-07-01'],
          values: {
            '2024-07-01': [
              { count: 2, outof: 2, incomplete: false },
              { count: 0, outof: 2, incomplete: false },
              { count: 1, outof: 2, incomplete: true },
              { count: 0, outof: 2, incomplete: true },
            ],
          },
          combined: [
            { count: 2, outof: 2, retainedSetId: null, incomplete: false },
            { count: 0, outof: 2, retainedSetId: null, incomplete: false },
            { count: 0, outof: 0, retainedSetId: null, incomplete: true },
            { count: 0, outof: 0, retainedSetId: null, incomplete: true },
          ],
        },
      ],
      seriesMeta: [{ segmentIndex: 0, eventIndex: 0 }],
    })
  })

  it('answers 400 with the JSON error body for a bad parameter, and 401 without credentials', async () => {
    const { app } = await testApp()
    const bad = await app.handle(
      new Request(`${ORIGIN}/api/2/retention?se=%7B%7D&re=%7B%7D&start=20240701&end=20240701`, {
        headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
      }),
    )
    expect(bad.status).toBe(400)
    expect(await json(bad)).toEqual({
      code: 400,
      error: 'Invalid parameter se: event_type is required',
    })
    const anonymous = await app.handle(new Request(`${ORIGIN}/api/2/retention`))
    expect(anonymous.status).toBe(401)
  })
})
