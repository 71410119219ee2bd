import { describe, expect, it } from 'vitest'
import { context, exportedEvents, memoryStore } from './store-helpers.ts'

describe('Amplitude ids', () => {
  it('gives every event of a user the same amplitude_id and different users different ones', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents(
      [
        { event_type: 'a', user_id: 'user-00001' },
        { event_type: 'a', user_id: 'user-00002' },
        { event_type: 'b', user_id: 'user-00001', device_id: 'device-0001' },
        { event_type: 'c', device_id: 'device-0001' },
      ],
      context(),
    )
    const ids = (await exportedEvents(store)).map((e) => e.amplitude_id)
    expect(ids[0]).toBe(ids[2])
    expect(ids[3]).toBe(ids[0])
    expect(ids[1]).not.toBe(ids[0])
    expect(ids.every((id) => Number.isSafeInteger(id))).toBe(true)
    await store.close()
  })

  it('keeps an anonymous device id when that device logs in as a new user', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents([{ event_type: 'view', device_id: 'device-0001' }], context())
    await store.ingestEvents(
      [{ event_type: 'signup', device_id: 'device-0001', user_id: 'user-00001' }],
      context(),
    )
    const [view, signup] = await exportedEvents(store)
    expect(signup!.amplitude_id).toBe(view!.amplitude_id)
    const search = await store.searchUsers(1, 'user-00001')
    expect(search.matches).toHaveLength(1)
    expect(search.matches[0]!.amplitude_id).toBe(view!.amplitude_id)
    await store.close()
  })

  it('merges an anonymous device into a known user and lists the merged id', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents([{ event_type: 'a', user_id: 'user-00001' }], context())
    await store.ingestEvents([{ event_type: 'anon', device_id: 'device-0002' }], context())
    await store.ingestEvents(
      [
        { event_type: 'login', user_id: 'user-00001', device_id: 'device-0002' },
        { event_type: 'later', device_id: 'device-0002' },
      ],
      context(),
    )
    const [first, anon, login, later] = await exportedEvents(store)
    expect(anon!.amplitude_id).not.toBe(first!.amplitude_id)
    expect(login!.amplitude_id).toBe(first!.amplitude_id)
    // Device-only events after the merge belong to the user.
    expect(later!.amplitude_id).toBe(first!.amplitude_id)

    const activity = await store.userActivity(1, {
      amplitudeId: anon!.amplitude_id as number,
      offset: 0,
      limit: 100,
      direction: 'latest',
    })
    expect(activity!.userData.canonical_amplitude_id).toBe(first!.amplitude_id)
    expect(activity!.userData.merged_amplitude_ids).toEqual([anon!.amplitude_id])
    expect(activity!.userData.num_events).toBe(4)
    expect(activity!.events.map((e) => e.event_type).sort()).toEqual(
      ['a', 'anon', 'later', 'login'].sort(),
    )
    expect(activity!.userData.device_ids).toEqual(['device-0002'])
    await store.close()
  })

  it('creates a new user when a device of one user shows up with another user id', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents(
      [
        { event_type: 'a', user_id: 'user-00001', device_id: 'device-0001' },
        { event_type: 'b', user_id: 'user-00002', device_id: 'device-0001' },
        { event_type: 'c', device_id: 'device-0001' },
      ],
      context(),
    )
    const [a, b, c] = await exportedEvents(store)
    expect(b!.amplitude_id).not.toBe(a!.amplitude_id)
    // The device now follows the user who used it last.
    expect(c!.amplitude_id).toBe(b!.amplitude_id)
    await store.close()
  })

  it('keeps the same user id in two projects as two users', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents([{ event_type: 'a', user_id: 'user-00001' }], context())
    await store.ingestEvents(
      [{ event_type: 'a', user_id: 'user-00001' }],
      context(undefined, { projectId: 2 }),
    )
    const [one, two] = await exportedEvents(store)
    expect(one!.amplitude_id).not.toBe(two!.amplitude_id)
    expect(two!.app).toBe(2)
    await store.close()
  })

  it('stamps user_creation_time with the first event of the user', async () => {
    const { store } = await memoryStore()
    const t = Date.UTC(2024, 0, 1)
    await store.ingestEvents(
      [
        { event_type: 'a', user_id: 'user-00001', time: t },
        { event_type: 'b', user_id: 'user-00001', time: t + 3_600_000 },
      ],
      context(),
    )
    const events = await exportedEvents(store)
    expect(events.map((e) => e.user_creation_time)).toEqual([
      '2024-01-01 00:00:00.000000',
      '2024-01-01 00:00:00.000000',
    ])
    expect(events.map((e) => (e.data as { first_event?: boolean }).first_event)).toEqual([
      true,
      undefined,
    ])
    await store.close()
  })
})

describe('attribution', () => {
  it('keeps an Attribution API event without storing it as a user event', async () => {
    const { store } = await memoryStore()
    await store.attribution(
      {
        event_type: '[Adjust] Install',
        platform: 'ios',
        idfa: 'AEBE52E7-03EE-455A-B3C4-E57283966239',
      },
      context(undefined, { path: '/attribution' }),
    )
    expect(await exportedEvents(store)).toEqual([])
    const kept = await store.read(async (c) =>
      (await c.runAndReadAll('SELECT project_id, path, event FROM attributions')).getRowObjectsJS(),
    )
    expect(kept).toHaveLength(1)
    expect(kept[0]!.path).toBe('/attribution')
    expect(JSON.parse(kept[0]!.event as string)).toMatchObject({ idfa: expect.any(String) })
    await store.close()
  })
})
