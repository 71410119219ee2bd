import { describe, expect, it } from 'vitest'
import { readAhead } from '../src/stream/read-ahead.ts'

const KIB = 1024
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** A source of `count` chunks of `size` bytes (chunk i filled with i), counting what was pulled. */
function source(count: number, size: number, failAt?: number) {
  const state = { pulled: 0, closed: false }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; i < count; i++) {
        if (i === failAt) throw new Error('connection reset')
        state.pulled++
        yield new Uint8Array(size).fill(i % 256)
      }
    } finally {
      state.closed = true
    }
  }
  return { state, chunks: chunks() }
}

describe('read-ahead', () => {
  it('passes every chunk through in order', async () => {
    const { chunks } = source(50, KIB)
    const seen: number[] = []
    for await (const chunk of readAhead(chunks, 8 * KIB, 2 * KIB)) seen.push(chunk[0]!)
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('reads ahead of an idle consumer up to the high mark only, and refills from the low mark', async () => {
    const { state, chunks } = source(100, KIB)
    const reader = readAhead(chunks, 8 * KIB, 2 * KIB)
    expect((await reader.next()).value?.[0]).toBe(0)
    await settle()
    // One chunk handed out, then 8 KiB queued: the ninth pull filled it, and it stops there.
    expect(state.pulled).toBe(9)
    for (let i = 1; i <= 5; i++) await reader.next()
    await settle()
    // 3 KiB left queued is above the low mark: nothing more is read yet.
    expect(state.pulled).toBe(9)
    await reader.next()
    await settle()
    // At 2 KiB it reads again, up to the high mark.
    expect(state.pulled).toBe(9 + 6)
    await reader.return(undefined)
  })

  it('gives the consumer the chunks read before a failure, then the failure', async () => {
    const { chunks } = source(10, KIB, 4)
    const seen: number[] = []
    const run = async () => {
      for await (const chunk of readAhead(chunks, 64 * KIB, 16 * KIB)) seen.push(chunk[0]!)
    }
    await expect(run()).rejects.toThrow('connection reset')
    expect(seen).toEqual([0, 1, 2, 3])
  })

  it('closes the source when the consumer stops early', async () => {
    const { state, chunks } = source(1000, KIB)
    for await (const chunk of readAhead(chunks, 4 * KIB, KIB)) {
      if (chunk[0] === 2) break
    }
    await settle()
    expect(state.closed).toBe(true)
    expect(state.pulled).toBeLessThan(10)
  })
})
