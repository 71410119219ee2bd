import { afterEach, describe, expect, it } from 'vitest'
import { type DuckDbStore, openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { context, T0 } from './store-helpers.ts'

let store: DuckDbStore | undefined

afterEach(async () => {
  await store?.close()
  store = undefined
})

async function storeWith(count: number): Promise<DuckDbStore> {
  store = await openDuckDbStore({ path: ':memory:', now: () => T0 })
  const events = Array.from({ length: count }, (_, i) => ({
    event_type: i % 2 === 0 ? 'Play' : 'Stop',
    user_id: `user-${i % 7}`,
    time: T0 - i,
    insert_id: `ins-${i}`,
  }))
  await store.ingestEvents(events, context())
  return store
}

describe('read-only SQL on the store', () => {
  it('returns rows as plain objects with BIGINT as number and binds ? parameters', async () => {
    const s = await storeWith(10)
    const rows = await s.selectRows(
      'SELECT event_type, count(*) AS n, max(event_time_ms) AS latest FROM events WHERE event_type = ? GROUP BY 1',
      ['Play'],
    )
    expect(rows).toEqual([{ event_type: 'Play', n: 5, latest: T0 }])
  })

  it('streams a large result in chunks that together hold every row once', async () => {
    const s = await storeWith(5000)
    let total = 0
    let chunks = 0
    const seen = new Set<string>()
    for await (const rows of s.streamRows('SELECT insert_id FROM events ORDER BY seq')) {
      chunks += 1
      total += rows.length
      for (const row of rows) seen.add(row.insert_id as string)
    }
    expect(total).toBe(5000)
    expect(seen.size).toBe(5000)
    expect(chunks).toBeGreaterThan(1)
  })

  it('sees writes acknowledged before the query and releases the connection on early exit', async () => {
    const s = await storeWith(3000)
    for await (const rows of s.streamRows('SELECT * FROM events')) {
      expect(rows.length).toBeGreaterThan(0)
      break
    }
    await s.ingestEvents(
      [{ event_type: 'Late', user_id: 'user-x', insert_id: 'late-1' }],
      context(),
    )
    const rows = await s.selectRows("SELECT count(*) AS n FROM events WHERE event_type = 'Late'")
    expect(rows).toEqual([{ n: 1 }])
  })

  it('streams a (DOUBLE, BLOB) result as key and byte columns, NULLs as NaN and empty bytes', async () => {
    const s = await storeWith(5000)
    const keys: number[] = []
    const texts: string[] = []
    let chunks = 0
    for await (const chunk of s.streamKeyedBlobs(
      `SELECT (seq % 3)::DOUBLE, encode(insert_id) FROM events
       UNION ALL SELECT NULL::DOUBLE, NULL::BLOB ORDER BY 1 NULLS LAST, 2`,
    )) {
      chunks += 1
      expect(chunk.keys).toHaveLength(chunk.blobs.length)
      keys.push(...chunk.keys)
      for (const blob of chunk.blobs) texts.push(Buffer.from(blob).toString('utf8'))
    }
    expect(chunks).toBeGreaterThan(1)
    expect(keys).toHaveLength(5001)
    expect(new Set(texts.slice(0, 5000))).toEqual(
      new Set(Array.from({ length: 5000 }, (_, i) => `ins-${i}`)),
    )
    expect(keys.slice(0, 5000).every((key) => key >= 0 && key <= 2)).toBe(true)
    expect(keys[5000]).toBeNaN()
    expect(texts[5000]).toBe('')
  })

  it('refuses a keyed-blob stream whose columns are not one DOUBLE and one BLOB', async () => {
    const s = await storeWith(1)
    const read = async (sql: string) => {
      for await (const _ of s.streamKeyedBlobs(sql)) {
        // draining
      }
    }
    await expect(read('SELECT 1.5::DOUBLE')).rejects.toThrow(/2 columns/)
    await expect(read("SELECT 'a', encode('b')")).rejects.toThrow(/DOUBLE then a BLOB/)
  })

  it('rejects a statement DuckDB cannot run, naming the error', async () => {
    const s = await storeWith(1)
    await expect(s.selectRows('SELECT nope FROM events')).rejects.toThrow(/nope/)
  })
})

describe('metadata writes on the store', () => {
  it('commits all statements of one call together, visible to later reads', async () => {
    const s = await storeWith(1)
    await s.writeSql([
      { sql: 'CREATE TABLE IF NOT EXISTS notes (id INTEGER, text VARCHAR)' },
      { sql: 'INSERT INTO notes VALUES (?, ?)', params: [1, 'one'] },
      { sql: 'INSERT INTO notes VALUES (?, ?)', params: [2, 'two'] },
    ])
    expect(await s.selectRows('SELECT * FROM notes ORDER BY id')).toEqual([
      { id: 1, text: 'one' },
      { id: 2, text: 'two' },
    ])
  })

  it('rolls back every statement of a call when one fails', async () => {
    const s = await storeWith(1)
    await s.writeSql([{ sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY)' }])
    await expect(
      s.writeSql([
        { sql: 'INSERT INTO notes VALUES (1)' },
        { sql: 'INSERT INTO notes VALUES (1)' },
      ]),
    ).rejects.toThrow(/write metadata failed/)
    expect(await s.selectRows('SELECT count(*) AS n FROM notes')).toEqual([{ n: 0 }])
    await s.ingestEvents([{ event_type: 'After', user_id: 'user-y', insert_id: 'a-1' }], context())
    expect(
      await s.selectRows("SELECT count(*) AS n FROM events WHERE event_type = 'After'"),
    ).toEqual([{ n: 1 }])
  })
})
