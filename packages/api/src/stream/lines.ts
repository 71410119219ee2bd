/**
 * @module Splitting NDJSON into whole-line blocks on Buffers: `indexOf(0x0a)` over each chunk, a
 * carry-over only for the one partial line at a chunk's end, and no regular expression on the hot
 * path. `\r\n` endings and blank lines are tolerated.
 */

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/**
 * Whole-line blocks of a chunked byte stream: each yielded Buffer ends with `\n` (a missing final
 * newline is added), for writing NDJSON to a file without touching single lines. `lines` counts the
 * non-empty lines of the block (-1 when not asked to count). Only the one line that straddles two
 * chunks is copied; the rest of each chunk is passed on as a view.
 */
export async function* splitLineBlocks(
  chunks: AsyncIterable<Buffer>,
  countBlockLines = true,
): AsyncGenerator<{ block: Buffer; lines: number }> {
  const count = countBlockLines ? countLines : () => -1
  let carry: Buffer | null = null
  for await (const chunk of chunks) {
    let start = 0
    if (carry !== null) {
      const newline = chunk.indexOf(NEWLINE)
      if (newline < 0) {
        carry = Buffer.concat([carry, chunk])
        continue
      }
      const joined = Buffer.concat([carry, chunk.subarray(0, newline + 1)])
      carry = null
      const lines = count(joined)
      if (lines !== 0) yield { block: joined, lines }
      start = newline + 1
    }
    const last = chunk.lastIndexOf(NEWLINE)
    if (last < start) {
      if (start < chunk.length) carry = Buffer.from(chunk.subarray(start))
      continue
    }
    const block = chunk.subarray(start, last + 1)
    if (last + 1 < chunk.length) carry = Buffer.from(chunk.subarray(last + 1))
    const lines = count(block)
    if (lines !== 0) yield { block, lines }
  }
  if (carry !== null) {
    const block = Buffer.concat([carry, Buffer.from('\n')])
    const lines = count(block)
    if (lines !== 0) yield { block, lines }
  }
}

/**
 * The non-empty lines of a block that ends with `\n`, as `[start, end, start, end, …]` offsets
 * (the `\n`, and a `\r` before it, left out): what the export's line readers walk, so each
 * finds lines the same way without a generator step per line.
 */
export function lineBounds(block: Buffer): number[] {
  const bounds: number[] = []
  let start = 0
  let newline = block.indexOf(NEWLINE)
  while (newline >= 0) {
    let end = newline
    if (end > start && block[end - 1] === CARRIAGE_RETURN) end--
    if (end > start) bounds.push(start, end)
    start = newline + 1
    newline = block.indexOf(NEWLINE, start)
  }
  return bounds
}

/** Non-empty lines of a block that ends with `\n`. */
export function countLines(block: Buffer): number {
  let count = 0
  let start = 0
  let newline = block.indexOf(NEWLINE)
  while (newline >= 0) {
    if (newline > start && !(newline === start + 1 && block[start] === CARRIAGE_RETURN)) count++
    start = newline + 1
    newline = block.indexOf(NEWLINE, start)
  }
  return count
}
