import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DedupIndex, hashKey } from '../../src/store/dedup-index.ts'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { context, exportedEvents, manualClock, memoryStore, T0, tempDir } from './store-helpers.ts'

const DAY_MS = 86_400_000
const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

describe('insert_id de-duplication', () => {
  it('drops a repeat of (device_id, insert_id) within one batch and counts it', async () => {
    const { store } = await memoryStore()
    const outcome = await store.ingestEvents(
      [
        { event_type: 'a', device_id: 'device-0001', insert_id: 'ins-1' },
        { event_type: 'b', device_id: 'device-0001', insert_id: 'ins-1' },
        { event_type: 'c', device_id: 'device-0002', insert_id: 'ins-1' },
      ],
      context(),
    )
    expect(outcome).toEqual({ ingested: 2, duplicates: 1 })
    const events = await exportedEvents(store)
    expect(events.map((e) => [e.event_type, e.device_id])).toEqual([
      ['a', 'device-0001'],
      ['c', 'device-0002'],
    ])
    await store.close()
  })

  it('drops a retried batch entirely', async () => {
    const { store } = await memoryStore()
    const batch = Array.from({ length: 50 }, (_, i) => ({
      event_type: 'e',
      user_id: `user-${i}-00`,
      device_id: `device-${i}-00`,
      insert_id: `ins-${i}`,
    }))
    expect(await store.ingestEvents(batch, context())).toEqual({ ingested: 50, duplicates: 0 })
    expect(await store.ingestEvents(batch, context())).toEqual({ ingested: 0, duplicates: 50 })
    expect(await exportedEvents(store)).toHaveLength(50)
    await store.close()
  })

  it('keys on user_id when the event has no device_id', async () => {
    const { store } = await memoryStore()
    const outcome = await store.ingestEvents(
      [
        { event_type: 'a', user_id: 'user-00001', insert_id: 'ins-1' },
        { event_type: 'a', user_id: 'user-00001', insert_id: 'ins-1' },
        { event_type: 'a', user_id: 'user-00002', insert_id: 'ins-1' },
      ],
      context(),
    )
    expect(outcome).toEqual({ ingested: 2, duplicates: 1 })
    await store.close()
  })

  it('never de-duplicates events without an insert_id', async () => {
    const { store } = await memoryStore()
    const event = { event_type: 'a', device_id: 'device-0001', time: T0 }
    const outcome = await store.ingestEvents([event, event, event], context())
    expect(outcome).toEqual({ ingested: 3, duplicates: 0 })
    await store.close()
  })

  it('keeps projects apart', async () => {
    const { store } = await memoryStore()
    const event = { event_type: 'a', device_id: 'device-0001', insert_id: 'ins-1' }
    await store.ingestEvents([event], context(T0, { projectId: 1 }))
    expect(await store.ingestEvents([event], context(T0, { projectId: 2 }))).toEqual({
      ingested: 1,
      duplicates: 0,
    })
    await store.close()
  })

  it('accepts the same insert_id again once 7 days have passed', async () => {
    const { store, clock } = await memoryStore()
    const event = { event_type: 'a', device_id: 'device-0001', insert_id: 'ins-1' }
    await store.ingestEvents([event], context(clock.now()))
    clock.advance(7 * DAY_MS - 1)
    expect(await store.ingestEvents([event], context(clock.now()))).toEqual({
      ingested: 0,
      duplicates: 1,
    })
    clock.advance(1)
    expect(await store.ingestEvents([event], context(clock.now()))).toEqual({
      ingested: 1,
      duplicates: 0,
    })
    await store.close()
  })

  it('still de-duplicates after the database is closed and reopened', async () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const path = join(dir, 'nested', 'ampkit.duckdb')
    const clock = manualClock()
    const first = await openDuckDbStore({ path, now: clock.now })
    const event = { event_type: 'a', device_id: 'device-0001', insert_id: 'ins-1' }
    const byUser = { event_type: 'b', user_id: 'user-00001', insert_id: 'ins-2' }
    await first.ingestEvents([event, byUser], context())
    await first.close()

    clock.advance(DAY_MS)
    const second = await openDuckDbStore({ path, now: clock.now })
    expect(await second.ingestEvents([event, byUser], context(clock.now()))).toEqual({
      ingested: 0,
      duplicates: 2,
    })
    await second.close()

    // Reopened 7 days after the first write, the keys have expired.
    clock.advance(6 * DAY_MS)
    const third = await openDuckDbStore({ path, now: clock.now })
    expect(await third.ingestEvents([event], context(clock.now()))).toEqual({
      ingested: 1,
      duplicates: 0,
    })
    await third.close()
  })
})

describe('DedupIndex', () => {
  it('holds many keys through growth and forgets expired ones', () => {
    const S = 1000
    const index = new DedupIndex(1000 * S)
    const t0 = 1_700_000_000 * S
    for (let i = 0; i < 20_000; i++) {
      index.add(hashKey(`k${i}`), t0 + (i < 10_000 ? 0 : 500 * S), t0)
    }
    expect(index.has(hashKey('k0'), t0 + 999 * S)).toBe(true)
    expect(index.has(hashKey('k19999'), t0 + 999 * S)).toBe(true)
    expect(index.has(hashKey('k20000'), t0 + 999 * S)).toBe(false)
    expect(index.has(hashKey('k0'), t0 + 1000 * S)).toBe(false)
    expect(index.has(hashKey('k19999'), t0 + 1000 * S)).toBe(true)
    // Growth after expiry keeps only the live half.
    for (let i = 0; i < 30_000; i++) index.add(hashKey(`m${i}`), t0 + 1200 * S, t0 + 1200 * S)
    expect(index.has(hashKey('k0'), t0 + 1200 * S)).toBe(false)
    expect(index.has(hashKey('k15000'), t0 + 1200 * S)).toBe(true)
    expect(index.has(hashKey('m29999'), t0 + 1200 * S)).toBe(true)
    expect(index.size).toBeLessThan(45_000)
  })

  it('keeps 200,000 live keys in at most 34 bytes each', () => {
    const index = new DedupIndex(7 * 86_400_000)
    const t0 = 1_700_000_000_000
    for (let i = 0; i < 200_000; i++) index.add(hashKey('d', `i${i}`), t0, t0)
    expect(index.size).toBe(200_000)
    expect(index.has(hashKey('d', 'i0'), t0)).toBe(true)
    expect(index.has(hashKey('d', 'i199999'), t0)).toBe(true)
    expect(index.has(hashKey('d', 'i200000'), t0)).toBe(false)
    expect((index.capacity * 12) / index.size).toBeLessThanOrEqual(34)
  })
})
