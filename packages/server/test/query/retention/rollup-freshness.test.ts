import { describe, expect, it } from 'vitest'
import { refreshActivityRollup } from '../../../src/query/retention/activity-rollup.ts'
import { retentionPlan } from '../../../src/query/retention/plan.ts'
import { retentionSql } from '../../../src/query/retention/sql.ts'
import { storeWithEvents } from '../helpers/random-dataset.ts'
import { cells, ev, july, query, referenceAnswer, sqlAnswer } from './helpers.ts'

const PARAMS = {
  se: { event_type: '_active' },
  re: { event_type: '_active' },
  start: '20240701',
  end: '20240701',
}
const NOW = july(20)

async function amplitudeIdOf(
  store: Awaited<ReturnType<typeof storeWithEvents>>,
  userId: string,
): Promise<number> {
  const rows = await store.selectRows(
    'SELECT DISTINCT amplitude_id FROM events WHERE user_id = $1',
    [userId],
  )
  return Number(rows[0]?.amplitude_id)
}

describe('the activity rollup', () => {
  it('follows new events and deleted users between queries', async () => {
    // a: 07-01 10:00 and 07-02 11:00 → day 1. b: 07-01 12:00 and 13:00 → day 0.
    const store = await storeWithEvents([
      ev('aaaaa', 'Use', july(1, 10)),
      ev('aaaaa', 'Use', july(2, 11)),
      ev('bbbbb', 'Use', july(1, 12)),
      ev('bbbbb', 'Use', july(1, 13)),
    ])
    try {
      const q = query(PARAMS)
      expect(cells(await sqlAnswer(store, q, NOW), '2024-07-01').slice(0, 3)).toEqual([
        [2, 2, false],
        [1, 2, false],
        [1, 2, false],
      ])
      // c arrives after the rollup was built: 07-01 09:00, 07-03 09:00 → day 2.
      await store.ingestEvents([ev('ccccc', 'Use', july(1, 9)), ev('ccccc', 'Use', july(3, 9))], {
        projectId: 1,
        receivedAtMs: july(10),
        path: '/batch',
      })
      const withC = await sqlAnswer(store, q, NOW)
      expect(withC).toEqual(await referenceAnswer(store, q, NOW))
      expect(
        cells(withC, '2024-07-01')
          .slice(0, 4)
          .map(([count]) => count),
      ).toEqual([3, 1, 1, 1])
      // Deleting a leaves b and c.
      await store.deleteUsers(1, [await amplitudeIdOf(store, 'aaaaa')])
      const withoutA = await sqlAnswer(store, q, NOW)
      expect(withoutA).toEqual(await referenceAnswer(store, q, NOW))
      expect(
        cells(withoutA, '2024-07-01')
          .slice(0, 4)
          .map(([count]) => count),
      ).toEqual([2, 1, 0, 1])
    } finally {
      await store.close()
    }
  })

  it('refuses to answer from rows of users deleted after its last refresh', async () => {
    const store = await storeWithEvents([
      ev('aaaaa', 'Use', july(1, 10)),
      ev('aaaaa', 'Use', july(2, 11)),
      ev('bbbbb', 'Use', july(1, 12)),
    ])
    try {
      const q = query(PARAMS)
      const watermark = await refreshActivityRollup(store, 1)
      await store.deleteUsers(1, [await amplitudeIdOf(store, 'aaaaa')])
      // The statement alone (no refresh before it) sees the deletion and fails rather than count a.
      const statement = retentionSql(
        q,
        retentionPlan(q, NOW),
        { starts: 'rollup', returns: 'rollup' },
        watermark,
      )
      await expect(store.selectRows(statement.sql, statement.values)).rejects.toThrow(
        /rollup is stale/,
      )
      // The engine refreshes first and answers without a.
      expect(cells(await sqlAnswer(store, q, NOW), '2024-07-01')[0]).toEqual([1, 1, false])
    } finally {
      await store.close()
    }
  })
})
