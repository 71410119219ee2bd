import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  LEGACY_ID_FLOOR_USER_ID,
  MAX_AMPLITUDE_ID_KEY,
} from '../../src/store/amplitude-id-floor.ts'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { context, exportedEvents, tempDir } from './store-helpers.ts'

async function storedFloor(store: Awaited<ReturnType<typeof openDuckDbStore>>) {
  const rows = await store.selectRows(
    'SELECT value FROM ampkit_meta WHERE key = ? ORDER BY value',
    [MAX_AMPLITUDE_ID_KEY],
  )
  return rows.map((r) => Number(r.value))
}

async function markerRows(store: Awaited<ReturnType<typeof openDuckDbStore>>) {
  return store.selectRows('SELECT amplitude_id FROM user_ids WHERE project_id = 0')
}

describe('the highest Amplitude id issued', () => {
  it('is recorded in ampkit_meta as soon as the ids are stored', async () => {
    const store = await openDuckDbStore({ path: ':memory:' })
    await store.ingestEvents(
      [
        { event_type: 'a', user_id: 'user-00001' },
        { event_type: 'a', user_id: 'user-00002' },
      ],
      context(),
    )
    const ids = (await exportedEvents(store)).map((e) => e.amplitude_id as number)
    expect(Math.max(...(await storedFloor(store)))).toBe(Math.max(...ids))
    await store.close()
  })

  it('keeps a deleted newest id from being reissued after a restart, without a marker row', async () => {
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
      const newest = Math.max(...(await exportedEvents(store)).map((e) => e.amplitude_id as number))
      await store.deleteUsers(1, [newest])
      expect(await markerRows(store)).toEqual([])
      await store.close()

      store = await openDuckDbStore({ path })
      // Open compacts the log to the one highest value.
      expect(await storedFloor(store)).toEqual([newest])
      await store.ingestEvents([{ event_type: 'a', user_id: 'user-00003' }], context())
      const fresh = (await exportedEvents(store)).find((e) => e.user_id === 'user-00003')!
      expect(fresh.amplitude_id).toBe(newest + 1)
      await store.close()
    } finally {
      cleanup()
    }
  })

  it('reads a marker row of an older data file once as the floor, then removes it', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, 'ampkit.duckdb')
      let store = await openDuckDbStore({ path })
      await store.ingestEvents([{ event_type: 'a', user_id: 'user-00001' }], context())
      const [first] = await exportedEvents(store)
      const legacyFloor = (first!.amplitude_id as number) + 40
      // What an older server left behind after deleting users: the floor in a project-0 row of
      // user_ids, and no ampkit_meta row.
      await store.writeSql([
        { sql: 'DELETE FROM ampkit_meta WHERE key = ?', params: [MAX_AMPLITUDE_ID_KEY] },
        {
          sql: 'INSERT INTO user_ids VALUES (0, ?, ?, 0)',
          params: [LEGACY_ID_FLOOR_USER_ID, legacyFloor],
        },
      ])
      await store.close()

      store = await openDuckDbStore({ path })
      expect(await markerRows(store)).toEqual([])
      expect(await storedFloor(store)).toEqual([legacyFloor])
      await store.ingestEvents([{ event_type: 'a', user_id: 'user-00002' }], context())
      await store.close()

      // And the floor survives the marker's removal.
      store = await openDuckDbStore({ path })
      await store.ingestEvents([{ event_type: 'a', user_id: 'user-00003' }], context())
      const ids = new Map(
        (await exportedEvents(store)).map((e) => [e.user_id, e.amplitude_id as number]),
      )
      expect(ids.get('user-00002')).toBe(legacyFloor + 1)
      expect(ids.get('user-00003')).toBe(legacyFloor + 2)
      await store.close()
    } finally {
      cleanup()
    }
  })

  it('records the highest id of an older data file that kept it only in its tables', async () => {
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
      const newest = Math.max(...(await exportedEvents(store)).map((e) => e.amplitude_id as number))
      await store.writeSql([
        { sql: 'DELETE FROM ampkit_meta WHERE key = ?', params: [MAX_AMPLITUDE_ID_KEY] },
      ])
      await store.close()

      store = await openDuckDbStore({ path })
      await store.deleteUsers(1, [newest])
      await store.close()
      store = await openDuckDbStore({ path })
      await store.ingestEvents([{ event_type: 'a', user_id: 'user-00003' }], context())
      const fresh = (await exportedEvents(store)).find((e) => e.user_id === 'user-00003')!
      expect(fresh.amplitude_id).toBe(newest + 1)
      await store.close()
    } finally {
      cleanup()
    }
  })
})
