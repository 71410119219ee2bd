/**
 * @module `ampkit demo` (what `npm start` runs): starts the local server on its embedded default, sends
 * a short, realistic user journey through `@ampkit/node`, reads back what the server made of it through
 * Amplitude's own inspection APIs, and prints where to look. Then keeps serving until Ctrl+C, unless
 * `--exit`.
 */
import { resolve } from 'node:path'
import { createInstance, Identify, Revenue } from '@ampkit/node'
import { DEFAULT_DATA_DIR, type Project, type RunningServer, startServer } from '@ampkit/server'
import { CliError, usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { DEFAULT_PORT } from './serve.ts'

/** The journey's people and things; fixed so that re-runs add to the same profile. */
const JOURNEY = {
  deviceId: 'demo-device-7f3a9c',
  userId: 'demo-user-1001',
  company: 'Acme Inc',
  products: [
    { id: 'sku-espresso-01', name: 'Espresso Machine', price: 249.0, category: 'Kitchen' },
    { id: 'sku-grinder-02', name: 'Burr Grinder', price: 89.5, category: 'Kitchen' },
    { id: 'sku-beans-03', name: 'Single-Origin Beans', price: 18.0, category: 'Coffee' },
  ],
} as const

function basicAuth(project: Project): string {
  return `Basic ${Buffer.from(`${project.apiKey}:${project.secretKey}`).toString('base64')}`
}

/** Sends the journey; returns how many calls were delivered and the first failure, if any. */
async function sendJourney(
  url: string,
  apiKey: string,
): Promise<{ sent: number; failed: string[] }> {
  const client = createInstance()
  await client.init(apiKey, {
    serverUrl: `${url}/2/httpapi`,
    flushIntervalMillis: 200,
    // The demo talks to its own local server: AMPLITUDE_* variables or NODE_ENV=test must not
    // redirect or disable it.
    env: {},
  }).promise
  const { deviceId, userId, company, products } = JOURNEY
  const anonymous = { device_id: deviceId, platform: 'Web', country: 'Germany', city: 'Berlin' }
  const known = { ...anonymous, user_id: userId }
  const [machine, grinder, beans] = products
  const handles = [
    // Anonymous browsing: only the device is known.
    client.track('Home Page Viewed', { referrer: 'google' }, anonymous),
    ...products.map((p) =>
      client.track(
        'Product Viewed',
        { productId: p.id, productName: p.name, price: p.price, category: p.category },
        anonymous,
      ),
    ),
    // Sign-up ties the device to the user (Amplitude merges the anonymous history).
    client.track('User Signed Up', { method: 'email', plan: 'trial' }, known),
    client.identify(
      new Identify()
        .set('plan', 'trial')
        .setOnce('signupDate', new Date().toISOString().slice(0, 10))
        .setOnce('initialReferrer', 'google')
        .add('logins', 1)
        .postInsert('interests', 'espresso'),
      known,
    ),
    client.setGroup('company', company, known),
    client.groupIdentify(
      'company',
      company,
      new Identify().set('industry', 'Coffee Retail').set('seats', 25).setOnce('plan', 'business'),
      known,
    ),
    client.track('Cart Item Added', { productId: machine.id, quantity: 1 }, known),
    client.track('Cart Item Added', { productId: grinder.id, quantity: 1 }, known),
    client.track('Cart Item Added', { productId: beans.id, quantity: 2 }, known),
    client.track('Checkout Started', { itemCount: 4, cartValue: 374.5 }, known),
    client.revenue(
      new Revenue()
        .setProductId(machine.id)
        .setPrice(machine.price)
        .setQuantity(1)
        .setRevenueType('purchase'),
      known,
    ),
    client.revenue(
      new Revenue()
        .setProductId(grinder.id)
        .setPrice(grinder.price)
        .setQuantity(1)
        .setRevenueType('purchase'),
      known,
    ),
    client.revenue(
      new Revenue()
        .setProductId(beans.id)
        .setPrice(beans.price)
        .setQuantity(2)
        .setRevenueType('purchase'),
      known,
    ),
    client.track('Checkout Completed', { orderId: `order-${Date.now()}`, total: 374.5 }, known),
    client.identify(
      new Identify().add('orderCount', 1).add('totalSpend', 374.5).set('plan', 'paid'),
      known,
    ),
  ]
  await client.flush().promise
  const results = await Promise.all(handles.map((h) => h.promise))
  await client.shutdown({ timeoutMs: 5_000 })
  const failed = results
    .filter((r) => r.code < 200 || r.code > 299)
    .map((r) => `${r.event.event_type}: ${r.code} ${r.message}`)
  return { sent: results.length - failed.length, failed }
}

async function getJson(url: string, project: Project): Promise<Record<string, unknown>> {
  const response = await fetch(url, { headers: { authorization: basicAuth(project) } })
  if (!response.ok) throw new CliError(`GET ${new URL(url).pathname} failed: ${response.status}`)
  return (await response.json()) as Record<string, unknown>
}

export const demoCommand = defineCommand({
  meta: {
    name: 'demo',
    description:
      'Start the local server, send a sample user journey through @ampkit/node and show the result',
    examples: ['ampkit demo                 # what npm start runs', 'ampkit demo --memory --exit'],
  },
  args: {
    port: {
      type: 'string',
      description: `TCP port; 0 picks a free one (default: ${DEFAULT_PORT})`,
      valueHint: 'N',
    },
    data: {
      type: 'string',
      description: `Data directory of the DuckDB database (default: ${DEFAULT_DATA_DIR})`,
      valueHint: 'DIR',
    },
    memory: { type: 'boolean', description: 'Keep data in memory only' },
    exit: { type: 'boolean', description: 'Stop after the journey instead of serving on' },
  },
  async run({ args, out, signal, cwd }) {
    const port = args.port === undefined ? DEFAULT_PORT : Number(args.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw usageError(`--port must be an integer 0..65535, got '${args.port}'`)
    if (args.memory && args.data !== undefined)
      throw usageError('--data and --memory cannot be combined')
    const server: RunningServer = await startServer({
      port,
      ...(args.memory
        ? { memory: true }
        : { dataDir: resolve(cwd, args.data ?? DEFAULT_DATA_DIR) }),
      logger: { info: () => {}, error: () => {} },
    })
    try {
      const project = server.projects[0]
      if (project === undefined) throw new CliError('the server has no project')
      out(
        `ampkit local server on ${server.url} (storage: ${args.memory ? 'memory' : server.databasePath})`,
      )
      out(`  api key ${project.apiKey}   secret key ${project.secretKey}`)
      out('')
      out(
        'Sending a user journey through @ampkit/node: anonymous product views, sign-up, identify,',
      )
      out('company group, checkout with revenue ...')
      const { sent, failed } = await sendJourney(server.url, project.apiKey)
      out(`  ${sent} calls delivered${failed.length > 0 ? `, ${failed.length} failed` : ''}`)
      for (const line of failed) out(`  failed: ${line}`)

      const search = await getJson(`${server.url}/api/2/usersearch?user=${JOURNEY.userId}`, project)
      const match = (search.matches as { amplitude_id: number }[] | undefined)?.[0]
      if (match === undefined)
        throw new CliError(`user ${JOURNEY.userId} not found after the journey`)
      const activity = await getJson(
        `${server.url}/api/2/useractivity?user=${match.amplitude_id}&limit=50`,
        project,
      )
      const userData = activity.userData as Record<string, unknown>
      const events = activity.events as { event_type: string }[]
      out('')
      out(
        `What the server made of it (user ${JOURNEY.userId}, amplitude_id ${match.amplitude_id}):`,
      )
      out(
        `  events stored   ${userData.num_events} (latest: ${events
          .slice(0, 3)
          .map((e) => e.event_type)
          .join(', ')})`,
      )
      out(`  revenue         ${userData.revenue}`)
      out(`  devices         ${JSON.stringify(userData.device_ids)}`)
      out(`  properties      ${JSON.stringify(userData.properties)}`)
      out('')
      out('Where to look:')
      const auth = `-u ${project.apiKey}:${project.secretKey}`
      out(`  curl ${auth} '${server.url}/api/2/usersearch?user=${JOURNEY.userId}'`)
      out(`  curl ${auth} '${server.url}/api/2/useractivity?user=${match.amplitude_id}'`)
      out(
        `  point any Amplitude SDK at serverUrl ${server.url}/2/httpapi with api key ${project.apiKey}`,
      )
      // The analysis side, on the same events: Amplitude's query APIs through the ampkit command.
      const today = new Date().toISOString().slice(0, 10)
      const target = `--api-key ${project.apiKey} --secret-key ${project.secretKey} --server-url ${server.url}`
      out(
        `  npx ampkit query funnel --step 'Product Viewed' --step 'Checkout Completed' --start ${today} --end ${today} ${target}`,
      )
      out(`  npx ampkit export --start ${today} --end ${today} --out journey.ndjson ${target}`)
      if (failed.length > 0) return 1
      if (args.exit || signal.aborted) return 0
      out('')
      out('Serving on. Press Ctrl+C to stop.')
      await new Promise<void>((done) =>
        signal.addEventListener('abort', () => done(), { once: true }),
      )
      return 0
    } finally {
      await server.close()
    }
  },
})
