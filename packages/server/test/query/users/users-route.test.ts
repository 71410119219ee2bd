import { describe, expect, it } from 'vitest'
import { basicAuth, json, ORIGIN, PROJECT, postJson, testApp } from '../../helpers/app-fixture.ts'

const T0 = Date.UTC(2024, 6, 1)
const auth = { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) }

describe('GET /api/2/users', () => {
  it('answers active users per day in the Dashboard envelope, behind Basic auth', async () => {
    const { app } = await testApp({ now: () => T0 + 5 * 86_400_000 })
    const events = [
      { event_type: 'Play', user_id: 'user-a', time: T0 + 1000, country: 'Germany' },
      { event_type: 'Play', user_id: 'user-b', time: T0 + 2000 },
      { event_type: 'Play', user_id: 'user-a', time: T0 + 86_400_000 },
    ]
    const upload = await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))
    expect(upload.status, await upload.clone().text()).toBe(200)
    const url = `${ORIGIN}/api/2/users?start=20240701&end=20240702&g=country`
    const response = await app.handle(new Request(url, { headers: auth }))
    expect(response.status).toBe(200)
    const body = await json(response)
    // (none): b on day 1 and a on day 2 (no country on that event) → [1, 1], 2 users over the
    // range; Germany: a on day 1 → [1, 0], 1 user.
    expect(body.data).toEqual({
      series: [
        [1, 1],
        [1, 0],
      ],
      seriesLabels: ['(none)', 'Germany'],
      seriesMeta: [
        { segmentIndex: 0, groupValue: '(none)' },
        { segmentIndex: 0, groupValue: 'Germany' },
      ],
      seriesCollapsed: [[{ setId: '', value: 2 }], [{ setId: '', value: 1 }]],
      xValues: ['2024-07-01', '2024-07-02'],
    })
    expect(body.timeComputed).toBe(T0 + 5 * 86_400_000)
    const denied = await app.handle(new Request(url))
    expect(denied.status).toBe(401)
    const bad = await app.handle(
      new Request(`${ORIGIN}/api/2/users?start=2024&end=20240702`, { headers: auth }),
    )
    expect(bad.status).toBe(400)
  })
})
