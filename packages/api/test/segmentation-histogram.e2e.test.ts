/**
 * Both segmentation histograms through `@ampkit/api` against the real local server on 127.0.0.1:0,
 * computed by hand. Events of July 1 2024 (UTC), `Buy` with a `price`:
 *   ann: 3 and 4 (value 7, 2 events)   ben: 12 (value 12, 1 event)   cat: "free" (no number)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seriesValues } from '../src/index.ts'
import { type SeededServer, startSeededServer } from './helpers/seeded-server.ts'

const project = { id: 9, name: 'Hist', apiKey: 'hist-e2e-key-0001', secretKey: 'hist-e2e-secret-1' }
const JULY_1 = Date.UTC(2024, 6, 1, 12)
let seeded: SeededServer

const buy = (user: string, price: unknown, i: number) => ({
  event_type: 'Buy',
  user_id: user,
  device_id: `d-${user}`,
  insert_id: `buy-${i}`,
  time: JULY_1 + i * 1000,
  event_properties: { price },
})

beforeAll(async () => {
  seeded = await startSeededServer(project, [
    buy('ann', 3, 1),
    buy('ann', 4, 2),
    buy('ben', 12, 3),
    buy('cat', 'free', 4),
  ])
})

afterAll(async () => {
  await seeded?.server.close()
})

describe('segmentation histograms end to end', () => {
  const api = () => seeded.api()
  const range = { start: '20240701', end: '20240701' }

  it('bins users by how often they did the event without a group_by', async () => {
    const { data } = await api().segmentation({ event: 'Buy', metric: 'histogram', ...range })
    // ben and cat once, ann twice.
    expect(data.seriesMeta.slice(0, 3).map((m) => m.bin)).toEqual(['1', '2', '3'])
    expect(data.series.slice(0, 3).map((s) => seriesValues(s))).toEqual([[2], [1], [0]])
  })

  it('bins users by their property value with a group_by property', async () => {
    const { data } = await api().segmentation({
      event: { event_type: 'Buy', group_by: [{ type: 'event', value: 'price' }] },
      metric: 'histogram',
      ...range,
    })
    // Values 7 (ann) and 12 (ben); cat has no number. (12 - 7) / 10 = 0.5 → width 0.5 (5e-1),
    // from 7 to just above 12: eleven buckets [7, 7.5) … [12, 12.5).
    expect(data.seriesMeta.map((m) => m.bin)).toEqual([
      '[7, 7.5)',
      '[7.5, 8)',
      '[8, 8.5)',
      '[8.5, 9)',
      '[9, 9.5)',
      '[9.5, 10)',
      '[10, 10.5)',
      '[10.5, 11)',
      '[11, 11.5)',
      '[11.5, 12)',
      '[12, 12.5)',
    ])
    const counts = data.series.map((s) => seriesValues(s)[0])
    expect(counts[0]).toBe(1)
    expect(counts.at(-1)).toBe(1)
    expect(counts.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(2)
  })
})
