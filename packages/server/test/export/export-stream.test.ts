import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.ts'
import { exportEntryName, openExport } from '../../src/export/export-stream.ts'
import { type DuckDbStore, openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { countingStore } from './export-helpers.ts'
import { recordsByEntry } from './zip-reader.ts'

const HOUR_MS = 3_600_000
const T0 = Date.UTC(2024, 0, 5, 0)
let store: DuckDbStore | undefined

afterEach(async () => {
  await store?.close()
  store = undefined
})

/** A store with `perHour` events of project 7 uploaded in each of `hours` hours from T0. */
async function storeWith(hours: number, perHour: number) {
  let nowMs = T0
  store = await openDuckDbStore({ path: ':memory:', now: () => nowMs })
  for (let h = 0; h < hours; h++) {
    nowMs = T0 + h * HOUR_MS + 1
    const events = Array.from({ length: perHour }, (_, i) => ({
      event_type: `h${h}`,
      user_id: `user-${i % 10}-0000`,
      insert_id: `h${h}-${i}`,
    }))
    await store.ingestEvents(events, { projectId: 7, receivedAtMs: nowMs, path: '/batch' })
  }
  return countingStore(store)
}

async function archiveOf(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(body).arrayBuffer())
}

describe('export stream', () => {
  it('names entries by project, upload date, unpadded hour and part', () => {
    expect(exportEntryName(203138, Date.UTC(2020, 10, 24, 9), 70)).toBe(
      '203138/203138_2020-11-24_9#70.json.gz',
    )
    expect(exportEntryName(7, Date.UTC(2024, 11, 31, 23), 0)).toBe('7/7_2024-12-31_23#0.json.gz')
  })

  it('returns nothing for a range without events', async () => {
    const s = await storeWith(1, 3)
    const archive = await openExport(s, 7, { startMs: T0 + HOUR_MS, endMs: T0 + 2 * HOUR_MS })
    expect(archive).toBeUndefined()
    expect(await openExport(s, 8, { startMs: T0, endMs: T0 + HOUR_MS })).toBeUndefined()
  })

  it('splits hours into parts of at most maxEventsPerPart, every event once, in order', async () => {
    const s = await storeWith(3, 25)
    const archive = await openExport(
      s,
      7,
      { startMs: T0, endMs: T0 + 3 * HOUR_MS },
      { maxEventsPerPart: 10 },
    )
    expect(archive?.events).toBe(75)
    const entries = recordsByEntry(await archiveOf(archive!.body))
    expect(entries.map((e) => [e.name, e.records.length])).toEqual([
      ['7/7_2024-01-05_0#0.json.gz', 10],
      ['7/7_2024-01-05_0#1.json.gz', 10],
      ['7/7_2024-01-05_0#2.json.gz', 5],
      ['7/7_2024-01-05_1#0.json.gz', 10],
      ['7/7_2024-01-05_1#1.json.gz', 10],
      ['7/7_2024-01-05_1#2.json.gz', 5],
      ['7/7_2024-01-05_2#0.json.gz', 10],
      ['7/7_2024-01-05_2#1.json.gz', 10],
      ['7/7_2024-01-05_2#2.json.gz', 5],
    ])
    const ids = entries.flatMap((e) =>
      e.records.map((r) => (r as { $insert_id: string }).$insert_id),
    )
    expect(ids).toEqual(
      [0, 1, 2].flatMap((h) => Array.from({ length: 25 }, (_, i) => `h${h}-${i}`)),
    )
  })

  it('keeps the same records in a ZIP64 layout', async () => {
    const s = await storeWith(1, 5)
    const range = { startMs: T0, endMs: T0 + HOUR_MS }
    const classic = recordsByEntry(await archiveOf((await openExport(s, 7, range))!.body))
    const zip64 = recordsByEntry(
      await archiveOf((await openExport(s, 7, range, { forceZip64: true }))!.body),
    )
    expect(zip64).toEqual(classic)
  })

  it('stops reading and holds no connection once the reader cancels', async () => {
    const s = await storeWith(1, 3000)
    const archive = await openExport(
      s,
      7,
      { startMs: T0, endMs: T0 + HOUR_MS },
      { maxEventsPerPart: 100, readAheadBytes: 1 },
    )
    const reader = archive!.body.getReader()
    expect((await reader.read()).done).toBe(false)
    await reader.cancel()
    expect(s.openReads()).toBe(0)
    const started = s.startedReads()
    expect(started).toBeLessThan(30)
    expect(await reader.read()).toEqual({ done: true, value: undefined })
    expect(s.startedReads()).toBe(started)
  })

  it('refuses a bad option with a ConfigError naming it', async () => {
    const s = await storeWith(1, 1)
    const range = { startMs: T0, endMs: T0 + HOUR_MS }
    await expect(openExport(s, 7, range, { maxEventsPerPart: 0 })).rejects.toThrow(ConfigError)
    await expect(openExport(s, 7, range, { gzipLevel: 10 })).rejects.toThrow(/gzipLevel/)
  })
})
