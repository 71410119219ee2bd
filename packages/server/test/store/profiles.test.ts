import type { Properties } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
import { context, exportedEvents, memoryStore, profileOf } from './store-helpers.ts'

const START: Properties = {
  plan: 'free',
  count: 1,
  list: ['a', 'b'],
  scalar: 'x',
  old: 'gone',
}

/** Each operation, its payload, and the properties that result from START. */
const OPERATIONS: [string, Record<string, unknown>, Properties][] = [
  ['$set', { $set: { plan: 'pro' } }, { ...START, plan: 'pro' }],
  ['$setOnce on a set property', { $setOnce: { plan: 'pro' } }, START],
  ['$setOnce on a new property', { $setOnce: { source: 'ad' } }, { ...START, source: 'ad' }],
  ['$add', { $add: { count: 2, fresh: -3 } }, { ...START, count: 3, fresh: -3 }],
  [
    '$append',
    { $append: { list: ['b', 'c'], scalar: 'y' } },
    { ...START, list: ['a', 'b', 'b', 'c'], scalar: ['x', 'y'] },
  ],
  ['$prepend', { $prepend: { list: 'z' } }, { ...START, list: ['z', 'a', 'b'] }],
  ['$preInsert', { $preInsert: { list: ['a', 'q'] } }, { ...START, list: ['q', 'a', 'b'] }],
  ['$postInsert', { $postInsert: { list: ['b', 'q'] } }, { ...START, list: ['a', 'b', 'q'] }],
  ['$remove', { $remove: { list: 'a' } }, { ...START, list: ['b'] }],
  ['$unset', { $unset: { old: '-' } }, { plan: 'free', count: 1, list: ['a', 'b'], scalar: 'x' }],
  ['$clearAll', { $clearAll: '-' }, {}],
]

describe('user properties', () => {
  it.each(OPERATIONS)('applies %s from an $identify event', async (_name, update, expected) => {
    const { store } = await memoryStore()
    const user = { user_id: 'user-00001', device_id: 'device-0001' }
    await store.ingestEvents(
      [
        { event_type: '$identify', ...user, user_properties: { $set: START } },
        { event_type: '$identify', ...user, user_properties: update },
        { event_type: 'after', ...user },
      ],
      context(),
    )
    expect((await profileOf(store, 'user-00001')).properties).toEqual(expected)
    const events = await exportedEvents(store)
    expect(events[2]!.user_properties).toEqual(expected)
    await store.close()
  })

  it.each(OPERATIONS)('applies %s from the Identify API', async (_name, update, expected) => {
    const { store } = await memoryStore()
    await store.identify([{ user_id: 'user-00001', user_properties: { $set: START } }], context())
    await store.identify([{ user_id: 'user-00001', user_properties: update }], context())
    await store.ingestEvents([{ event_type: 'after', user_id: 'user-00001' }], context())
    expect((await profileOf(store, 'user-00001')).properties).toEqual(expected)
    expect((await exportedEvents(store))[0]!.user_properties).toEqual(expected)
    await store.close()
  })

  it('applies the operations of one identify in Amplitude order', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents(
      [
        {
          event_type: '$identify',
          user_id: 'user-00001',
          user_properties: {
            $add: { n: 1 },
            $set: { n: 10 },
            $clearAll: '-',
          },
        },
      ],
      context(),
    )
    // $clearAll first, then $set; $add on the same property is ignored (first operation wins).
    expect((await profileOf(store, 'user-00001')).properties).toEqual({ n: 10 })
    await store.close()
  })

  it('treats plain user_properties on ordinary events as $set', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents(
      [
        { event_type: 'a', user_id: 'user-00001', user_properties: { plan: 'free', age: 30 } },
        { event_type: 'b', user_id: 'user-00001', user_properties: { plan: 'pro' } },
      ],
      context(),
    )
    expect((await profileOf(store, 'user-00001')).properties).toEqual({ plan: 'pro', age: 30 })
    await store.close()
  })

  it('leaves the profile alone when $skip_user_properties_sync is set', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents(
      [
        { event_type: 'a', user_id: 'user-00001', user_properties: { plan: 'free' } },
        {
          event_type: 'b',
          user_id: 'user-00001',
          user_properties: { plan: 'pro' },
          $skip_user_properties_sync: true,
        },
      ],
      context(),
    )
    expect((await profileOf(store, 'user-00001')).properties).toEqual({ plan: 'free' })
    await store.close()
  })

  it('stores each event with the user properties as of that event', async () => {
    const { store } = await memoryStore()
    const u = { user_id: 'user-00001' }
    await store.ingestEvents(
      [
        { event_type: 'first', ...u },
        { event_type: '$identify', ...u, user_properties: { $set: { plan: 'free' } } },
        { event_type: 'second', ...u },
        { event_type: '$identify', ...u, user_properties: { $add: { logins: 1 } } },
        { event_type: 'third', ...u, user_properties: { plan: 'pro' } },
      ],
      context(),
    )
    await store.ingestEvents([{ event_type: 'fourth', ...u }], context())
    const props = (await exportedEvents(store)).map((e) => [e.event_type, e.user_properties])
    expect(props).toEqual([
      ['first', {}],
      ['$identify', { plan: 'free' }],
      ['second', { plan: 'free' }],
      ['$identify', { plan: 'free', logins: 1 }],
      ['third', { plan: 'pro', logins: 1 }],
      ['fourth', { plan: 'pro', logins: 1 }],
    ])
    await store.close()
  })

  it('does not store an event for an Identify API call', async () => {
    const { store } = await memoryStore()
    await store.identify(
      [{ user_id: 'user-00001', user_properties: { $set: { plan: 'pro' } } }],
      context(),
    )
    expect(await exportedEvents(store)).toEqual([])
    expect((await profileOf(store, 'user-00001')).properties).toEqual({ plan: 'pro' })
    await store.close()
  })

  it('updates device fields together and location fields together from the Identify API', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents(
      [
        {
          event_type: 'a',
          user_id: 'user-00001',
          platform: 'iOS',
          os_name: 'ios',
          os_version: '17',
          device_model: 'iPhone',
          carrier: 'Verizon',
          country: 'United States',
          city: 'Boston',
          region: 'Massachusetts',
        },
      ],
      context(),
    )
    let profile = await profileOf(store, 'user-00001')
    expect(profile).toMatchObject({
      platform: 'iOS',
      os: 'ios 17',
      device: 'iPhone',
      city: 'Boston',
    })

    await store.identify(
      [
        {
          user_id: 'user-00001',
          platform: 'Android',
          country: 'Germany',
          paying: true,
          start_version: '1.2.3',
          app_version: '2.0',
        },
      ],
      context(),
    )
    profile = await profileOf(store, 'user-00001')
    expect(profile).toMatchObject({
      platform: 'Android',
      os: null,
      device: null,
      carrier: null,
      country: 'Germany',
      city: null,
      region: null,
      paying: true,
      start_version: '1.2.3',
      version: '2.0',
    })

    // Later events carry paying and start_version, and their own device fields win again.
    await store.ingestEvents(
      [{ event_type: 'b', user_id: 'user-00001', platform: 'Web' }],
      context(),
    )
    profile = await profileOf(store, 'user-00001')
    expect(profile.platform).toBe('Web')
    const events = await exportedEvents(store)
    expect(events[1]).toMatchObject({ paying: true, start_version: '1.2.3', platform: 'Web' })
    await store.close()
  })
})

