/**
 * @module The value buckets of the property histogram (`m=histogram` with a property in the
 * event's `group_by`; analytics-semantics.md §1.2 PROPHIST: value buckets, min inclusive, max
 * exclusive). Both engines find the least and greatest per-user value of the query, and both bin
 * with the edges this module derives from them, so the arithmetic of the edges exists once.
 *
 * Automatic buckets (the spec names no custom-bucket parameter for segmentation, and Amplitude's
 * automatic ones are not documented; these are ours): about `VALUE_BIN_TARGET` equal buckets whose
 * width is 1, 2 or 5 times a power of ten, the first starting at a multiple of the width at or below
 * the least value, the last ending above the greatest. Edges are parsed from decimal text, so a
 * bucket starts at exactly `0.3`, not at `3 * 0.1`.
 */

/** The number of buckets the automatic width aims at (at most this many plus one are made). */
export const VALUE_BIN_TARGET = 10

/** The edges `[e0, e1, …, eN]` of N buckets `[e(k), e(k+1))` covering `[min, max]`; [] without values. */
export function valueBinEdges(min: number | undefined, max: number | undefined): number[] {
  if (min === undefined || max === undefined || !Number.isFinite(min) || !Number.isFinite(max))
    return []
  const raw = (max - min) / VALUE_BIN_TARGET
  // Equal values: one bucket of width 1 around them.
  let exponent = raw > 0 ? Math.floor(Math.log10(raw)) : 0
  let mantissa = 1
  if (raw > 0) {
    const scaled = raw / 10 ** exponent
    mantissa = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10
    if (mantissa === 10) {
      mantissa = 1
      exponent++
    }
  }
  const step = Number(`${mantissa}e${exponent}`)
  const first = Math.floor(min / step)
  const edge = (units: number) => Number(`${units * mantissa}e${exponent}`)
  const edges: number[] = []
  for (let units = first; edges.length <= VALUE_BIN_TARGET + 2; units++) {
    if (!Number.isSafeInteger(units * mantissa)) break
    const value = edge(units)
    // Floor of a rounded quotient may start one bucket high: step back until min is covered.
    if (edges.length === 0 && value > min) {
      units -= 2
      continue
    }
    edges.push(value)
    if (value > max) return edges
  }
  // Values too close together for decimal edges (or too large): one bucket [min, just above max).
  return [min, nextUp(max)]
}

/** The least double above `value` (finite input). */
function nextUp(value: number): number {
  if (value === 0) return Number.MIN_VALUE
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, value)
  const bits = view.getBigInt64(0)
  view.setBigInt64(0, value > 0 ? bits + 1n : bits - 1n)
  return view.getFloat64(0)
}

/** The bucket of `value` (min inclusive, max exclusive); undefined outside the edges. */
export function valueBinOf(value: number, edges: readonly number[]): number | undefined {
  for (let k = edges.length - 2; k >= 0; k--) {
    const lower = edges[k] as number
    if (value >= lower) return value < (edges[k + 1] as number) ? k : undefined
  }
  return undefined
}

/** `"[0, 10)"`: the bucket's bounds, min inclusive, max exclusive. */
export function valueBinLabels(edges: readonly number[]): string[] {
  return edges.slice(0, -1).map((lower, k) => `[${lower}, ${edges[k + 1]})`)
}
