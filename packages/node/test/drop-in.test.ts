/**
 * The drop-in promise: one script body, written for `@amplitude/analytics-node`, runs against the
 * official package and against @ampkit/node with only the import changed, and the same events arrive.
 */
import * as official from '@amplitude/analytics-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ampkit from '../src/index.ts'
import { TestServer } from './helpers/test-server.ts'

type Sdk = typeof official

const API_KEY = 'drop-in-key-5b1e77'

/** Written against the official SDK's API only. */
async function script(amplitude: Sdk, serverUrl: string) {
  const {
    init,
    track,
    identify,
    groupIdentify,
    setGroup,
    revenue,
    flush,
    Identify,
    Revenue,
    Types,
  } = amplitude
  init(API_KEY, {
    serverUrl,
    flushQueueSize: 10,
    flushIntervalMillis: 50,
    minIdLength: 3,
    logLevel: Types.LogLevel.None,
  })
  const calls = [
    track(
      'Button Clicked',
      { color: 'red', count: 3 },
      { user_id: 'user-1', device_id: 'device-1' },
    ),
    track({ event_type: 'Page Viewed', user_id: 'user-1', event_properties: { path: '/home' } }),
    identify(
      new Identify().set('plan', 'pro').setOnce('first', 'x').add('logins', 1).append('tags', 'a'),
      {
        user_id: 'user-1',
      },
    ),
    setGroup('org', 'acme', { user_id: 'user-1' }),
    groupIdentify('org', 'acme', new Identify().set('size', 10), { user_id: 'user-1' }),
    revenue(
      new Revenue().setProductId('sku-1').setPrice(9.99).setQuantity(2).setRevenueType('purchase'),
      {
        user_id: 'user-1',
      },
    ),
    track('With Options', undefined, {
      user_id: 'user-1',
      time: 1_700_000_000_000,
      app_version: '1.2.3',
      platform: 'Node',
    }),
    track('   ', undefined, { user_id: 'user-1' }),
  ]
  const results = await Promise.all(calls.map((call) => call.promise))
  await flush().promise
  return results.map(({ code, message, event }) => ({
    code,
    message,
    event_type: event.event_type,
  }))
}

/** What must match: everything but per-run values (ids, time, library). */
function comparable(server: TestServer) {
  const events = server.requests
    .flatMap((r) => r.events)
    .map(({ insert_id, time, library, ...rest }) => ({
      ...rest,
      hasInsertId: typeof insert_id === 'string',
      hasTime: typeof time === 'number',
      hasLibrary: typeof library === 'string',
      ...(rest.event_type === 'With Options' ? { time } : {}),
    }))
  const envelopes = server.requests.map((r) => ({
    api_key: r.body.api_key,
    options: r.body.options,
  }))
  return {
    events: events.sort((a, b) => a.event_type.localeCompare(b.event_type)),
    envelope: envelopes[0],
  }
}

describe('a script written for @amplitude/analytics-node', () => {
  let officialServer: TestServer
  let ampkitServer: TestServer
  const forceEnable = process.env.AMPLITUDE_FORCE_ENABLE

  beforeAll(async () => {
    officialServer = await TestServer.start()
    ampkitServer = await TestServer.start()
    // Vitest runs with NODE_ENV=test, under which ampkit sends nothing unless forced.
    process.env.AMPLITUDE_FORCE_ENABLE = '1'
  })

  afterAll(async () => {
    if (forceEnable === undefined) delete process.env.AMPLITUDE_FORCE_ENABLE
    else process.env.AMPLITUDE_FORCE_ENABLE = forceEnable
    await ampkit.shutdown({ timeoutMs: 1000 })
    await officialServer.close()
    await ampkitServer.close()
  })

  it('runs unchanged against @ampkit/node and delivers the same events and results', async () => {
    const officialResults = await script(official, officialServer.url)
    const ampkitResults = await script(ampkit as unknown as Sdk, ampkitServer.url)
    expect(ampkitResults).toEqual(officialResults)
    expect(ampkitResults.filter((r) => r.code === 200)).toHaveLength(7)
    const expected = comparable(officialServer)
    expect(expected.events).toHaveLength(7)
    expect(comparable(ampkitServer)).toEqual(expected)
  })
})
