import { describe, expect, it } from 'vitest'
import { context, memoryStore, T0 } from './store-helpers.ts'

async function seeded() {
  const { store, clock } = await memoryStore()
  await store.ingestEvents(
    [
      { event_type: 'view', device_id: 'device-0001', time: T0, country: 'Canada' },
      {
        event_type: '$identify',
        user_id: 'alice@example.com',
        device_id: 'device-0001',
        time: T0 + 1_000,
        user_properties: { $set: { plan: 'pro' } },
      },
      { event_type: 'a', user_id: 'alice@example.com', time: T0 + 2_000, session_id: T0 },
      { event_type: 'b', user_id: 'alice@example.com', time: T0 + 3_000, session_id: T0 },
      {
        event_type: 'buy',
        user_id: 'alice@example.com',
        device_id: 'device-0001',
        time: T0 + 86_400_000,
        session_id: T0 + 86_400_000,
        price: 4.99,
        quantity: 2,
        country: 'United States',
        platform: 'iOS',
      },
      { event_type: 'x', user_id: 'alina@example.com', time: T0 },
      { event_type: 'y', user_id: 'bob@example.com', device_id: 'device-0009', time: T0 },
    ],
    context(),
  )
  return { store, clock }
}

describe('user search', () => {
  it('finds a user by user id, device id and Amplitude id', async () => {
    const { store } = await seeded()
    const byUser = await store.searchUsers(1, 'alice@example.com')
    expect(byUser.type).toBe('match_user_or_device_id')
    expect(byUser.matches).toEqual([
      {
        user_id: 'alice@example.com',
        amplitude_id: expect.any(Number),
        last_device_id: 'device-0001',
        country: 'United States',
        last_seen: '2024-07-15',
      },
    ])
    const aid = byUser.matches[0]!.amplitude_id
    const byDevice = await store.searchUsers(1, 'device-0001')
    expect(byDevice.matches.map((m) => m.amplitude_id)).toEqual([aid])
    const byAmplitudeId = await store.searchUsers(1, String(aid))
    expect(byAmplitudeId.type).toBe('match_amplitude_id')
    expect(byAmplitudeId.matches.map((m) => m.user_id)).toEqual(['alice@example.com'])
    await store.close()
  })

  it('finds users by user id prefix', async () => {
    const { store } = await seeded()
    const result = await store.searchUsers(1, 'ali')
    expect(result.type).toBe('match_user_prefix')
    expect(result.matches.map((m) => m.user_id).sort()).toEqual([
      'alice@example.com',
      'alina@example.com',
    ])
    await store.close()
  })

  it('answers nomatch for an unknown user and for another project', async () => {
    const { store } = await seeded()
    expect(await store.searchUsers(1, 'zed')).toEqual({ type: 'nomatch', matches: [] })
    expect(await store.searchUsers(2, 'alice@example.com')).toEqual({
      type: 'nomatch',
      matches: [],
    })
    await store.close()
  })
})

describe('user activity', () => {
  async function aliceId(store: Awaited<ReturnType<typeof seeded>>['store']) {
    return (await store.searchUsers(1, 'alice@example.com')).matches[0]!.amplitude_id
  }

  it('summarises the user and lists events newest first as export records', async () => {
    const { store } = await seeded()
    const amplitudeId = await aliceId(store)
    const activity = await store.userActivity(1, {
      amplitudeId,
      offset: 0,
      limit: 1000,
      direction: 'latest',
    })
    expect(activity!.userData).toMatchObject({
      user_id: 'alice@example.com',
      canonical_amplitude_id: amplitudeId,
      merged_amplitude_ids: [],
      num_events: 5,
      num_sessions: 2,
      usage_time: 1_000,
      first_used: '2024-07-14',
      last_used: '2024-07-15',
      purchases: 1,
      revenue: 9.98,
      platform: 'iOS',
      country: 'United States',
      device_ids: ['device-0001'],
      last_device_id: 'device-0001',
      properties: { plan: 'pro' },
    })
    expect(activity!.events.map((e) => e.event_type)).toEqual([
      'buy',
      'b',
      'a',
      '$identify',
      'view',
    ])
    expect(Object.keys(activity!.events[0]!)).toHaveLength(55)
    expect(activity!.metadata).toMatchObject({ missingData: false })
    await store.close()
  })

  it('pages with offset and limit in either direction', async () => {
    const { store } = await seeded()
    const amplitudeId = await aliceId(store)
    const page = async (offset: number, limit: number, direction: 'latest' | 'earliest') =>
      (await store.userActivity(1, { amplitudeId, offset, limit, direction }))!.events.map(
        (e) => e.event_type,
      )
    expect(await page(0, 2, 'latest')).toEqual(['buy', 'b'])
    expect(await page(2, 2, 'latest')).toEqual(['a', '$identify'])
    expect(await page(4, 2, 'latest')).toEqual(['view'])
    expect(await page(0, 2, 'earliest')).toEqual(['view', '$identify'])
    expect(await page(3, 5, 'earliest')).toEqual(['b', 'buy'])
    await store.close()
  })

  it('answers undefined for an unknown Amplitude id or another project', async () => {
    const { store } = await seeded()
    const amplitudeId = await aliceId(store)
    const query = { offset: 0, limit: 10, direction: 'latest' as const }
    expect(await store.userActivity(1, { ...query, amplitudeId: 42 })).toBeUndefined()
    expect(await store.userActivity(2, { ...query, amplitudeId })).toBeUndefined()
    await store.close()
  })
})
