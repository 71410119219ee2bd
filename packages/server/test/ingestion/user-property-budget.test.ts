import { describe, expect, it } from 'vitest'
import { UserPropertyBudget } from '../../src/store/user-property-budget.ts'
import { activityOf, PROJECT, postForm, postJson, testApp } from '../helpers/app-fixture.ts'

/** 2024-07-14 09:00 UTC. */
const NINE = Date.UTC(2024, 6, 14, 9)
const HOUR_MS = 3_600_000

function addLogin(userId: string, i: number): Record<string, unknown> {
  return {
    event_type: '$identify',
    user_id: userId,
    time: NINE + i,
    user_properties: { $add: { logins: 1 } },
  }
}

async function batch(app: Awaited<ReturnType<typeof testApp>>['app'], events: unknown[]) {
  const response = await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))
  expect(response.status).toBe(200)
}

describe('user-property updates per hour per Amplitude id', () => {
  it('drops updates past the hourly budget and still stores their events', async () => {
    let nowMs = NINE
    const { app } = await testApp({
      now: () => nowMs,
      rateLimits: { userPropertyUpdatesPerHour: 3 },
    })
    await batch(
      app,
      [0, 1, 2, 3, 4].map((i) => addLogin('user-budget-1', i)),
    )
    const { userData, events } = await activityOf(app, 'user-budget-1')
    expect(events).toHaveLength(5)
    expect(userData.properties).toEqual({ logins: 3 })
    expect(events.map((e) => (e.user_properties as { logins?: number }).logins)).toEqual([
      1, 2, 3, 3, 3,
    ])

    // Another user has a budget of its own.
    await batch(app, [addLogin('user-budget-2', 0)])
    expect((await activityOf(app, 'user-budget-2')).userData.properties).toEqual({ logins: 1 })

    // The next clock hour brings a fresh budget.
    nowMs = NINE + HOUR_MS
    await batch(app, [addLogin('user-budget-1', 9)])
    expect((await activityOf(app, 'user-budget-1')).userData.properties).toEqual({ logins: 4 })
  })

  it('counts Identify API updates and plain properties on events against the same budget', async () => {
    const { app } = await testApp({
      now: () => NINE,
      rateLimits: { userPropertyUpdatesPerHour: 2 },
    })
    await batch(app, [
      { event_type: 'View', user_id: 'user-budget-3', time: NINE, user_properties: { plan: 'a' } },
    ])
    const identify = (plan: string) =>
      app.handle(
        postForm('/identify', {
          api_key: PROJECT.apiKey,
          identification: JSON.stringify({
            user_id: 'user-budget-3',
            user_properties: { $set: { plan } },
          }),
        }),
      )
    expect((await identify('b')).status).toBe(200)
    expect((await identify('c')).status).toBe(200)
    await batch(app, [
      { event_type: 'View', user_id: 'user-budget-3', time: NINE + 1, user_properties: { x: 1 } },
    ])
    const { userData, events } = await activityOf(app, 'user-budget-3')
    expect(userData.properties).toEqual({ plan: 'b' })
    expect(events).toHaveLength(2)
  })

  it('holds 1,800 updates by default and drops the 1,801st', async () => {
    const { app } = await testApp({ now: () => NINE })
    await batch(
      app,
      Array.from({ length: 1801 }, (_, i) => addLogin('user-budget-4', i)),
    )
    const { userData } = await activityOf(app, 'user-budget-4')
    expect(userData.properties).toEqual({ logins: 1800 })
  })

  it('is off together with the rate limits', async () => {
    const { app } = await testApp({ now: () => NINE, rateLimits: false })
    await batch(
      app,
      Array.from({ length: 1801 }, (_, i) => addLogin('user-budget-5', i)),
    )
    const { userData } = await activityOf(app, 'user-budget-5')
    expect(userData.properties).toEqual({ logins: 1801 })
  })
})

describe('UserPropertyBudget memory', () => {
  it('forgets every count when the hour turns and never tracks more ids than its bound', () => {
    const budget = new UserPropertyBudget({ updatesPerHour: 1, maxTrackedIds: 100 })
    for (let id = 0; id < 250; id++) expect(budget.take(id, NINE)).toBe(true)
    expect(budget.trackedIds).toBe(100)
    expect(budget.take(249, NINE + 1)).toBe(false)
    expect(budget.take(249, NINE + HOUR_MS)).toBe(true)
    expect(budget.trackedIds).toBe(1)
  })
})
