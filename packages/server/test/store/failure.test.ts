import { describe, expect, it } from 'vitest'
import { context, exportedEvents, memoryStore, profileOf } from './store-helpers.ts'

describe('a failed write', () => {
  it('rejects only its own call and leaves no trace in profiles or the dedup set', async () => {
    const { store } = await memoryStore()
    await store.ingestEvents(
      [{ event_type: 'a', user_id: 'user-00001', user_properties: { $add: { n: 1 } } }],
      context(),
    )
    const good = [
      {
        event_type: 'b',
        user_id: 'user-00001',
        insert_id: 'ins-b',
        user_properties: { $add: { n: 10 } },
      },
    ]
    // A value JSON cannot encode makes the batch fail while it is being prepared.
    const bad = [
      ...good,
      {
        event_type: 'c',
        user_id: 'user-00001',
        event_properties: { big: 1n as unknown as number },
      },
    ]
    const results = await Promise.allSettled([
      store.ingestEvents(bad, context()),
      store.ingestEvents([{ event_type: 'd', user_id: 'user-00002' }], context()),
    ])
    expect(results[0]).toMatchObject({
      status: 'rejected',
      reason: { name: 'StoreError', code: 'STORE_FAILED' },
    })
    expect(results[1]).toMatchObject({ status: 'fulfilled', value: { ingested: 1 } })
    // The failed batch's $add is gone and its insert_id is free for the retry.
    expect((await profileOf(store, 'user-00001')).properties).toEqual({ n: 1 })
    expect(await store.ingestEvents(good, context())).toEqual({ ingested: 1, duplicates: 0 })
    expect((await profileOf(store, 'user-00001')).properties).toEqual({ n: 11 })
    expect((await exportedEvents(store)).map((e) => e.event_type)).toEqual(['a', 'd', 'b'])
    await store.close()
  })
})
