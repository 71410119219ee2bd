/** `GET /api/2/events/segmentation` through the in-process app: auth, envelope, answer, 400s. */
import { describe, expect, it } from 'vitest'
import { basicAuth, json, ORIGIN, PROJECT, postJson, testApp } from '../../helpers/app-fixture.ts'
import { at, queryString } from './helpers/engines.ts'

const AUTH = { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) }

function get(params: Record<string, unknown>, headers: Record<string, string> = AUTH): Request {
  return new Request(`${ORIGIN}/api/2/events/segmentation?${queryString(params as never)}`, {
    headers,
  })
}

describe('GET /api/2/events/segmentation', () => {
  it('answers the daily uniques of ingested events in the Dashboard envelope', async () => {
    const { app } = await testApp({ now: () => Date.UTC(2024, 6, 10) })
    const events = [
      at('alice', 'Play', 0),
      at('alice', 'Play', 1),
      at('bob', 'Play', 1),
      at('bob', 'View', 1),
    ]
    const upload = await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))
    expect(upload.status).toBe(200)
    const response = await app.handle(
      get({ e: { event_type: 'Play' }, start: '20240701', end: '20240703' }),
    )
    expect(response.status).toBe(200)
    const body = await json(response)
    expect(body).toMatchObject({ timeComputed: Date.UTC(2024, 6, 10), wasCached: false })
    expect(body.data).toEqual({
      series: [[1, 2, 0]],
      seriesLabels: [0],
      // alice and bob: 2 over the range, not 1 + 2.
      seriesCollapsed: [[{ setId: '', value: 2 }]],
      seriesMeta: [{ segmentIndex: 0, eventIndex: 0 }],
      xValues: ['2024-07-01', '2024-07-02', '2024-07-03'],
    })
  })

  it('answers 401 without credentials and 403 with wrong ones', async () => {
    const { app } = await testApp()
    const params = { e: { event_type: 'Play' }, start: '20240701', end: '20240703' }
    expect((await app.handle(get(params, {}))).status).toBe(401)
    const wrong = await app.handle(get(params, { authorization: basicAuth(PROJECT.apiKey, 'x') }))
    expect(wrong.status).toBe(403)
  })

  it('answers 400 with the code and a message naming the bad parameter', async () => {
    const { app } = await testApp()
    const response = await app.handle(
      get({ e: { event_type: 'Play' }, start: '20240701', end: '20240703', m: 'median' }),
    )
    expect(response.status).toBe(400)
    expect(await json(response)).toEqual({
      code: 400,
      error: expect.stringMatching(/Invalid parameter m/),
    })
  })
})
