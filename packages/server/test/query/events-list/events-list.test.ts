import { describe, expect, it } from 'vitest'
import { basicAuth, json, ORIGIN, PROJECT, postJson, testApp } from '../../helpers/app-fixture.ts'

const DAY = 86_400_000
const NOW = Date.UTC(2024, 6, 10, 12)
const AUTH = basicAuth(PROJECT.apiKey, PROJECT.secretKey)

function taxonomy(method: string, path: string, fields: Record<string, string>): Request {
  return new Request(`${ORIGIN}/api/2/taxonomy/${path}`, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })
}

async function list(app: { handle(r: Request): Promise<Response> }) {
  const response = await app.handle(
    new Request(`${ORIGIN}/api/2/events/list`, { headers: { authorization: AUTH } }),
  )
  expect(response.status).toBe(200)
  return (await json(response)).data as Array<Record<string, unknown>>
}

describe('GET /api/2/events/list', () => {
  it('lists every event type with its events of the last 7 days and the inactive ones marked', async () => {
    const { app } = await testApp({ now: () => NOW })
    const events = [
      { event_type: 'Play', user_id: 'user-a', time: NOW - DAY }, // in the week
      { event_type: 'Play', user_id: 'user-a', time: NOW - 2 * DAY }, // in the week
      { event_type: 'Play', user_id: 'user-a', time: NOW - 8 * DAY }, // older than 7 days
      { event_type: 'Search', user_id: 'user-b', time: NOW - 9 * DAY }, // only old events
      { event_type: 'session_start', user_id: 'user-b', time: NOW - DAY }, // an inactive type
    ]
    expect((await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))).status).toBe(
      200,
    )
    const entries = await list(app)
    const base = { deleted: false, hidden: false, flow_hidden: false }
    expect(entries).toEqual([
      { value: 'Play', display: 'Play', totals: 2, non_active: false, ...base },
      { value: 'Search', display: 'Search', totals: 0, non_active: false, ...base },
      { value: 'session_start', display: 'session_start', totals: 1, non_active: true, ...base },
    ])
  })

  it('takes display names, inactive, deleted and hidden flags from the Taxonomy API', async () => {
    const { app } = await testApp({ now: () => NOW })
    const events = [
      { event_type: 'Play', user_id: 'user-a', time: NOW - DAY },
      { event_type: 'Secret', user_id: 'user-a', time: NOW - DAY },
      { event_type: 'Old', user_id: 'user-a', time: NOW - DAY },
    ]
    expect((await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))).status).toBe(
      200,
    )
    const created = [
      taxonomy('POST', 'event', {
        event_type: 'Play',
        display_name: 'Song Played',
        is_active: 'false',
      }),
      taxonomy('POST', 'event', { event_type: 'Secret', is_hidden_from_dropdowns: 'true' }),
      taxonomy('POST', 'event', { event_type: 'Old', is_hidden_from_pathfinder: 'true' }),
      taxonomy('POST', 'event', { event_type: 'Planned' }),
    ]
    for (const request of created) expect((await app.handle(request)).status).toBe(200)
    expect((await app.handle(taxonomy('DELETE', 'event/Old', {}))).status).toBe(200)
    const entries = await list(app)
    expect(entries).toEqual([
      {
        value: 'Old',
        display: 'Old',
        totals: 1,
        non_active: false,
        deleted: true,
        hidden: false,
        flow_hidden: true,
      },
      {
        value: 'Planned',
        display: 'Planned',
        totals: 0,
        non_active: false,
        deleted: false,
        hidden: false,
        flow_hidden: false,
      },
      {
        value: 'Play',
        display: 'Song Played',
        totals: 1,
        non_active: true,
        deleted: false,
        hidden: false,
        flow_hidden: false,
      },
    ])
  })
})
