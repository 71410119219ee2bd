/**
 * @module Splitting NDJSON into lines on Buffers: `indexOf(0x0a)` over each chunk, a carry-over only for
 * the one partial line at a chunk's end, and no regular expression on the hot path. `\r\n` endings and
 * blank lines are tolerated.
 */

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

function trimCr(line: Buffer): Buffer {
  const end = line.length
  return end > 0 && line[end - 1] === CARRIAGE_RETURN ? line.subarray(0, end - 1) : line
}

/** Lines (without their `\n`) of a chunked byte stream; empty lines are skipped. */
export async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let carry: Buffer | null = null
  for await (let chunk of chunks) {
    let start = 0
    let newline = chunk.indexOf(NEWLINE)
    if (carry !== null) {
      if (newline < 0) {
        carry = Buffer.concat([carry, chunk])
        continue
      }
      chunk = Buffer.concat([carry, chunk])
      newline += carry.length
      carry = null
    }
    while (newline >= 0) {
      if (newline > start) {
        const line = trimCr(chunk.subarray(start, newline))
        if (line.length > 0) yield line
      }
      start = newline + 1
      newline = chunk.indexOf(NEWLINE, start)
    }
    if (start < chunk.length) carry = Buffer.from(chunk.subarray(start))
  }
  if (carry !== null) {
    const line = trimCr(carry)
    if (line.length > 0) yield line
  }
}

/**
 * Whole-line blocks of a chunked byte stream: each yielded Buffer ends with `\n` (a missing final
 * newline is added), for writing NDJSON to a file without touching single lines. `lines` counts the
 * non-empty lines of the block. Only the one line that straddles two chunks is copied; the rest of
 * each chunk is passed on as a view.
 */
export async function* splitLineBlocks(
  chunks: AsyncIterable<Buffer>,
): AsyncGenerator<{ block: Buffer; lines: number }> {
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
      const lines = countLines(joined)
      if (lines > 0) yield { block: joined, lines }
      start = newline + 1
    }
    const last = chunk.lastIndexOf(NEWLINE)
    if (last < start) {
      if (start < chunk.length) carry = Buffer.from(chunk.subarray(start))
      continue
    }
    const block = chunk.subarray(start, last + 1)
    if (last + 1 < chunk.length) carry = Buffer.from(chunk.subarray(last + 1))
    const lines = countLines(block)
    if (lines > 0) yield { block, lines }
  }
  if (carry !== null) {
    const block = Buffer.concat([carry, Buffer.from('\n')])
    const lines = countLines(block)
    if (lines > 0) yield { block, lines }
  }
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

/**
 * Parsed JSON values of a chunked NDJSON stream. Each chunk's complete lines are decoded to one string
 * at once (a `\n` never falls inside a UTF-8 sequence, so cutting at one is safe) and parsed line by
 * line from slices of it.
 */
export async function* parseNdjson<T>(
  chunks: AsyncIterable<Buffer>,
  onLine?: (lineNumber: number, line: string, error: unknown) => never,
): AsyncGenerator<T> {
  let lineNumber = 0
  for await (const { block } of splitLineBlocks(chunks)) {
    const text = block.toString('utf8')
    let start = 0
    let newline = text.indexOf('\n')
    while (newline >= 0) {
      let end = newline
      if (end > start && text.charCodeAt(end - 1) === CARRIAGE_RETURN) end--
      if (end > start) {
        lineNumber++
        const line = text.slice(start, end)
        let value: T
        try {
          value = JSON.parse(line) as T
        } catch (error) {
          if (onLine) onLine(lineNumber, line, error)
          throw error
        }
        yield value
      }
      start = newline + 1
      newline = text.indexOf('\n', start)
    }
  }
}
