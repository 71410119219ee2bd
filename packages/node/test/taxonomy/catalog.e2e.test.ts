import { createInstance, LogLevel, standardCatalog } from '@ampkit/node'
import { type RunningServer, startServer } from '@ampkit/server'
import { afterEach, describe, expect, it } from 'vitest'

const PROJECT = { id: 1, name: 'T', apiKey: 'k'.repeat(32), secretKey: 's'.repeat(32) }

let server: RunningServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function inspect(path: string): Promise<Record<string, unknown>> {
  const auth = Buffer.from(`${PROJECT.apiKey}:${PROJECT.secretKey}`).toString('base64')
  const response = await fetch(`${server!.url}${path}`, {
    headers: { authorization: `Basic ${auth}` },
  })
  expect(response.status).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

describe('the standard catalog through the local server', () => {
  it('sets first-touch properties once, adds counters and records revenue', async () => {
    server = await startServer({ port: 0, memory: true, projects: [PROJECT], rateLimits: false })
    const client = createInstance()
    await client.init(PROJECT.apiKey, {
      serverUrl: `${server.url}/2/httpapi`,
      env: {},
      exitHooks: false,
      flushIntervalMillis: 60_000,
      logLevel: LogLevel.None,
      // The catalog passes the client's own guard at its strictest.
      taxonomy: 'strict',
    }).promise
    const track = standardCatalog.bind(client, { mode: 'strict' })
    const ids = { user_id: 'user-e2e-0001', device_id: 'device-e2e-0001' }
    const handles = [
      track.UserSignedUp({ signupMethod: 'google', signedUpAt: '2026-11-01T09:00:00.000Z' }, ids),
      // A second sign-up must not overwrite first-touch facts ($setOnce).
      track.UserSignedUp({ signupMethod: 'email', signedUpAt: '2026-11-02T09:00:00.000Z' }, ids),
      track.UserLoggedIn({ loginMethod: 'google' }, ids),
      track.UserLoggedIn({ loginMethod: 'password', isRememberMe: true }, ids),
      track.ProductViewed({ productId: 'sku-1', price: 30, currency: 'EUR' }, ids),
      track.CheckoutStarted({ cartId: 'cart-1', itemCount: 1, cartValue: 30 }, ids),
      track.CheckoutCompleted(
        { orderId: 'o1', revenue: 30, currency: 'EUR', purchasedAt: '2026-11-03T10:00:00.000Z' },
        ids,
      ),
      track.CheckoutCompleted(
        { orderId: 'o2', revenue: 20, currency: 'EUR', purchasedAt: '2026-11-04T10:00:00.000Z' },
        ids,
      ),
      track.FeatureUsed({ featureName: 'exportCsv' }, ids),
      track.FeatureUsed({ featureName: 'exportCsv', surface: 'toolbar' }, ids),
      track.FeatureUsed({ featureName: 'darkMode' }, ids),
      track.SubscriptionStarted({ planId: 'pro', billingPeriod: 'monthly', price: 10 }, ids),
      track.RefundIssued({ orderId: 'o2', amount: 20, reason: 'damaged' }, ids),
      track.SubscriptionCancelled({ planId: 'pro', reason: 'price' }, ids),
      track.ExperimentExposed({ flagKey: 'new-checkout', variant: 'treatment' }, ids),
    ]
    await client.flush().promise
    const results = await Promise.all(handles.map((h) => h.promise))
    expect(results.map((r) => `${r.code} ${r.message}`)).toEqual(
      handles.map(() => '200 Event tracked successfully'),
    )

    const search = await inspect(`/api/2/usersearch?user=${ids.user_id}`)
    const matches = search.matches as Array<{ amplitude_id: number }>
    expect(matches).toHaveLength(1)
    const activity = await inspect(`/api/2/useractivity?user=${matches[0]!.amplitude_id}`)
    const userData = activity.userData as Record<string, unknown>
    const properties = userData.properties as Record<string, unknown>
    expect(properties).toMatchObject({
      signupMethod: 'google',
      firstSeenAt: '2026-11-01T09:00:00.000Z',
      loginCount: 2,
      totalSpend: 30,
      orderCount: 2,
      refundCount: 1,
      firstPurchaseAt: '2026-11-03T10:00:00.000Z',
      lastPurchaseAt: '2026-11-04T10:00:00.000Z',
      exportCsvUseCount: 2,
      darkModeUseCount: 1,
      featureUseCount: 3,
      plan: 'pro',
      subscriptionStatus: 'cancelled',
      '[Experiment] new-checkout': 'treatment',
    })
    // 30 + 20 + 10 (subscription) - 20 (refund).
    expect(userData.revenue).toBe(40)
    expect(userData.purchases).toBe(4)

    const events = activity.events as Array<Record<string, unknown>>
    const exposure = events.find((e) => e.event_type === 'ExperimentExposed')
    // The $identify goes first, so the exposure already carries the variant for segmentation.
    expect(exposure?.user_properties).toMatchObject({ '[Experiment] new-checkout': 'treatment' })
    const refund = events.find((e) => e.event_type === 'RefundIssued')
    expect(refund).toMatchObject({ event_properties: { orderId: 'o2', amount: 20 } })
    expect(client.stats().taxonomy).toMatchObject({ mode: 'strict', refused: 0, violations: {} })
    await client.shutdown()
  })
})
