import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { context, exportedEvents, memoryStore, profileOf, tempDir } from './store-helpers.ts'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

describe('concurrent writers', () => {
  it('stores every event of many simultaneous ingests with consistent profiles', async () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const store = await openDuckDbStore({ path: join(dir, 'ampkit.duckdb') })
    const requests = 40
    const calls: Promise<unknown>[] = []
    for (let r = 0; r < requests; r++) {
      const events = Array.from({ length: 50 }, (_, i) => ({
        event_type: 'hit',
        user_id: `user-${i % 5}-0000`,
        device_id: `device-${i % 5}-${r % 2}`,
        insert_id: `ins-${r}-${i}`,
        user_properties: { $add: { hits: 1 }, $postInsert: { requests: r } },
      }))
      calls.push(store.ingestEvents(events, context(Date.now())))
      // Interleave the other write kinds and reads, as concurrent HTTP requests would.
      if (r % 10 === 0) {
        calls.push(
          store.groupIdentify(
            [{ group_type: 'org', group_value: 'acme', group_properties: { $add: { n: 1 } } }],
            context(Date.now()),
          ),
        )
        calls.push(store.searchUsers(1, 'user-'))
      }
    }
    // Every request replayed concurrently is a duplicate.
    const replays = Array.from({ length: 10 }, (_, r) =>
      store.ingestEvents(
        [
          {
            event_type: 'hit',
            user_id: 'user-0-0000',
            device_id: `device-0-${r % 2}`,
            insert_id: `ins-${r}-0`,
          },
        ],
        context(Date.now()),
      ),
    )
    const outcomes = await Promise.all(replays)
    await Promise.all(calls)
    expect(outcomes.every((o) => o.ingested === 0 && o.duplicates === 1)).toBe(true)

    const events = await exportedEvents(store)
    expect(events).toHaveLength(requests * 50)
    for (let u = 0; u < 5; u++) {
      const profile = await profileOf(store, `user-${u}-0000`)
      const props = profile.properties as { hits: number; requests: number[] }
      expect(props.hits).toBe(requests * 10)
      expect(props.requests).toEqual(Array.from({ length: requests }, (_, r) => r))
      expect(profile.num_events).toBe(requests * 10)
    }
    // Within each user, the properties stored with the events grow by exactly one per event.
    const hits = events
      .filter((e) => e.user_id === 'user-1-0000')
      .map((e) => (e.user_properties as { hits: number }).hits)
    expect(hits).toEqual(Array.from({ length: requests * 10 }, (_, i) => i + 1))
    expect(await store.groupProperties(1, 'org', 'acme')).toEqual({ n: 4 })
    await store.close()
  })

  it('answers reads issued during writes with every write acknowledged before them', async () => {
    const { store } = await memoryStore()
    const writes = Array.from({ length: 20 }, (_, r) =>
      store
        .ingestEvents(
          [{ event_type: 'e', user_id: 'user-00001', user_properties: { $add: { n: 1 } } }],
          context(),
        )
        .then(() => r),
    )
    await writes[9]
    const profile = await profileOf(store, 'user-00001')
    // The read was queued after write 9 resolved, so it sees at least 10 increments.
    expect((profile.properties as { n: number }).n).toBeGreaterThanOrEqual(10)
    await Promise.all(writes)
    expect(((await profileOf(store, 'user-00001')).properties as { n: number }).n).toBe(20)
    await store.close()
  })
})
