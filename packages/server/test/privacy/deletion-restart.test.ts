import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { authed, call, ingest } from '../cohorts/requests.ts'
import { appWith } from '../helpers/app-fixture.ts'
import { tempDir } from '../store/store-helpers.ts'

const NOW = Date.UTC(2024, 6, 14, 12, 0, 0)

describe('deletion jobs across a restart', () => {
  it('runs a deletion staged before the server stopped once the next server starts', async () => {
    const { dir, cleanup } = tempDir()
    try {
      let nowMs = NOW
      const path = join(dir, 'ampkit.duckdb')
      const first = appWith(await openDuckDbStore({ path, now: () => nowMs }), {
        now: () => nowMs,
        deletions: { deletionDelayMs: 60_000 },
      })
      await ingest(first.app, [{ event_type: 'View', user_id: 'alice', time: NOW }])
      const staged = await call(
        first.app,
        authed('POST', '/api/2/deletions/users', { user_ids: ['alice'] }),
      )
      expect(staged.body.status).toBe('staging')
      await first.app.close()

      nowMs += 60_000
      const second = appWith(await openDuckDbStore({ path, now: () => nowMs }), {
        now: () => nowMs,
      })
      try {
        const list = () =>
          call(
            second.app,
            authed('GET', '/api/2/deletions/users?start_day=2024-07-14&end_day=2024-07-14'),
          )
        let status = ''
        for (let attempt = 0; attempt < 300 && status !== 'done'; attempt++) {
          status = (await list()).body[0]?.status ?? ''
          if (status !== 'done') await new Promise((resolve) => setTimeout(resolve, 20))
        }
        expect(status).toBe('done')
        const search = await call(second.app, authed('GET', '/api/2/usersearch?user=alice'))
        expect(search.body.type).toBe('nomatch')
      } finally {
        await second.app.close()
      }
    } finally {
      cleanup()
    }
  })
})
