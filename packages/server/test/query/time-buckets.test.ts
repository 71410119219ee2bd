import { describe, expect, it } from 'vitest'
import {
  bucketLabel,
  bucketLabelSql,
  bucketLabels,
  bucketStartSql,
  instantOfWall,
} from '../../src/query/time-buckets.ts'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'

describe('interval buckets', () => {
  it('labels days, Monday weeks, months, hours and 5-minute buckets in the project zone', () => {
    const ms = Date.UTC(2024, 6, 17, 3, 7, 30) // Wednesday 03:07:30 UTC
    expect(bucketLabel(ms, 'day', 'UTC')).toBe('2024-07-17')
    expect(bucketLabel(ms, 'day', 'America/Los_Angeles')).toBe('2024-07-16')
    expect(bucketLabel(ms, 'week', 'UTC')).toBe('2024-07-15')
    expect(bucketLabel(ms, 'month', 'UTC')).toBe('2024-07-01')
    expect(bucketLabel(ms, 'hour', 'Europe/Berlin')).toBe('2024-07-17T05:00:00')
    expect(bucketLabel(ms, 'minute5', 'UTC')).toBe('2024-07-17T03:05:00')
  })

  it('finds local midnight across a daylight-saving change', () => {
    // Berlin switched to CEST on 2024-03-31 at 02:00 local: midnight that day is still UTC+1.
    expect(instantOfWall(Date.UTC(2024, 2, 31), 'Europe/Berlin')).toBe(Date.UTC(2024, 2, 30, 23))
    expect(instantOfWall(Date.UTC(2024, 3, 1), 'Europe/Berlin')).toBe(Date.UTC(2024, 2, 31, 22))
  })

  it('lists x-values of a range, starting with the bucket already under way', () => {
    expect(bucketLabels('2024-07-17', '2024-07-30', 'week')).toEqual([
      '2024-07-15',
      '2024-07-22',
      '2024-07-29',
    ])
    expect(bucketLabels('2024-01-31', '2024-03-01', 'month')).toEqual([
      '2024-01-01',
      '2024-02-01',
      '2024-03-01',
    ])
    expect(bucketLabels('2024-07-01', '2024-07-01', 'hour')).toHaveLength(24)
  })

  it('cuts the same buckets in DuckDB as in TypeScript', async () => {
    const store = await openDuckDbStore({ path: ':memory:' })
    try {
      const instants = Array.from({ length: 40 }, (_, i) => Date.UTC(2024, 2, 28) + i * 7_777_777)
      for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York']) {
        for (const interval of ['day', 'week', 'month', 'hour', 'minute5'] as const) {
          const sql = `SELECT ${bucketLabelSql(bucketStartSql('t', interval, zone), interval)} AS label
            FROM unnest([${instants.join(', ')}]::BIGINT[]) AS u(t)`
          const rows = await store.selectRows(sql)
          expect(
            rows.map((r) => r.label),
            `${zone} ${interval}`,
          ).toEqual(instants.map((t) => bucketLabel(t, interval, zone)))
        }
      }
    } finally {
      await store.close()
    }
  })
})
