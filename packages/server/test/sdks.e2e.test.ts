import * as ampkitNode from '@ampkit/node'
import * as official from '@amplitude/analytics-node'
import { afterEach, describe, expect, it } from 'vitest'
import { createServerApp } from '../src/app.ts'
import { type ListeningServer, listen } from '../src/listen.ts'
import { type DuckDbStore, openDuckDbStore } from '../src/store/duckdb-store.ts'
import { basicAuth, PROJECT } from './helpers/app-fixture.ts'

let server: ListeningServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

async function startDuckDbServer(
  faults = false,
): Promise<{ server: ListeningServer; store: DuckDbStore }> {
  const store = await openDuckDbStore({ path: ':memory:' })
  const app = createServerApp({ store, projects: [PROJECT], faults })
  server = await listen(app)
  return { server, store }
}

async function inspect(url: string, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, {
    headers: { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) },
  })
  expect(response.status).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

// Both SDKs expose the same functions and builders; the journey is written once for both.
// @ampkit/node disables itself under NODE_ENV=test (Vitest sets it) unless its environment says
// otherwise: an empty `env` makes it send.
const SDKS = [
  ['@amplitude/analytics-node', official as unknown as typeof official, {}],
  ['@ampkit/node', ampkitNode as unknown as typeof official, { env: {} }],
] as const

describe.each(SDKS)('%s against the local server', (_name, sdk, extraOptions) => {
  it('tracks, identifies, sets a group, group-identifies and sends revenue', async () => {
    const { createInstance, Identify, Revenue } = sdk
    const { server, store } = await startDuckDbServer()
    const client = createInstance()
    await client.init(PROJECT.apiKey, {
      serverUrl: `${server.url}/2/httpapi`,
      flushIntervalMillis: 60_000,
      flushQueueSize: 1000,
      logLevel: 0,
      ...extraOptions,
    }).promise
    const ids = { user_id: 'user-e2e-0001', device_id: 'device-e2e-0001' }
    const results = [
      client.track('Product Viewed', { sku: 'A-1' }, { device_id: ids.device_id }),
      client.identify(
        new Identify()
          .set('plan', 'pro')
          .setOnce('first_plan', 'trial')
          .add('logins', 2)
          .append('tags', 'beta'),
        ids,
      ),
      client.setGroup('org', 'acme', ids),
      client.groupIdentify('org', 'acme', new Identify().set('tier', 'enterprise'), ids),
      client.revenue(
        new Revenue()
          .setProductId('sku-1')
          .setPrice(9.99)
          .setQuantity(2)
          .setRevenueType('purchase'),
        ids,
      ),
      client.track('Checkout Completed', { items: 2 }, ids),
    ]
    await client.flush().promise
    const codes = await Promise.all(results.map(async (result) => (await result.promise).code))
    expect(codes).toEqual([200, 200, 200, 200, 200, 200])

    const search = await inspect(server.url, `/api/2/usersearch?user=${ids.user_id}`)
    const matches = search.matches as Array<{ amplitude_id: number; user_id: string }>
    expect(matches).toHaveLength(1)
    expect(matches[0]?.user_id).toBe(ids.user_id)
    const amplitudeId = matches[0]!.amplitude_id

    // The anonymous view and the identified events belong to one user through the shared device.
    const activity = await inspect(
      server.url,
      `/api/2/useractivity?user=${amplitudeId}&direction=earliest`,
    )
    const userData = activity.userData as Record<string, unknown>
    expect(userData.properties).toEqual({
      plan: 'pro',
      first_plan: 'trial',
      logins: 2,
      tags: ['beta'],
      org: 'acme',
    })
    expect(userData.device_ids).toEqual([ids.device_id])
    const events = activity.events as Array<Record<string, unknown>>
    expect(events.map((e) => e.event_type)).toEqual([
      'Product Viewed',
      '$identify',
      '$identify',
      '$groupidentify',
      'revenue_amount',
      'Checkout Completed',
    ])
    const revenue = events.find((e) => e.event_type === 'revenue_amount')!
    expect(revenue.event_properties).toMatchObject({
      $productId: 'sku-1',
      $price: 9.99,
      $quantity: 2,
      $revenueType: 'purchase',
    })
    const checkout = events.at(-1)!
    expect(checkout.user_properties).toMatchObject({ plan: 'pro', org: 'acme' })
    expect(checkout.groups).toEqual({ org: 'acme' })
    expect(checkout.library).toEqual(expect.any(String))
    expect(await store.groupProperties(PROJECT.id, 'org', 'acme')).toEqual({ tier: 'enterprise' })
  })
})

describe('the official @amplitude/analytics-node and the fault API', () => {
  /** A client that sends each event within 20 ms (with retries, unlike an explicit flush). */
  async function sendingClient(url: string) {
    const client = official.createInstance()
    await client.init(PROJECT.apiKey, {
      serverUrl: `${url}/2/httpapi`,
      flushIntervalMillis: 20,
      logLevel: 0,
    }).promise
    return client
  }

  it('retries a 503 from the fault API and delivers the event once', async () => {
    const { server } = await startDuckDbServer(true)
    await fetch(`${server.url}/_ampkit/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'error', status: 503, path: '/2/httpapi', count: 1 }),
    })
    const client = await sendingClient(server.url)
    const result = await client.track('Retried', {}, { user_id: 'user-retry-1' }).promise
    expect(result.code).toBe(200)
    const rules = (await (await fetch(`${server.url}/_ampkit/faults`)).json()) as {
      rules: unknown[]
    }
    expect(rules.rules).toEqual([])
    const search = await inspect(server.url, '/api/2/usersearch?user=user-retry-1')
    const id = (search.matches as Array<{ amplitude_id: number }>)[0]!.amplitude_id
    const activity = await inspect(server.url, `/api/2/useractivity?user=${id}`)
    expect((activity.events as Array<{ event_type: string }>).map((e) => e.event_type)).toEqual([
      'Retried',
    ])
  })

  it('sees a 400 for an invalid event and drops it, as the spec says the SDK does', async () => {
    const { server } = await startDuckDbServer()
    const client = await sendingClient(server.url)
    const result = await client.track('Bad Id', {}, { user_id: 'null' }).promise
    expect(result.code).toBe(400)
  })
})
