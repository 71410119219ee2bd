import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { EXPORT_RECORD_KEYS } from '@ampkit/protocol'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalTarget, startLocalTarget } from './helpers/local-target.ts'

let target: LocalTarget
let nowMs = Date.UTC(2024, 6, 14, 5, 10)

function event(i: number) {
  return {
    event_type: i % 2 === 0 ? 'Play Song' : 'Search',
    user_id: `export-user-${i % 3}`,
    insert_id: `export-${i}`,
    time: Date.UTC(2024, 6, 14, 4, 0) + i * 1000,
    event_properties: { n: i, text: 'a "quoted", line\nbreak' },
  }
}

beforeAll(async () => {
  target = await startLocalTarget({ now: () => nowMs })
  // 6 events uploaded in the 05:00 hour, 4 in the 07:00 hour (selection is by upload hour).
  await target.batch([0, 1, 2, 3, 4, 5].map(event))
  nowMs = Date.UTC(2024, 6, 14, 7, 30)
  await target.batch([6, 7, 8, 9].map(event))
})

afterAll(async () => {
  await target.close()
})

const lines = (text: string) => text.split('\n').filter((l) => l !== '')

describe('ampkit export', () => {
  it('writes every event of the range as 55-key NDJSON records, and a JSON summary', async () => {
    const result = await target.cli([
      'export',
      '--start',
      '2024-07-14',
      '--end',
      '2024-07-14',
      '--out',
      'day.ndjson',
      '--json',
      '--quiet',
      ...target.queryTarget(),
    ])
    expect(result.err).toBe('')
    expect(result.code).toBe(0)
    const records = lines(readFileSync(join(target.dir, 'day.ndjson'), 'utf8')).map((l) =>
      JSON.parse(l),
    )
    expect(records.map((r) => r.$insert_id).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `export-${i}`).sort(),
    )
    for (const record of records)
      expect(Object.keys(record).sort()).toEqual([...EXPORT_RECORD_KEYS].sort())
    expect(JSON.parse(result.out)).toMatchObject({
      events: 10,
      files: 1,
      format: 'ndjson',
      gzip: false,
    })
  })

  it('selects by upload hour: 05:00 alone holds the first six', async () => {
    const result = await target.cli([
      'export',
      '--start',
      '20240714T05',
      '--end',
      '20240714T05',
      ...target.queryTarget(),
      '--quiet',
    ])
    expect(result.code).toBe(0)
    expect(
      lines(result.out)
        .map((l) => JSON.parse(l).$insert_id)
        .sort(),
    ).toEqual(['export-0', 'export-1', 'export-2', 'export-3', 'export-4', 'export-5'])
  })

  it('splits by upload hour into gzipped files', async () => {
    const result = await target.cli([
      'export',
      '--start',
      '2024-07-14',
      '--end',
      '2024-07-14',
      '--out',
      'hours',
      '--split-by',
      'hour',
      '--gzip',
      '--quiet',
      ...target.queryTarget(),
    ])
    expect(result.code).toBe(0)
    const dir = join(target.dir, 'hours')
    expect(readdirSync(dir).sort()).toEqual(['2024-07-14T05.ndjson.gz', '2024-07-14T07.ndjson.gz'])
    const count = (name: string) =>
      lines(gunzipSync(readFileSync(join(dir, name))).toString()).length
    expect(count('2024-07-14T05.ndjson.gz')).toBe(6)
    expect(count('2024-07-14T07.ndjson.gz')).toBe(4)
  })

  it('writes CSV with the 55 keys as header and quoted cells, and Parquet that DuckDB reads back', async () => {
    const csv = await target.cli([
      'export',
      '--start',
      '2024-07-14',
      '--end',
      '2024-07-14',
      '--out',
      'day.csv',
      '--quiet',
      ...target.queryTarget(),
    ])
    expect(csv.code).toBe(0)
    const text = readFileSync(join(target.dir, 'day.csv'), 'utf8')
    expect(text.split('\r\n')[0]).toBe(EXPORT_RECORD_KEYS.join(','))
    expect(text).toContain('"{""n"":0,""text"":""a \\""quoted\\"", line\\nbreak""}"')
    const parquet = await target.cli([
      'export',
      '--start',
      '2024-07-14',
      '--end',
      '2024-07-14',
      '--out',
      'day.parquet',
      '--quiet',
      ...target.queryTarget(),
    ])
    expect(parquet.err).toBe('')
    expect(parquet.code).toBe(0)
    const db = await DuckDBInstance.create(':memory:')
    const connection = await db.connect()
    const rows = await connection.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT "$insert_id")::INTEGER AS ids,
        max(json_extract(event_properties, '$.n'))::INTEGER AS top
       FROM read_parquet('${join(target.dir, 'day.parquet')}')`,
    )
    expect(rows.getRowObjectsJS()).toEqual([{ n: 10, ids: 10, top: 9 }])
    connection.closeSync()
    db.closeSync()
  })

  it('treats an empty range as no events, and refuses bad options with a usage error', async () => {
    const empty = await target.cli([
      'export',
      '--start',
      '2023-01-01',
      '--end',
      '2023-01-01',
      '--quiet',
      ...target.queryTarget(),
    ])
    expect(empty.code).toBe(0)
    expect(empty.out).toBe('')
    const bad = await target.cli([
      'export',
      '--start',
      '2024-13-01',
      '--end',
      '2024-07-14',
      ...target.queryTarget(),
    ])
    expect(bad.code).toBe(2)
    expect(bad.err).toBe("ampkit export: --start: '2024-13-01' is not a real hour\n")
    const noSecret = await target.cli([
      'export',
      '--start',
      '2024-07-14',
      '--end',
      '2024-07-14',
      ...target.target(),
    ])
    expect(noSecret.code).toBe(2)
    expect(noSecret.err).toMatch(/a secret key is needed/)
    expect(noSecret.err).not.toContain('cli-test-key-0001')
  })

  it('reports wrong keys as one line naming the request, never the key', async () => {
    const result = await target.cli([
      'export',
      '--start',
      '2024-07-14',
      '--end',
      '2024-07-14',
      '--api-key',
      'cli-test-key-0001',
      '--secret-key',
      'wrong-secret-123',
      '--server-url',
      target.server.url,
    ])
    expect(result.code).toBe(1)
    expect(result.err.trim().split('\n')).toHaveLength(1)
    expect(result.err).toMatch(/403/)
    expect(result.err).not.toContain('wrong-secret-123')
  })
})
