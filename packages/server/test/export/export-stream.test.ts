import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.ts'
import { exportEntryName, openExport, planSlices } from '../../src/export/export-stream.ts'
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
    await expect(openExport(s, 7, range, { scanConcurrency: 0 })).rejects.toThrow(/scanConcurrency/)
  })
})

describe('export slices scanned at once', () => {
  it('cuts the range into whole hours of at least the slice size, tiling it without gaps', () => {
    const hour = (h: number, events: number) => ({ hourMs: T0 + h * HOUR_MS, events })
    const range = { startMs: T0 - 5 * HOUR_MS, endMs: T0 + 10 * HOUR_MS }
    expect(
      planSlices([hour(0, 4), hour(1, 7), hour(3, 2), hour(4, 9), hour(6, 1)], range, 10),
    ).toEqual([
      { startMs: range.startMs, endMs: T0 + 3 * HOUR_MS },
      { startMs: T0 + 3 * HOUR_MS, endMs: T0 + 6 * HOUR_MS },
      { startMs: T0 + 6 * HOUR_MS, endMs: range.endMs },
    ])
    // One hour above the size is a slice of its own; a range whose hours never reach it is one slice.
    expect(planSlices([hour(0, 50), hour(1, 50)], range, 10)).toHaveLength(2)
    expect(planSlices([hour(0, 3), hour(2, 3)], range, 10)).toEqual([range])
  })

  it('gives the same archive content whatever the number of scans at once', async () => {
    const s = await storeWith(7, 23)
    const range = { startMs: T0, endMs: T0 + 7 * HOUR_MS }
    const read = async (scanConcurrency: number) =>
      recordsByEntry(
        await archiveOf(
          (await openExport(s, 7, range, { maxEventsPerPart: 10, scanConcurrency }))!.body,
        ),
      )
    const one = await read(1)
    // 7 hours of 23 events in parts of at most 10: three parts an hour, in hour order.
    expect(one.map((e) => e.name)).toEqual(
      Array.from({ length: 7 }, (_, h) =>
        [0, 1, 2].map((p) => `7/7_2024-01-05_${h}#${p}.json.gz`),
      ).flat(),
    )
    expect(one.flatMap((e) => e.records)).toHaveLength(7 * 23)
    expect(await read(2)).toEqual(one)
    expect(await read(5)).toEqual(one)
    expect(s.openReads()).toBe(0)
  })

  it('starts no more scans than allowed ahead of a reader that has not read, and stops them all on cancel', async () => {
    const s = await storeWith(8, 40)
    const archive = await openExport(
      s,
      7,
      { startMs: T0, endMs: T0 + 8 * HOUR_MS },
      { maxEventsPerPart: 10, scanConcurrency: 2, readAheadBytes: 1 },
    )
    const reader = archive!.body.getReader()
    expect((await reader.read()).done).toBe(false)
    // Give the scans time to run as far ahead as they may.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(s.startedReads()).toBeLessThanOrEqual(2)
    await reader.cancel()
    expect(s.openReads()).toBe(0)
    const started = s.startedReads()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(s.startedReads()).toBe(started)
  })
})
