/**
 * Every query route, fed malformed parameters drawn at random from a pool of bad values: each answer
 * is a 4xx with a JSON body naming the problem — never a 500, never a hang — and the server keeps
 * answering good queries afterwards.
 */
import { describe, expect, it } from 'vitest'
import { ORIGIN, PROJECT, testApp } from '../helpers/app-fixture.ts'
import { pick, seededRandom } from './helpers/random-dataset.ts'

const AUTH = `Basic ${Buffer.from(`${PROJECT.apiKey}:${PROJECT.secretKey}`).toString('base64')}`

const ROUTES: Record<string, string[]> = {
  '/api/2/events/segmentation': [
    'e',
    'e2',
    'm',
    'n',
    'start',
    'end',
    'i',
    's',
    'g',
    'g2',
    'limit',
    'formula',
    'rollingWindow',
    'rollingAverage',
  ],
  '/api/2/funnels': ['e', 'mode', 'n', 'cs', 'i', 'start', 'end', 's', 'g', 'limit'],
  '/api/2/retention': ['se', 're', 'rm', 'rb', 'i', 'start', 'end', 's', 'g'],
  '/api/2/users': ['m', 'i', 'start', 'end', 's', 'g'],
  '/api/2/sessions/length': [
    'start',
    'end',
    'timeHistogramConfigBinTimeUnit',
    'timeHistogramConfigBinMin',
    'timeHistogramConfigBinMax',
    'timeHistogramConfigBinSize',
  ],
  '/api/2/sessions/average': ['start', 'end'],
  '/api/2/sessions/peruser': ['start', 'end'],
  '/api/2/composition': ['start', 'end', 'p'],
  '/api/2/revenue/ltv': ['m', 'i', 'start', 'end', 's', 'g'],
  '/api/2/realtime': ['i'],
  '/api/2/events/list': [],
  '/api/2/export': ['start', 'end'],
  '/api/2/usersearch': ['user'],
  '/api/2/useractivity': ['user', 'offset', 'limit', 'direction'],
}

const GOOD: Record<string, string> = {
  e: '{"event_type":"A"}',
  e2: '{"event_type":"B"}',
  se: '{"event_type":"A"}',
  re: '{"event_type":"_active"}',
  start: '20240701',
  end: '20240703',
}

const BAD = [
  '',
  ' ',
  'null',
  '[]',
  '{}',
  '{',
  '"x"',
  '-1',
  '0',
  '1e309',
  'NaN',
  '99999999999999999999',
  '20241341',
  '2024-07-01',
  '20240701T25',
  '{"event_type":""}',
  '{"event_type":"A","filters":"x"}',
  '{"event_type":"A","filters":[{"subprop_type":"user","subprop_key":"nope","subprop_op":"is","subprop_value":["x"]}]}',
  '{"event_type":"A","filters":[{"subprop_type":"event","subprop_key":"k","subprop_op":"between","subprop_value":["x"]}]}',
  '{"event_type":"A","group_by":[{},{},{}]}',
  '[{"prop":"country","op":"is","values":"x"}]',
  '[{"type":"event","event_type":"A","op":">=","value":-1}]',
  '[{"prop":"userdata_cohort","op":"is","values":["missing"]}]',
  '[[0,5],[5]]',
  '[[5,0]]',
  'x'.repeat(5000),
  '\u0000',
  '%zz',
]

describe('query routes and bad parameters', () => {
  it('answers every malformed query with a 4xx JSON body and keeps serving', async () => {
    const { app, errors } = await testApp({ now: () => Date.UTC(2024, 6, 10) })
    const random = seededRandom(5)
    const seen = new Map<number, number>()
    for (let round = 0; round < 400; round++) {
      const path = pick(random, Object.keys(ROUTES))
      const names = ROUTES[path] as string[]
      const params = new URLSearchParams()
      for (const name of names)
        if (random() < 0.6 && GOOD[name] !== undefined) params.set(name, GOOD[name])
      const broken = names.length === 0 ? undefined : pick(random, names)
      if (broken !== undefined) params.set(broken, pick(random, BAD))
      if (random() < 0.2 && broken !== undefined) params.append(broken, pick(random, BAD))
      const response = await app.handle(
        new Request(`${ORIGIN}${path}?${params}`, { headers: { authorization: AUTH } }),
      )
      const text = await response.text()
      seen.set(response.status, (seen.get(response.status) ?? 0) + 1)
      const where = `${path}?${params} → ${response.status} ${text.slice(0, 200)}`
      expect(response.status, where).toBeLessThan(500)
      if (response.status >= 400 && !(path === '/api/2/export' && response.status === 404)) {
        const body = JSON.parse(text) as Record<string, unknown>
        expect(typeof body.error === 'string' || typeof body.error === 'object', where).toBe(true)
      }
    }
    expect(errors).toEqual([])
    expect(seen.get(400) ?? 0).toBeGreaterThan(100)
    const good = await app.handle(
      new Request(
        `${ORIGIN}/api/2/events/segmentation?e=${encodeURIComponent(GOOD.e as string)}&start=20240701&end=20240703`,
        {
          headers: { authorization: AUTH },
        },
      ),
    )
    expect(good.status).toBe(200)
  })

  it('refuses every query route without credentials (401) and with wrong ones (403)', async () => {
    const { app } = await testApp()
    for (const path of Object.keys(ROUTES)) {
      const none = await app.handle(new Request(`${ORIGIN}${path}?start=20240701&end=20240701`))
      expect(none.status, path).toBe(401)
      const wrong = await app.handle(
        new Request(`${ORIGIN}${path}?start=20240701&end=20240701`, {
          headers: {
            authorization: `Basic ${Buffer.from(`${PROJECT.apiKey}:nope`).toString('base64')}`,
          },
        }),
      )
      expect(wrong.status, path).toBe(403)
    }
  })
})
