/**
 * @module Splits an input byte stream into records, each with the 1-based line it starts on and the
 * byte offset just past it (the checkpoint position once it is delivered): NDJSON lines, JSON array
 * elements and CSV records (RFC 4180: quoted fields may hold commas, quotes and newlines). Works on
 * bytes so offsets are exact; JSON and CSV structure characters are ASCII, never part of a UTF-8
 * multi-byte sequence.
 */
import type { Readable } from 'node:stream'

/** One record of an input file. */
export interface RawRecord {
  /** The record's text (an NDJSON line, a JSON element, a CSV record without its newline). */
  text: string
  /** 1-based line the record starts on. */
  line: number
  /** Byte offset (decompressed) just past the record and its separator. */
  endOffset: number
}

const NEWLINE = 0x0a
const CR = 0x0d
const QUOTE = 0x22

function decodeLine(parts: Buffer[]): string {
  const buffer = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
  const end =
    buffer.length > 0 && buffer[buffer.length - 1] === CR ? buffer.length - 1 : buffer.length
  return buffer.toString('utf8', 0, end)
}

/** Physical lines (without `\n` or `\r\n`), with their line number and end offset. */
export async function* readLines(
  bytes: Readable,
  start: { offset: number; line: number } = { offset: 0, line: 0 },
): AsyncGenerator<RawRecord> {
  let offset = start.offset
  let line = start.line
  let pending: Buffer[] = []
  for await (const chunk of bytes as AsyncIterable<Buffer>) {
    let from = 0
    for (;;) {
      const at = chunk.indexOf(NEWLINE, from)
      if (at === -1) break
      pending.push(chunk.subarray(from, at))
      offset += at - from + 1
      line++
      yield { text: decodeLine(pending), line, endOffset: offset }
      pending = []
      from = at + 1
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from))
      offset += chunk.length - from
    }
  }
  if (pending.length > 0) {
    line++
    yield { text: decodeLine(pending), line, endOffset: offset }
  }
}

function countQuotes(text: string): number {
  let n = 0
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++
  return n
}

/**
 * CSV records: physical lines joined while a quoted field is open (an odd number of quotes so far;
 * escaped quotes `""` come in pairs, so parity tracks the quoted state).
 */
export async function* readCsvRecords(bytes: Readable): AsyncGenerator<RawRecord> {
  let open: RawRecord | undefined
  let quotes = 0
  for await (const record of readLines(bytes)) {
    if (open === undefined) {
      open = record
      quotes = countQuotes(record.text)
    } else {
      open = { text: `${open.text}\n${record.text}`, line: open.line, endOffset: record.endOffset }
      quotes += countQuotes(record.text)
    }
    if (quotes % 2 === 0) {
      yield open
      open = undefined
    }
  }
  // An unterminated quote: yield what there is; the field parser reports it.
  if (open !== undefined) yield open
}

/** Splits one CSV record into fields; throws on a malformed quote. */
export function parseCsvFields(text: string): string[] {
  const fields: string[] = []
  let i = 0
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = ''
      let j = i + 1
      for (;;) {
        const close = text.indexOf('"', j)
        if (close === -1) throw new Error('unterminated quoted field')
        value += text.slice(j, close)
        if (text.charCodeAt(close + 1) === QUOTE) {
          value += '"'
          j = close + 2
          continue
        }
        j = close + 1
        break
      }
      fields.push(value)
      if (j === text.length) return fields
      if (text[j] !== ',') throw new Error(`unexpected character after a quoted field at ${j + 1}`)
      i = j + 1
    } else {
      const comma = text.indexOf(',', i)
      if (comma === -1) {
        fields.push(text.slice(i))
        return fields
      }
      fields.push(text.slice(i, comma))
      i = comma + 1
    }
  }
}

const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const COMMA = 0x2c
const BACKSLASH = 0x5c

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

/** The elements of a top-level JSON array, each as its JSON text; throws if the input is not one. */
export async function* readJsonArrayElements(bytes: Readable): AsyncGenerator<RawRecord> {
  let offset = 0
  let line = 1
  let depth = 0
  let inString = false
  let escaped = false
  let started = false
  let ended = false
  let parts: Buffer[] = []
  let elementStart = -1
  let elementLine = 0
  const finish = (chunk: Buffer, at: number): RawRecord | undefined => {
    if (elementStart === -1) return undefined
    parts.push(chunk.subarray(elementStart, at))
    const text = (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts))
      .toString('utf8')
      .trimEnd()
    parts = []
    elementStart = -1
    return { text, line: elementLine, endOffset: offset + at + 1 }
  }
  for await (const chunk of bytes as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number
      if (byte === NEWLINE) line++
      if (ended) {
        if (!isSpace(byte)) throw new Error(`line ${line}: text after the closing ]`)
        continue
      }
      if (!started) {
        if (isSpace(byte)) continue
        if (byte !== OPEN_BRACKET) throw new Error(`line ${line}: a JSON array must start with [`)
        started = true
        depth = 1
        continue
      }
      if (inString) {
        if (escaped) escaped = false
        else if (byte === BACKSLASH) escaped = true
        else if (byte === QUOTE) inString = false
        continue
      }
      if (
        depth === 1 &&
        elementStart === -1 &&
        !isSpace(byte) &&
        byte !== COMMA &&
        byte !== CLOSE_BRACKET
      ) {
        elementStart = i
        elementLine = line
      }
      if (byte === QUOTE) inString = true
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth--
        if (depth === 0) {
          ended = true
          const record = finish(chunk, i)
          if (record !== undefined) yield record
        }
      } else if (byte === COMMA && depth === 1) {
        const record = finish(chunk, i)
        if (record !== undefined) yield record
      }
    }
    if (elementStart !== -1) {
      parts.push(chunk.subarray(elementStart))
      elementStart = 0
      // The element continues in the next chunk: from its first byte.
    }
    offset += chunk.length
  }
  if (!ended) throw new Error(started ? 'the JSON array is not closed' : 'the input is empty')
}
