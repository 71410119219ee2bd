import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readZipStream, ZipFormatError } from '../src/index.ts'
import { buildZip, type ZipLayout } from './helpers/zip-writer.ts'

/** Delivers `bytes` in pieces of `size`, as a network would. */
async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

async function readAll(source: AsyncIterable<Uint8Array>, tmpDir?: string) {
  const out: { name: string; data: Buffer }[] = []
  for await (const entry of readZipStream(source, tmpDir === undefined ? {} : { tmpDir })) {
    const chunks: Buffer[] = []
    for await (const chunk of entry.content()) chunks.push(chunk)
    out.push({ name: entry.name, data: Buffer.concat(chunks) })
  }
  return out
}

const entries = [
  { name: 'a/1.json.gz', data: Buffer.from('{"a":1}\n'.repeat(1000)) },
  { name: 'a/2.json.gz', data: randomBytes(200_000) },
  { name: 'a/3-empty', data: Buffer.alloc(0) },
  { name: 'a/ünïcode#4.json.gz', data: Buffer.from('x'.repeat(70_000)) },
]

const layouts: [string, ZipLayout][] = [
  ['stored entries with sizes in the local header', { method: 'stored' }],
  ['deflated entries with sizes in the local header', { method: 'deflated' }],
  ['deflated entries with a data descriptor', { method: 'deflated', descriptor: true }],
  [
    'deflated entries with a data descriptor without its signature',
    { method: 'deflated', descriptor: true, descriptorWithoutSignature: true },
  ],
  [
    'stored entries with a data descriptor (spooled to a temp file)',
    { method: 'stored', descriptor: true },
  ],
]

describe('readZipStream', () => {
  it.each(layouts)('reads %s, whatever the chunk boundaries', async (_name, layout) => {
    const small = entries.map((e) => ({ name: e.name, data: e.data.subarray(0, 300) }))
    for (const [list, sizes] of [
      [small, [1, 7]],
      [entries, [4096, 65_536, Number.MAX_SAFE_INTEGER]],
    ] as const) {
      const zip = buildZip(list, layout)
      for (const size of sizes) {
        const read = await readAll(pieces(zip, size))
        expect(read.map((e) => e.name)).toEqual(list.map((e) => e.name))
        read.forEach((entry, i) => {
          expect(entry.data.equals(list[i]!.data)).toBe(true)
        })
      }
    }
  })

  it('removes the spool file of the stored-with-descriptor layout when done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ampkit-zip-test-'))
    await readAll(pieces(buildZip(entries, { descriptor: true }), 65_536), dir)
    expect(await readdir(dir)).toEqual([])
  })

  it('skips entries whose content is not read', async () => {
    const zip = buildZip(entries, { method: 'deflated', descriptor: true })
    const names: string[] = []
    for await (const entry of readZipStream(pieces(zip, 1000))) names.push(entry.name)
    expect(names).toEqual(entries.map((e) => e.name))
  })

  it('refuses a body that is not a zip, and a truncated archive', async () => {
    await expect(readAll(pieces(Buffer.from('<html>nope</html>'), 100))).rejects.toThrow(
      ZipFormatError,
    )
    const zip = buildZip(entries, { method: 'deflated' })
    await expect(readAll(pieces(zip.subarray(0, 5000), 100))).rejects.toThrow(/ends inside/)
    await expect(readAll(pieces(Buffer.alloc(0), 100))).rejects.toThrow(/empty/)
  })
})
