import {
  type AmplitudeReturn,
  defineTrackingPlan,
  type PlanTracker,
  type Result,
  standardCatalog,
} from '@ampkit/node'
import type { StandardSchemaV1 } from '@ampkit/protocol'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { testClient } from '../helpers/client.ts'
import { TestServer } from '../helpers/test-server.ts'

/** A one-function Standard Schema validator (what zod or valibot provide). */
function isoDate(): StandardSchemaV1<string> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) =>
        typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)
          ? { value }
          : { issues: [{ message: 'Expected an ISO 8601 date' }] },
    },
  }
}

const plan = defineTrackingPlan({
  events: {
    SongPlayed: {
      properties: {
        songId: { type: 'string', required: true },
        durationMs: 'number',
        releasedOn: isoDate(),
      },
    },
  },
})

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('typed trackers (types)', () => {
  it('has one method per planned event with typed properties', () => {
    type Tracker = PlanTracker<typeof plan.events>
    expectTypeOf<Parameters<Tracker['SongPlayed']>[0]>().toEqualTypeOf<{
      songId: string
      releasedOn: string
      durationMs?: number
    }>()
    expectTypeOf<ReturnType<Tracker['SongPlayed']>>().toEqualTypeOf<AmplitudeReturn<Result>>()
  })

  it('makes a wrong event, property name or type a compile error', () => {
    const check = (tracker: PlanTracker<typeof plan.events>) => {
      tracker.SongPlayed(
        { songId: 's1', durationMs: 3, releasedOn: '2026-11-28' },
        { user_id: 'u1' },
      )
      // @ts-expect-error: the plan has no SongSkipped
      tracker.SongSkipped({})
      // @ts-expect-error: durationMs is a number
      tracker.SongPlayed({ songId: 's1', durationMs: '3', releasedOn: '2026-11-28' })
      // @ts-expect-error: songTitle is not a planned property
      tracker.SongPlayed({ songId: 's1', releasedOn: '2026-11-28', songTitle: 'x' })
      // @ts-expect-error: releasedOn (a Standard Schema validator without undefined) is required
      tracker.SongPlayed({ songId: 's1' })
    }
    expect(typeof check).toBe('function')
  })

  it('types the standard catalog and its extensions', () => {
    const extended = standardCatalog.extend({
      events: { SongPlayed: { properties: { songId: { type: 'string', required: true } } } },
    })
    type Tracker = ReturnType<typeof extended.bind>
    expectTypeOf<Parameters<Tracker['CheckoutCompleted']>[0]['revenue']>().toEqualTypeOf<number>()
    expectTypeOf<Parameters<Tracker['SongPlayed']>[0]>().toEqualTypeOf<{ songId: string }>()
    expectTypeOf<Parameters<Tracker['ExperimentExposed']>[0]>().toEqualTypeOf<{
      flagKey: string
      variant: string
      experimentKey?: string
    }>()
  })
})

describe('typed trackers (runtime)', () => {
  it('sends a planned event through the client', async () => {
    server = await TestServer.start()
    const client = testClient(server)
    const tracker = plan.bind(client, { mode: 'strict' })
    const result = await tracker.SongPlayed(
      { songId: 's1', durationMs: 3, releasedOn: '2026-11-28' },
      { user_id: 'user-0001' },
    ).promise
    expect(result.code).toBe(200)
    expect(server.accepted).toMatchObject([
      {
        event_type: 'SongPlayed',
        user_id: 'user-0001',
        event_properties: { songId: 's1', durationMs: 3, releasedOn: '2026-11-28' },
      },
    ])
    await client.shutdown()
  })

  it('strict: refuses an event that breaks the plan with a result naming the rule, sending nothing', async () => {
    server = await TestServer.start()
    const client = testClient(server)
    const tracker = plan.bind(client, { mode: 'strict' })
    const properties = { songId: 's1', releasedOn: '28/11/2026' }
    const result = await tracker.SongPlayed(properties, { user_id: 'user-0001' }).promise
    expect(result).toMatchObject({
      code: 0,
      message:
        'Event refused by the tracking plan: plan-property-type: event "SongPlayed" property "releasedOn": Expected an ISO 8601 date',
      event: { event_type: 'SongPlayed', user_id: 'user-0001' },
    })
    await client.flush().promise
    expect(server.requests).toEqual([])
    await client.shutdown()
  })

  it('warn: sends the event anyway and logs each kind once', async () => {
    server = await TestServer.start()
    const client = testClient(server)
    const warnings: unknown[] = []
    const logger = {
      disable() {},
      enable() {},
      log() {},
      debug() {},
      error() {},
      warn: (...args: unknown[]) => warnings.push(args.join(' ')),
    }
    const tracker = plan.bind(client, { mode: 'warn', logger })
    const wrong = { songId: 's1', releasedOn: 'soon' }
    tracker.SongPlayed(wrong, { user_id: 'user-0001' })
    const result = await tracker.SongPlayed(wrong, { user_id: 'user-0001' }).promise
    expect(result.code).toBe(200)
    expect(warnings).toEqual([
      'plan-property-type: event "SongPlayed" property "releasedOn": Expected an ISO 8601 date',
    ])
    await client.shutdown()
  })

  it('sends the user-property side effects as an $identify before the event, with its revenue', async () => {
    server = await TestServer.start()
    const client = testClient(server)
    const tracker = standardCatalog.bind(client, { mode: 'strict' })
    const ids = { user_id: 'user-0001', device_id: 'device-0001' }
    await tracker.CheckoutCompleted(
      { orderId: 'o1', revenue: 30, currency: 'EUR', purchasedAt: '2026-11-28T10:00:00.000Z' },
      ids,
    ).promise
    expect(server.accepted).toMatchObject([
      {
        event_type: '$identify',
        ...ids,
        user_properties: {
          $set: { lastPurchaseAt: '2026-11-28T10:00:00.000Z' },
          $setOnce: { firstPurchaseAt: '2026-11-28T10:00:00.000Z' },
          $add: { totalSpend: 30, orderCount: 1 },
        },
      },
      {
        event_type: 'CheckoutCompleted',
        ...ids,
        revenue: 30,
        revenueType: 'purchase',
        currency: 'EUR',
        event_properties: { orderId: 'o1', revenue: 30 },
      },
    ])
    await client.shutdown()
  })
})
