/**
 * @module A streaming RFC 4180 CSV parser: quoted fields with `""` escapes and embedded line breaks,
 * CRLF or LF row ends, a final row without a line break. It is fed text chunk by chunk and emits rows
 * as they complete, so a cohort file of millions of rows never sits in memory.
 */

const QUOTE = 34
const COMMA = 44
const LF = 10
const CR = 13

export class CsvParser {
  #row: string[] = []
  #field = ''
  /** Inside a quoted field. */
  #quoted = false
  /** Just read a quote inside a quoted field: either an escaped quote or the field's end. */
  #quoteSeen = false
  /** The last row ended with CR; an LF right after it belongs to the same line break. */
  #afterCr = false
  /** The current row has any content (so a bare line break is not a row). */
  #rowStarted = false
  /** The current field started with a quote. */
  #fieldStarted = false

  /** Parses `text`; completed rows are appended to `rows`. */
  push(text: string, rows: string[][]): void {
    let at = 0
    const length = text.length
    while (at < length) {
      if (this.#quoted) {
        if (this.#quoteSeen) {
          this.#quoteSeen = false
          if (text.charCodeAt(at) === QUOTE) {
            this.#field += '"'
            at++
            continue
          }
          this.#quoted = false
          continue
        }
        const quote = text.indexOf('"', at)
        if (quote < 0) {
          this.#field += text.slice(at)
          return
        }
        this.#field += text.slice(at, quote)
        this.#quoteSeen = true
        at = quote + 1
        continue
      }
      const code = text.charCodeAt(at)
      if (this.#afterCr) {
        this.#afterCr = false
        if (code === LF) {
          at++
          continue
        }
      }
      if (code === COMMA) {
        this.#endField()
        this.#rowStarted = true
        at++
      } else if (code === LF || code === CR) {
        this.#endRow(rows)
        this.#afterCr = code === CR
        at++
      } else if (code === QUOTE && !this.#fieldStarted) {
        this.#quoted = true
        this.#fieldStarted = true
        this.#rowStarted = true
        at++
      } else {
        // Scan the plain run up to the next delimiter in one slice.
        let end = at + 1
        while (end < length) {
          const c = text.charCodeAt(end)
          if (c === COMMA || c === LF || c === CR) break
          end++
        }
        this.#field += text.slice(at, end)
        this.#fieldStarted = true
        this.#rowStarted = true
        at = end
      }
    }
  }

  /** Flushes the last row; throws if the text ended inside a quoted field. */
  end(rows: string[][]): void {
    if (this.#quoted && !this.#quoteSeen) throw new Error('the CSV ends inside a quoted field')
    this.#quoted = false
    this.#quoteSeen = false
    this.#endRow(rows)
  }

  #endField(): void {
    this.#row.push(this.#field)
    this.#field = ''
    this.#fieldStarted = false
  }

  #endRow(rows: string[][]): void {
    if (this.#quoted && this.#quoteSeen) {
      this.#quoted = false
      this.#quoteSeen = false
    }
    if (!this.#rowStarted && this.#field === '') return
    this.#endField()
    rows.push(this.#row)
    this.#row = []
    this.#rowStarted = false
  }
}

/** Rows of a chunked UTF-8 CSV byte stream. */
export async function* csvRows(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8')
  const parser = new CsvParser()
  const rows: string[][] = []
  let first = true
  for await (const chunk of chunks) {
    let text = decoder.decode(chunk, { stream: true })
    // A UTF-8 byte order mark is not part of the first header.
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      first = false
    }
    parser.push(text, rows)
    if (rows.length > 0) {
      yield* rows
      rows.length = 0
    }
  }
  parser.push(decoder.decode(), rows)
  parser.end(rows)
  yield* rows
}
