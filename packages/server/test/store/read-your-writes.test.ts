import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { context, tempDir } from './store-helpers.ts'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

describe('reads right after a write', () => {
  it('see every event acknowledged before them while other writes are still in flight', async () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const store = await openDuckDbStore({ path: join(dir, 'ampkit.duckdb') })
    const requests = 12
    const perRequest = 300
    const acknowledged: number[] = []
    const checks: Promise<void>[] = []
    const writes = Array.from({ length: requests }, (_, r) => {
      const events = Array.from({ length: perRequest }, (_, i) => ({
        event_type: 'hit',
        user_id: 'user-00001',
        device_id: 'device-00001',
        insert_id: `ins-${r}-${i}`,
      }))
      return store.ingestEvents(events, context(Date.now())).then(() => {
        acknowledged.push(r)
        const seen = [...acknowledged]
        // Issued the moment this write resolved, with later writes still queued behind it.
        checks.push(
          (async () => {
            const stored = await store.read(async (c) => {
              const reader = await c.runAndReadAll(
                `SELECT split_part(insert_id, '-', 2)::INTEGER AS r, count(*)::INTEGER AS n
                 FROM events GROUP BY 1`,
              )
              return new Map(reader.getRowObjectsJS().map((row) => [row.r as number, row.n]))
            })
            for (const request of seen) expect(stored.get(request)).toBe(perRequest)
            const search = await store.searchUsers(1, 'user-00001')
            const amplitudeId = search.matches[0]!.amplitude_id
            const activity = await store.userActivity(1, {
              amplitudeId,
              offset: 0,
              limit: 1,
              direction: 'latest',
            })
            expect(activity!.userData.num_events).toBeGreaterThanOrEqual(seen.length * perRequest)
          })(),
        )
      })
    })
    await Promise.all(writes)
    await Promise.all(checks)
    expect(acknowledged).toHaveLength(requests)
    await store.close()
  })
})