describe('groups', () => {
  it('keeps a user in groups set by $identify and lets a type be overwritten', async () => {
    const { store } = await memoryStore()
    const u = { user_id: 'user-00001' }
    await store.ingestEvents(
      [
        {
          event_type: '$identify',
          ...u,
          groups: { org: 'acme' },
          user_properties: { $set: { org: 'acme' } },
        },
        { event_type: 'a', ...u },
        { event_type: 'b', ...u, groups: { team: ['red', 'blue'] } },
        { event_type: '$identify', ...u, groups: { org: 'globex' } },
        { event_type: 'c', ...u },
      ],
      context(),
    )
    await store.identify([{ user_id: 'user-00001', groups: { region: 'emea' } }], context())
    await store.ingestEvents([{ event_type: 'd', ...u }], context())
    const groups = (await exportedEvents(store)).map((e) => [e.event_type, e.groups])
    expect(groups).toEqual([
      ['$identify', { org: 'acme' }],
      ['a', { org: 'acme' }],
      ['b', { org: 'acme', team: ['red', 'blue'] }],
      ['$identify', { org: 'globex' }],
      ['c', { org: 'globex' }],
      ['d', { org: 'globex', region: 'emea' }],
    ])
    await store.close()
  })

  it('applies group identify operations from the API and from $groupidentify events', async () => {
    const { store } = await memoryStore()
    await store.groupIdentify(
      [
        { group_type: 'org', group_value: 'acme', group_properties: { $set: { tier: 'gold' } } },
        { group_type: 'org', group_value: 'acme', group_properties: { $add: { seats: 5 } } },
      ],
      context(),
    )
    await store.ingestEvents(
      [
        {
          event_type: '$groupidentify',
          groups: { org: 'acme' },
          group_properties: { $append: { plans: 'pro' }, $add: { seats: 1 } },
        },
        { event_type: 'a', user_id: 'user-00001', groups: { org: 'acme' } },
      ],
      context(),
    )
    expect(await store.groupProperties(1, 'org', 'acme')).toEqual({
      tier: 'gold',
      seats: 6,
      plans: ['pro'],
    })
    expect(await store.groupProperties(1, 'org', 'unknown')).toBeUndefined()
    expect(await store.groupProperties(2, 'org', 'acme')).toBeUndefined()
    const events = await exportedEvents(store)
    expect(events[1]!.group_properties).toEqual({
      org: { acme: { tier: 'gold', seats: 6, plans: ['pro'] } },
    })
    // group_properties on an ordinary event never change a group.
    await store.ingestEvents(
      [
        {
          event_type: 'b',
          user_id: 'user-00001',
          groups: { org: 'acme' },
          group_properties: { tier: 'x' },
        },
      ],
      context(),
    )
    expect((await store.groupProperties(1, 'org', 'acme'))?.tier).toBe('gold')
    await store.close()
  })
})
