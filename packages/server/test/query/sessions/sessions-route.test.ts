import { describe, expect, it } from 'vitest'
import { basicAuth, json, ORIGIN, PROJECT, postJson, testApp } from '../../helpers/app-fixture.ts'

const T0 = Date.UTC(2024, 6, 1)
const auth = { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) }

describe('GET /api/2/sessions/*', () => {
  it('answers length, average and per-user in the Dashboard envelope', async () => {
    const { app } = await testApp({ now: () => T0 + 5 * 86_400_000 })
    // user-a: one 20 s session on 07-01; user-b: one 0 s session on 07-01, a 90 s one on 07-02.
    const events = [
      { event_type: 'Play', user_id: 'user-a', time: T0, session_id: T0 },
      { event_type: 'Play', user_id: 'user-a', time: T0 + 20_000, session_id: T0 },
      { event_type: 'Play', user_id: 'user-b', time: T0 + 5000, session_id: T0 + 5000 },
      { event_type: 'Play', user_id: 'user-b', time: T0 + 86_400_000, session_id: T0 + 86_400_000 },
      { event_type: 'Play', user_id: 'user-b', time: T0 + 86_490_000, session_id: T0 + 86_400_000 },
    ]
    const upload = await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))
    expect(upload.status).toBe(200)
    const get = async (path: string) => {
      const response = await app.handle(
        new Request(`${ORIGIN}/api/2/sessions/${path}?start=20240701&end=20240702`, {
          headers: auth,
        }),
      )
      expect(response.status).toBe(200)
      return (await json(response)).data as { series: number[][]; xValues: string[] }
    }
    // 0 s → 0s-3s, 20 s → 10s-30s, 90 s → 1m-3m
    expect((await get('length')).series).toEqual([[1, 0, 1, 0, 1, 0, 0, 0, 0]])
    // 07-01: (20 + 0) / 2 = 10 s; 07-02: 90 s
    expect(await get('average')).toEqual({
      series: [[10, 90]],
      seriesMeta: [{ segmentIndex: 0 }],
      xValues: ['2024-07-01', '2024-07-02'],
    })
    // 07-01: 2 sessions / 2 users; 07-02: 1 / 1
    expect((await get('peruser')).series).toEqual([[1, 1]])
    const bad = await app.handle(
      new Request(
        `${ORIGIN}/api/2/sessions/length?start=20240701&end=20240702&timeHistogramConfigBinMin=1`,
        { headers: auth },
      ),
    )
    expect(bad.status).toBe(400)
  })
})
