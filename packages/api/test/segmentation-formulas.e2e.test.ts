/**
 * Segmentation formula functions through `@ampkit/api` against the real local server on
 * 127.0.0.1:0, computed by hand. Events of July 1–2 2024 (UTC), `Buy` with an `amount`:
 *   Jul 1: ann 3 (revenue 3), ann 4 (revenue 4), ben 12 (revenue 12)
 *   Jul 2: ben 5, cat "free" (no number)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BadRequestError, seriesValues } from '../src/index.ts'
import { type SeededServer, startSeededServer } from './helpers/seeded-server.ts'

const project = {
  id: 9,
  name: 'Formula',
  apiKey: 'formula-e2e-key-01',
  secretKey: 'formula-e2e-sec-1',
}
const JULY_1 = Date.UTC(2024, 6, 1, 12)
const DAY_MS = 86_400_000
let seeded: SeededServer

const buy = (user: string, day: number, amount: unknown, i: number, revenue?: number) => ({
  event_type: 'Buy',
  user_id: user,
  device_id: `d-${user}`,
  insert_id: `buy-${i}`,
  time: JULY_1 + day * DAY_MS + i * 1000,
  event_properties: { amount },
  ...(revenue !== undefined && { revenue }),
})

beforeAll(async () => {
  seeded = await startSeededServer(project, [
    buy('ann', 0, 3, 1, 3),
    buy('ann', 0, 4, 2, 4),
    buy('ben', 0, 12, 3, 12),
    buy('ben', 1, 5, 4),
    buy('cat', 1, 'free', 5),
  ])
})

afterAll(async () => {
  await seeded?.server.close()
})

describe('segmentation formula functions end to end', () => {
  const api = () => seeded.api()
  const range = { start: '20240701', end: '20240702' }
  const byAmount = { event_type: 'Buy', group_by: [{ type: 'event' as const, value: 'amount' }] }

  it('answers value, revenue and running formulas per day and over the range', async () => {
    const { data } = await api().segmentation({
      event: byAmount,
      metric: 'formula',
      formula: 'PROPMAX(A); PROPCOUNT(A); REVENUETOTAL(A); CUMSUM(TOTALS(A)); PERCENTILE(A, 50)',
      ...range,
    })
    expect(data.series.map((s) => seriesValues(s))).toEqual([
      // PROPMAX: max(3, 4, 12) = 12; max(5) = 5 ("free" is no number).
      [12, 5],
      // PROPCOUNT: {3, 4, 12} = 3; {5, free} = 2.
      [3, 2],
      // REVENUETOTAL: 3 + 4 + 12 = 19; 0.
      [19, 0],
      // CUMSUM of totals 3, 2: 3, 5.
      [3, 5],
      // Median of [3, 4, 12] = 4; of [5] = 5.
      [4, 5],
    ])
    // Range: max 12; {3,4,12,5,free} = 5; 19; totals 5; median of [3,4,5,12] = 4.5.
    expect(data.seriesCollapsed.map((c) => c[0]?.value)).toEqual([12, 5, 19, 5, 4.5])
    expect(data.seriesMeta[1]).toEqual({
      segmentIndex: 0,
      formulaIndex: 1,
      formula: 'PROPCOUNT(A)',
    })
  })

  it('surfaces a wrong argument as a BadRequestError naming it', async () => {
    const request = api().segmentation({
      event: byAmount,
      metric: 'formula',
      formula: 'PERCENTILE(A, 150)',
      ...range,
    })
    await expect(request).rejects.toThrow(BadRequestError)
    await expect(request).rejects.toThrow(/PERCENTILE takes a percentile from 0 to 100/)
  })
})
