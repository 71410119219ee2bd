import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { compileCsvMapping, parseMapRules } from '../src/import/csv-mapping.ts'
import { DeliveryWindow } from '../src/import/delivery-window.ts'
import { IdPacer } from '../src/import/id-pacer.ts'
import { canonicalJson, deriveInsertId } from '../src/import/insert-id.ts'
import { parseEventTime } from '../src/import/parse-time.ts'
import { ProgressReporter } from '../src/import/progress.ts'
import {
  parseCsvFields,
  type RawRecord,
  readCsvRecords,
  readJsonArrayElements,
  readLines,
} from '../src/import/records.ts'

/** A stream that delivers `text` in chunks of `size` bytes, to cross every boundary. */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text)
  const chunks: Buffer[] = []
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size))
  return Readable.from(chunks)
}

async function collect(records: AsyncIterable<RawRecord>): Promise<RawRecord[]> {
  const out: RawRecord[] = []
  for await (const record of records) out.push(record)
  return out
}

describe('record readers', () => {
  it('splits lines with exact byte offsets, CRLF and multi-byte characters across chunk boundaries', async () => {
    const text = 'a\r\nüñï\n\nlast'
    for (const size of [1, 2, 3, 64]) {
      const lines = await collect(readLines(chunked(text, size)))
      expect(lines).toEqual([
        { text: 'a', line: 1, endOffset: 3 },
        { text: 'üñï', line: 2, endOffset: 10 },
        { text: '', line: 3, endOffset: 11 },
        { text: 'last', line: 4, endOffset: 15 },
      ])
    }
  })

  it('yields JSON array elements with their start line, whatever the chunking', async () => {
    const text = '[\n {"a": "x,]}"},\n [1, [2]],\n\n "s" , 3\n]\n'
    for (const size of [1, 5, 1000]) {
      const elements = await collect(readJsonArrayElements(chunked(text, size)))
      expect(elements.map((e) => [e.text, e.line])).toEqual([
        ['{"a": "x,]}"}', 2],
        ['[1, [2]]', 3],
        ['"s"', 5],
        ['3', 5],
      ])
      expect(elements.at(-1)?.endOffset).toBe(text.indexOf(']\n', text.length - 3) + 1)
    }
    await expect(collect(readJsonArrayElements(chunked('{"a":1}', 4)))).rejects.toThrow(
      /must start with \[/,
    )
    await expect(collect(readJsonArrayElements(chunked('[1, 2', 4)))).rejects.toThrow(/not closed/)
  })

  it('joins CSV records whose quoted fields hold newlines and parses RFC 4180 quoting', async () => {
    const records = await collect(readCsvRecords(chunked('a,b\n"x\ny",2\nplain,"q ""z"""\n', 3)))
    expect(records.map((r) => [r.text, r.line])).toEqual([
      ['a,b', 1],
      ['"x\ny",2', 2],
      ['plain,"q ""z"""', 4],
    ])
    expect(parseCsvFields('"x\ny",2')).toEqual(['x\ny', '2'])
    expect(parseCsvFields('plain,"q ""z""",')).toEqual(['plain', 'q "z"', ''])
    expect(() => parseCsvFields('"open')).toThrow(/unterminated/)
  })
})

describe('event times', () => {
  it('reads epoch ms, epoch seconds and ISO 8601 (UTC without an offset) as ms', () => {
    expect(parseEventTime(1_764_320_000_000)).toBe(1_764_320_000_000)
    expect(parseEventTime(1_764_320_000)).toBe(1_764_320_000_000)
    expect(parseEventTime('1764320000.5')).toBe(1_764_320_000_500)
    expect(parseEventTime('2026-11-01T10:00:00Z')).toBe(Date.UTC(2026, 10, 1, 10))
    expect(parseEventTime('2026-11-01 10:00:00')).toBe(Date.UTC(2026, 10, 1, 10))
    expect(parseEventTime('2026-11-01T12:00:00+02:00')).toBe(Date.UTC(2026, 10, 1, 10))
    expect(parseEventTime('2026-11-01')).toBe(Date.UTC(2026, 10, 1))
    expect(parseEventTime('yesterday')).toBeUndefined()
    expect(parseEventTime(-5)).toBeUndefined()
    expect(parseEventTime(true)).toBeUndefined()
  })
})

describe('deterministic insert_ids', () => {
  it('depend on content and namespace, not on key order or an existing insert_id', () => {
    const a = {
      event_type: 'X',
      user_id: 'u-1',
      event_properties: { b: 1, a: [2, { d: 1, c: 2 }] },
    }
    const b = {
      event_properties: { a: [2, { c: 2, d: 1 }], b: 1 },
      user_id: 'u-1',
      event_type: 'X',
    }
    expect(canonicalJson(a)).toBe(canonicalJson(b))
    expect(deriveInsertId(a, 'ns')).toBe(deriveInsertId({ ...b, insert_id: 'old' }, 'ns'))
    expect(deriveInsertId(a, 'ns')).not.toBe(deriveInsertId(a, 'other'))
    expect(deriveInsertId(a, 'ns')).not.toBe(deriveInsertId({ ...a, user_id: 'u-2' }, 'ns'))
    expect(deriveInsertId(a, 'ns')).toMatch(/^imp-[0-9a-f]{32}$/)
  })
})

describe('CSV mapping', () => {
  it('maps fields, nested keys and wildcard families; unmapped columns become typed properties', () => {
    const rules = parseMapRules([
      'event_type=type,user_id=uid',
      'event_properties.*=p_*,user_properties.plan=tier',
    ])
    const mapping = compileCsvMapping(
      ['type', 'uid', 'p_color', 'p_n', 'tier', 'country', 'code', 'flag'],
      rules,
      {
        unmapped: 'properties',
        inferTypes: true,
      },
    )
    expect(mapping.toObject(['Viewed', 'u-1', 'red', '3', 'pro', 'DE', '007', 'true'])).toEqual({
      event_type: 'Viewed',
      user_id: 'u-1',
      country: 'DE',
      event_properties: { color: 'red', n: 3, code: '007', flag: true },
      user_properties: { plan: 'pro' },
    })
    const ignoring = compileCsvMapping(
      ['type', 'uid', 'extra'],
      parseMapRules(['event_type=type,user_id=uid']),
      { unmapped: 'ignore', inferTypes: false },
    )
    expect(ignoring.toObject(['T', 'u-1', 'x'])).toEqual({ event_type: 'T', user_id: 'u-1' })
  })

  it('names the missing column or the malformed rule', () => {
    expect(() =>
      compileCsvMapping(['a'], parseMapRules(['user_id=uid']), {
        unmapped: 'ignore',
        inferTypes: true,
      }),
    ).toThrow(/no column 'uid'/)
    expect(() => parseMapRules(['user_id'])).toThrow(/TARGET=COLUMN/)
    expect(() => parseMapRules(['foo.bar=x'])).toThrow(/event_properties/)
  })
})

describe('per-id pacing', () => {
  it('lets one second of the rate through per id, then spaces events out; other ids are unaffected', () => {
    let now = 0
    const pacer = new IdPacer({ perIdRate: 10, now: () => now })
    for (let i = 0; i < 10; i++) expect(pacer.take(['u:a'])).toBe(0)
    expect(pacer.take(['u:a'])).toBe(100)
    expect(pacer.take(['u:b', 'd:x'])).toBe(0)
    now += 1000
    expect(pacer.take(['u:a'])).toBe(0)
  })

  it('paces overall with a total rate', () => {
    const now = 0
    const pacer = new IdPacer({ perIdRate: 1000, totalRate: 2, now: () => now })
    expect(pacer.take(['u:a'])).toBe(0)
    expect(pacer.take(['u:b'])).toBe(0)
    expect(pacer.take(['u:c'])).toBe(500)
  })

  it('keeps at most maxIds buckets', () => {
    let now = 0
    const pacer = new IdPacer({ perIdRate: 5, maxIds: 100, now: () => now })
    for (let i = 0; i < 10_000; i++) {
      pacer.take([`u:${i}`])
      now += 1
    }
    expect(pacer.trackedIds).toBeLessThanOrEqual(100)
  })
})

describe('delivery window', () => {
  it('advances to the end of the longest settled prefix, and never past a failure', () => {
    const window = new DeliveryWindow({ offset: 0, line: 0 })
    const first = window.addPending(10, 1)
    const second = window.addPending(20, 2)
    window.addDone(30, 3)
    const fourth = window.addPending(40, 4)
    second(true)
    expect(window.position).toEqual({ offset: 0, line: 0 })
    first(true)
    expect(window.position).toEqual({ offset: 30, line: 3 })
    const fifth = window.addPending(50, 5)
    fourth(false)
    fifth(true)
    expect(window.position).toEqual({ offset: 30, line: 3 })
    expect(window.blocked).toBe(true)
    expect(window.pending).toBe(0)
  })
})

describe('progress', () => {
  it('redraws one line in place on a terminal and prints plain lines otherwise', () => {
    let now = 0
    const tty: string[] = []
    const bar = new ProgressReporter({ err: (l) => tty.push(l), isTTY: true, now: () => now })
    const snap = {
      readBytes: 50,
      totalBytes: 100,
      rows: 500,
      delivered: 400,
      invalid: 1,
      failed: 0,
    }
    now = 2000
    bar.update(snap)
    now = 2100
    bar.update(snap)
    now = 2300
    bar.update(snap)
    expect(tty).toHaveLength(2)
    expect(tty[0]).toBe(
      '[############............] 50.0% 500 rows, 400 delivered, 1 invalid 200 ev/s, ETA 0:02',
    )
    expect(tty[1]?.startsWith('\u001b[1A\u001b[2K[')).toBe(true)
    const plain: string[] = []
    const lines = new ProgressReporter({ err: (l) => plain.push(l), isTTY: false, now: () => now })
    lines.update(snap)
    expect(plain[0]).toMatch(/^import: 50\.0% 500 rows, 400 delivered, 1 invalid, /)
  })
})
