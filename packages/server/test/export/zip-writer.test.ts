import { describe, expect, it } from 'vitest'
import { crc32 } from '../../src/export/crc32.ts'
import { ZipWriter } from '../../src/export/zip-writer.ts'
import { externalChecks, readZip } from './zip-reader.ts'

const T = Date.UTC(2024, 6, 14, 9)

/** An archive of the given entries, written as the export writes it. */
function archive(entries: Array<[string, Buffer]>, forceZip64 = false): Buffer {
  const zip = new ZipWriter({ forceZip64 })
  const pieces: Buffer[] = []
  for (const [name, data] of entries) {
    pieces.push(zip.localHeader(name, data.length, crc32(data), T), data)
  }
  pieces.push(...zip.finish(4096))
  const bytes = Buffer.concat(pieces)
  expect(zip.bytesWritten).toBe(bytes.length)
  return bytes
}

function expectToolsAccept(bytes: Buffer): void {
  const { unzip, python } = externalChecks(bytes)
  if (unzip !== undefined) expect(unzip, unzip.output).toMatchObject({ ok: true })
  if (python !== undefined) expect(python, python.output).toMatchObject({ ok: true })
}

describe('zip writer', () => {
  it('crc32 gives the standard check value and continues across pieces', () => {
    const text = Buffer.from('123456789')
    expect(crc32(text)).toBe(0xcbf43926)
    expect(crc32(text.subarray(4), crc32(text.subarray(0, 4)))).toBe(0xcbf43926)
  })

  it('writes entries a streaming reader and the central directory agree on', () => {
    const entries: Array<[string, Buffer]> = [
      ['203138/203138_2020-11-24_9#0.json.gz', Buffer.from('first entry\n')],
      ['203138/203138_2020-11-24_9#1.json.gz', Buffer.alloc(0)],
      ['203138/203138_2020-11-24_10#0.json.gz', Buffer.from('x'.repeat(100_000))],
    ]
    const bytes = archive(entries)
    const read = readZip(bytes)
    expect(read.zip64).toBe(false)
    expect(read.entries.map((e) => [e.name, e.data.toString()])).toEqual(
      entries.map(([name, data]) => [name, data.toString()]),
    )
    expectToolsAccept(bytes)
  })

  it('writes an empty archive as a bare end record', () => {
    const bytes = archive([])
    expect(bytes.length).toBe(22)
    expect(readZip(bytes).entries).toEqual([])
    // `unzip -t` only warns "zipfile is empty" (exit 1); the export answers 404 instead anyway.
    const python = externalChecks(bytes).python
    if (python !== undefined) expect(python, python.output).toMatchObject({ ok: true })
  })

  it('writes the ZIP64 layout that unzip and Python read', () => {
    const entries: Array<[string, Buffer]> = [
      ['7/7_2024-07-14_9#0.json.gz', Buffer.from('a\n')],
      ['7/7_2024-07-14_9#1.json.gz', Buffer.from('b\n')],
    ]
    const bytes = archive(entries, true)
    const read = readZip(bytes)
    expect(read.zip64).toBe(true)
    expect(read.entries.map((e) => e.data.toString())).toEqual(['a\n', 'b\n'])
    expectToolsAccept(bytes)
  })

  it('switches to ZIP64 end records at 65,535 entries', () => {
    const empty = Buffer.alloc(0)
    const entries = Array.from({ length: 65_535 }, (_, i): [string, Buffer] => [`e${i}`, empty])
    const bytes = archive(entries)
    const read = readZip(bytes)
    expect(read.zip64).toBe(true)
    expect(read.entries).toHaveLength(65_535)
    expect(read.entries.at(-1)?.name).toBe('e65534')
  })

  it('refuses entries after the directory is written', () => {
    const zip = new ZipWriter()
    ;[...zip.finish()]
    expect(() => zip.localHeader('late', 0, 0, T)).toThrow(/finished/)
  })
})
