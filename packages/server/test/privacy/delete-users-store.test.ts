import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { context, exportedEvents, memoryStore, tempDir } from '../store/store-helpers.ts'

describe('Store.deleteUsers', () => {
  it('removes the events, profile and id maps of a user, including a merged anonymous device', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents([{ event_type: 'anon', device_id: 'device-0002' }], context())
    await store.ingestEvents(
      [
        { event_type: 'a', user_id: 'user-00001', user_properties: { plan: 'pro' } },
        { event_type: 'login', user_id: 'user-00001', device_id: 'device-0002' },
        { event_type: 'b', user_id: 'user-00002' },
      ],
      context(),
    )
    const before = await exportedEvents(store)
    const doomed = before.find((e) => e.user_id === 'user-00001')!.amplitude_id as number
    const anonymous = before[0]!.amplitude_id as number
    expect(anonymous).not.toBe(doomed)

    const outcome = await store.deleteUsers(1, [anonymous, 999])
    expect(outcome).toEqual({ deleted: [doomed], unknown: [999] })

    const after = await exportedEvents(store)
    expect(after.map((e) => e.event_type)).toEqual(['b'])
    expect((await store.searchUsers(1, 'user-00001')).type).toBe('nomatch')
    expect((await store.searchUsers(1, 'device-0002')).type).toBe('nomatch')
    expect(
      await store.userActivity(1, {
        amplitudeId: doomed,
        offset: 0,
        limit: 10,
        direction: 'latest',
      }),
    ).toBeUndefined()
    const rows = await store.selectRows(
      `SELECT (SELECT count(*) FROM users WHERE amplitude_id IN (?, ?)) AS users,
              (SELECT count(*) FROM user_ids WHERE user_id = 'user-00001') AS user_ids,
              (SELECT count(*) FROM device_ids WHERE device_id = 'device-0002') AS device_ids`,
      [doomed, anonymous],
    )
    expect(rows[0]).toEqual({ users: 0, user_ids: 0, device_ids: 0 })
    await store.close()
  })

  it('treats the same user id seen again as a new user with a new Amplitude id', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents(
      [{ event_type: 'a', user_id: 'user-00001', insert_id: 'i-1' }],
      context(),
    )
    const [first] = await exportedEvents(store)
    await store.deleteUsers(1, [first!.amplitude_id as number])
    // The same insert_id is no longer a duplicate: the event it blocked is gone.
    const outcome = await store.ingestEvents(
      [{ event_type: 'a', user_id: 'user-00001', insert_id: 'i-1' }],
      context(),
    )
    expect(outcome.ingested).toBe(1)
    const [again] = await exportedEvents(store)
    expect(again!.amplitude_id).not.toBe(first!.amplitude_id)
    await store.close()
  })

  it('deletes nothing for ids of another project', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents([{ event_type: 'a', user_id: 'user-00001' }], context())
    const [first] = await exportedEvents(store)
    const outcome = await store.deleteUsers(2, [first!.amplitude_id as number])
    expect(outcome.deleted).toEqual([])
    expect(await exportedEvents(store)).toHaveLength(1)
    await store.close()
  })
})

describe('Amplitude ids after a deletion', () => {
  it('never hands a deleted id to a new user, even after the store is reopened', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, 'ampkit.duckdb')
      let store = await openDuckDbStore({ path })
      await store.ingestEvents(
        [
          { event_type: 'a', user_id: 'user-00001' },
          { event_type: 'a', user_id: 'user-00002' },
        ],
        context(),
      )
      const ids = (await exportedEvents(store)).map((e) => e.amplitude_id as number)
      const newest = Math.max(...ids)
      await store.deleteUsers(1, [newest])
      await store.close()

      store = await openDuckDbStore({ path })
      await store.ingestEvents([{ event_type: 'a', user_id: 'user-00003' }], context())
      const fresh = (await exportedEvents(store)).find((e) => e.user_id === 'user-00003')!
      expect(fresh.amplitude_id).toBeGreaterThan(newest)
      // The floor row names no user of a served project.
      expect((await store.searchUsers(1, '$ampkit')).type).toBe('nomatch')
      await store.close()
    } finally {
      cleanup()
    }
  })
})
