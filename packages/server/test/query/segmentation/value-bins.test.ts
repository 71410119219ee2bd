/** The automatic value buckets of the property histogram (`value-bins.ts`). */
import { describe, expect, it } from 'vitest'
import {
  valueBinEdges,
  valueBinLabels,
  valueBinOf,
} from '../../../src/query/segmentation/value-bins.ts'

describe('value buckets', () => {
  it('spans the values with widths of 1, 2 or 5 times a power of ten', () => {
    // (99 - -3) / 10 = 10.2 → width 20; first edge: the multiple of 20 at or below -3.
    expect(valueBinEdges(-3, 99)).toEqual([-20, 0, 20, 40, 60, 80, 100])
    // (0.3 - 0.1) / 10 = 0.02 → width 0.02; edges are exact decimals, the last above 0.3.
    const small = valueBinEdges(0.1, 0.3)
    expect(small[0]).toBe(0.1)
    expect(small.at(-2)).toBe(0.3)
    expect(small.at(-1)).toBe(0.32)
    // (7 - 0) / 10 = 0.7 → width 1: [0,1) … [7,8).
    expect(valueBinEdges(0, 7)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('counts a value on an edge in the bucket it starts (min inclusive, max exclusive)', () => {
    const edges = valueBinEdges(0.1, 0.3)
    expect(valueBinOf(0.3, edges)).toBe(edges.length - 2)
    expect(valueBinOf(0.1, edges)).toBe(0)
    expect(valueBinOf(0.32, edges)).toBeUndefined()
    expect(valueBinOf(0.09, edges)).toBeUndefined()
    expect(valueBinLabels([-20, 0, 20])).toEqual(['[-20, 0)', '[0, 20)'])
  })

  it('makes one bucket for equal values, one just above the greatest when decimals cannot part them, none without values', () => {
    expect(valueBinEdges(5, 5)).toEqual([5, 6])
    const close = valueBinEdges(1, 1 + 2 ** -52)
    expect(close).toHaveLength(2)
    expect(close[0]).toBe(1)
    expect(valueBinOf(1 + 2 ** -52, close)).toBe(0)
    expect(valueBinEdges(undefined, undefined)).toEqual([])
  })
})
