import { describe, expect, it } from 'vitest'
import { countLines, lineBounds, splitLineBlocks } from '../src/stream/lines.ts'

async function* chunks(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text)
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

async function blocks(text: string, size: number) {
  const out: { block: string; lines: number }[] = []
  for await (const { block, lines } of splitLineBlocks(chunks(text, size)))
    out.push({ block: block.toString(), lines })
  return out
}

describe('splitLineBlocks', () => {
  it('yields every line whole, whatever the chunk size, and ends the last line', async () => {
    const text = '{"a":"é"}\r\n\n{"b":2}\n{"c":3}'
    for (const size of [1, 2, 3, 5, 8, 100]) {
      const out = await blocks(text, size)
      const joined = out.map((b) => b.block).join('')
      // Blocks of blank lines alone may be dropped; every record arrives, in order.
      expect(joined.split(/\r?\n/).filter((l) => l !== '')).toEqual([
        '{"a":"é"}',
        '{"b":2}',
        '{"c":3}',
      ])
      expect(joined.endsWith('{"c":3}\n')).toBe(true)
      expect(out.every((b) => b.block.endsWith('\n'))).toBe(true)
      expect(out.reduce((sum, b) => sum + b.lines, 0)).toBe(3)
    }
  })

  it('counts non-empty lines, CRLF-only lines being empty', () => {
    expect(countLines(Buffer.from('a\n\r\n\nb\r\n'))).toBe(2)
  })

  it('gives the offsets of the same non-empty lines, without their \\r\\n or \\n', () => {
    const block = Buffer.from('ab\n\r\n\ncd\r\ne\n')
    const bounds = lineBounds(block)
    expect(bounds).toEqual([0, 2, 6, 8, 10, 11])
    const lines = []
    for (let i = 0; i < bounds.length; i += 2)
      lines.push(block.toString('utf8', bounds[i], bounds[i + 1]))
    expect(lines).toEqual(['ab', 'cd', 'e'])
    expect(bounds.length / 2).toBe(countLines(block))
  })
})
