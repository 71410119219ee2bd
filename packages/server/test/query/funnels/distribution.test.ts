import { describe, expect, it } from 'vitest'
import {
  binIndex,
  PREV_STEP_COUNT_BIN_STARTS,
  prevStepCountDistribution,
  transTimeDistribution,
  transTimeStarts,
} from '../../../src/query/funnels/distribution.ts'

describe('funnel histogram bins', () => {
  it('puts a value in the bin whose start is the last one at or below it', () => {
    const starts = transTimeStarts(86_400)
    expect(binIndex(starts, 0)).toBe(0)
    expect(binIndex(starts, 999)).toBe(0)
    expect(binIndex(starts, 1_000)).toBe(1)
    expect(binIndex(starts, 4_999)).toBe(1)
    // A whole day: the window's own length lands in the last bin, [1 d, 1 d + 1 s).
    expect(binIndex(starts, 86_400_000)).toBe(starts.length - 1)
    expect(starts.at(-1)).toBe(86_400_000)
  })

  it('cuts the time ladder at the window and ends the last bin one second after it', () => {
    // cs = 90 s: starts 0, 1 s, 5 s, 10 s, 30 s, 1 min; the last bin is [1 min, 91 s).
    const distribution = transTimeDistribution(2, 2, 90, [new Map(), new Map()])
    expect(distribution.segment_index).toBe(2)
    expect(distribution.step_bins[0]?.bins).toEqual([])
    expect(distribution.step_bins[1]?.bins.map((bin) => [bin.start, bin.end])).toEqual([
      [0, 1_000],
      [1_000, 5_000],
      [5_000, 10_000],
      [10_000, 30_000],
      [30_000, 60_000],
      [60_000, 91_000],
    ])
  })

  it('ends the open last bin of previous-step counts one above the largest count in it', () => {
    const last = PREV_STEP_COUNT_BIN_STARTS.length - 1
    expect(binIndex(PREV_STEP_COUNT_BIN_STARTS, 100)).toBe(last - 1)
    expect(binIndex(PREV_STEP_COUNT_BIN_STARTS, 250)).toBe(last)
    // Two users did the previous step 101 and 250 times.
    const filled = prevStepCountDistribution(0, 2, [
      new Map(),
      new Map([[last, { users: 2, sum: 351, max: 250 }]]),
    ])
    expect(filled.step_bins[1]?.bins.at(-1)).toEqual({
      start: 101,
      end: 251,
      bin_dist: { uniques: 2, totals: 2, sums: 351 },
    })
    // Nobody there: the bin still answers, one count wide.
    const empty = prevStepCountDistribution(0, 2, [new Map(), new Map()])
    expect(empty.step_bins[1]?.bins.at(-1)).toEqual({
      start: 101,
      end: 102,
      bin_dist: { uniques: 0, totals: 0, sums: 0 },
    })
  })
})
