/**
 * @module A streaming ZIP reader (node:zlib only) for the Export API's archive (query-api.md §2.3). It
 * walks the local file headers in order as the bytes arrive and never holds more than a chunk or two:
 * - STORED or DEFLATED entries whose sizes are in the local header (or its ZIP64 extra field) are read
 *   for exactly that many bytes;
 * - DEFLATED entries with a data descriptor (flag bit 3, sizes unknown up front) are inflated until
 *   the deflate stream ends; the bytes zlib did not consume are given back, and the descriptor follows;
 * - a STORED entry with a data descriptor has no in-band end: its size is only in the central directory
 *   at the end of the archive, and scanning for the descriptor's signature could match inside the
 *   payload. So the reader spools the rest of the archive to a temporary file (disk, not memory), reads
 *   the central directory there and serves the remaining entries from the file. Correct for every
 *   payload, at the cost of a delay; Amplitude's archives are not known to use this layout.
 * It stops at the central directory. Encrypted entries and other methods are refused.
 */

import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInflateRaw } from 'node:zlib'
import { ByteSource } from './byte-source.ts'
import { through } from './through.ts'

const LOCAL_HEADER = 0x04034b50
const CENTRAL_HEADER = 0x02014b50
const END_OF_CENTRAL_DIRECTORY = 0x06054b50
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50
const ZIP64_LOCATOR = 0x07064b50
const DATA_DESCRIPTOR = 0x08074b50
const ZIP64_EXTRA = 0x0001
const MAX_32 = 0xffffffff
const STORED = 0
const DEFLATED = 8
const READ_CHUNK_BYTES = 65_536
const INFLATE_CHUNK_BYTES = 262_144

/** A malformed archive; the caller wraps it into its typed error. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError'
}

/** One archive entry; read `content()` fully before asking the reader for the next entry. */
export interface ZipEntry {
  name: string
  /** 0 stored, 8 deflated. */
  method: number
  /** Compressed size, when known before reading. */
  compressedSize: number | undefined
  /** The entry's uncompressed bytes, chunk by chunk. */
  content(): AsyncGenerator<Buffer>
}

export interface ZipReaderOptions {
  /** Where the stored-with-descriptor fallback spools. @default os.tmpdir() */
  tmpDir?: string
  /** Called with the number of archive bytes read so far, after each entry. */
  onBytes?: (bytes: number) => void
}

interface EntryState {
  entry: ZipEntry
  state: 'new' | 'reading' | 'done'
  skip(): Promise<void>
}

function zip64Sizes(
  extra: Buffer,
  sizes: { uncompressed: number; compressed: number; offset?: number },
): void {
  let at = 0
  while (at + 4 <= extra.length) {
    const id = extra.readUInt16LE(at)
    const length = extra.readUInt16LE(at + 2)
    if (id === ZIP64_EXTRA) {
      let field = at + 4
      const end = field + length
      // Only the fields whose 32-bit slot holds 0xFFFFFFFF are present, in this order (APPNOTE 4.5.3).
      if (sizes.uncompressed === MAX_32 && field + 8 <= end) {
        sizes.uncompressed = Number(extra.readBigUInt64LE(field))
        field += 8
      }
      if (sizes.compressed === MAX_32 && field + 8 <= end) {
        sizes.compressed = Number(extra.readBigUInt64LE(field))
        field += 8
      }
      if (sizes.offset === MAX_32 && field + 8 <= end) {
        sizes.offset = Number(extra.readBigUInt64LE(field))
      }
      return
    }
    at += 4 + length
  }
}

async function need(source: ByteSource, length: number, what: string): Promise<Buffer> {
  const bytes = await source.readExact(length)
  if (bytes === null || bytes.length < length)
    throw new ZipFormatError(`the archive ends inside ${what}`)
  return bytes
}

/** Exactly `length` bytes of `source`, as views of its chunks. */
async function* bounded(source: ByteSource, length: number, what: string): AsyncGenerator<Buffer> {
  let remaining = length
  while (remaining > 0) {
    const chunk = await source.readUpTo(Math.min(remaining, READ_CHUNK_BYTES * 4))
    if (chunk === null) throw new ZipFormatError(`the archive ends inside ${what}`)
    remaining -= chunk.length
    yield chunk
  }
}

/** The entries of a ZIP byte stream, in archive order. */
export async function* readZipStream(
  body: AsyncIterable<Uint8Array>,
  options: ZipReaderOptions = {},
): AsyncGenerator<ZipEntry> {
  const source = new ByteSource(body)
  let current: EntryState | undefined
  try {
    for (;;) {
      if (current !== undefined) {
        await current.skip()
        options.onBytes?.(source.position)
      }
      const headerStart = source.position
      const signatureBytes = await source.readExact(4)
      if (signatureBytes === null || signatureBytes.length < 4) {
        if (headerStart === 0) throw new ZipFormatError('the archive is empty')
        throw new ZipFormatError('the archive ends before its central directory')
      }
      const signature = signatureBytes.readUInt32LE(0)
      if (
        signature === CENTRAL_HEADER ||
        signature === END_OF_CENTRAL_DIRECTORY ||
        signature === ZIP64_END_OF_CENTRAL_DIRECTORY
      ) {
        // The central directory repeats what the local headers said; draining it lets the
        // connection be reused. Every entry has been read by now, so a connection that breaks here
        // loses nothing: a server whose keep-alive timer closed the socket while a slow consumer
        // was still reading the last entry (seen with Node's http server and undici) is not an error.
        try {
          await source.skipRest()
        } catch {
          await source.close().catch(() => {})
        }
        options.onBytes?.(source.position)
        return
      }
      if (signature !== LOCAL_HEADER)
        throw new ZipFormatError(`no ZIP local file header at byte ${headerStart}`)
      const header = Buffer.from(await need(source, 26, 'a local file header'))
      const flags = header.readUInt16LE(2)
      const method = header.readUInt16LE(4)
      const sizes = { compressed: header.readUInt32LE(14), uncompressed: header.readUInt32LE(18) }
      const nameBytes = Buffer.from(await need(source, header.readUInt16LE(22), 'an entry name'))
      const extra = Buffer.from(await need(source, header.readUInt16LE(24), 'an extra field'))
      const name = nameBytes.toString((flags & 0x800) !== 0 ? 'utf8' : 'latin1')
      if ((flags & 0x1) !== 0) throw new ZipFormatError(`entry ${name} is encrypted`)
      if (method !== STORED && method !== DEFLATED)
        throw new ZipFormatError(`entry ${name} uses compression method ${method}`)
      const zip64 = sizes.compressed === MAX_32 || sizes.uncompressed === MAX_32
      if (zip64) zip64Sizes(extra, sizes)
      const hasDescriptor = (flags & 0x8) !== 0
      if (hasDescriptor && method === STORED) {
        const headerBytes = Buffer.concat([signatureBytes, header, nameBytes, extra])
        yield* spooledEntries(source, headerStart, headerBytes, options)
        return
      }
      current = hasDescriptor
        ? descriptorEntry(source, name, zip64)
        : sizedEntry(source, name, method, sizes.compressed)
      yield current.entry
    }
  } finally {
    await source.close()
  }
}

function sizedEntry(
  source: ByteSource,
  name: string,
  method: number,
  compressedSize: number,
): EntryState {
  const what = `entry ${name}`
  const holder: EntryState = {
    state: 'new',
    entry: {
      name,
      method,
      compressedSize,
      async *content() {
        if (holder.state !== 'new') throw new ZipFormatError(`${what} was read already`)
        holder.state = 'reading'
        const raw = bounded(source, compressedSize, what)
        if (method === STORED) yield* raw
        else yield* through(createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES }), raw)
        holder.state = 'done'
      },
    },
    async skip() {
      if (holder.state === 'done') return
      if (holder.state === 'reading')
        throw new ZipFormatError(`${what} was left part-way; the archive cannot go on`)
      for await (const _ of bounded(source, compressedSize, what)) {
        // Skipped bytes are not decompressed.
      }
      holder.state = 'done'
    },
  }
  return holder
}

function descriptorEntry(source: ByteSource, name: string, zip64: boolean): EntryState {
  const what = `entry ${name}`
  async function* inflateToEnd(): AsyncGenerator<Buffer> {
    const inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES })
    async function* raw(): AsyncGenerator<Buffer> {
      for (;;) {
        const chunk = await source.readUpTo(READ_CHUNK_BYTES)
        if (chunk === null) throw new ZipFormatError(`the archive ends inside ${what}`)
        yield chunk
      }
    }
    // zlib stops consuming at the end of the deflate stream; what it left of the last chunk is the
    // start of the data descriptor, so it goes back to the source.
    yield* through(inflate, raw(), (written) => {
      const used = inflate.bytesWritten
      if (used < written) {
        source.rewind(written - used)
        return true
      }
      return false
    })
    const first = await need(source, 4, `the data descriptor of ${what}`)
    const sizeBytes = zip64 ? 16 : 8
    // The descriptor's signature is optional (APPNOTE 4.3.9.3): crc, then the two sizes.
    if (first.readUInt32LE(0) === DATA_DESCRIPTOR) await need(source, 4 + sizeBytes, what)
    else await need(source, sizeBytes, what)
  }
  const holder: EntryState = {
    state: 'new',
    entry: {
      name,
      method: DEFLATED,
      compressedSize: undefined,
      async *content() {
        if (holder.state !== 'new') throw new ZipFormatError(`${what} was read already`)
        holder.state = 'reading'
        yield* inflateToEnd()
        holder.state = 'done'
      },
    },
    async skip() {
      if (holder.state === 'done') return
      if (holder.state === 'reading')
        throw new ZipFormatError(`${what} was left part-way; the archive cannot go on`)
      holder.state = 'reading'
      for await (const _ of inflateToEnd()) {
        // The end of a deflate stream is only found by inflating it.
      }
      holder.state = 'done'
    },
  }
  return holder
}

/** The stored-with-descriptor fallback: spool, then read the central directory from the file. */
async function* spooledEntries(
  source: ByteSource,
  spoolStart: number,
  headerBytes: Buffer,
  options: ZipReaderOptions,
): AsyncGenerator<ZipEntry> {
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'ampkit-export-'))
  const path = join(dir, 'archive-tail.zip')
  try {
    const out = createWriteStream(path)
    const closed = once(out, 'close')
    if (!out.write(headerBytes)) await once(out, 'drain')
    for (;;) {
      const chunk = await source.readUpTo(READ_CHUNK_BYTES * 4)
      if (chunk === null) break
      if (!out.write(chunk)) await once(out, 'drain')
    }
    out.end()
    await closed
    options.onBytes?.(source.position)
    const entries = await centralDirectory(path, spoolStart)
    for (const entry of entries) {
      const content = async function* (): AsyncGenerator<Buffer> {
        if (entry.compressedSize === 0) return
        const file = createReadStream(path, {
          start: entry.dataStart,
          end: entry.dataStart + entry.compressedSize - 1,
          highWaterMark: READ_CHUNK_BYTES,
        }) as AsyncIterable<Buffer>
        if (entry.method === STORED) yield* file
        else yield* through(createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES }), file)
      }
      yield {
        name: entry.name,
        method: entry.method,
        compressedSize: entry.compressedSize,
        content,
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

interface DirectoryEntry {
  name: string
  method: number
  compressedSize: number
  /** Offset of the entry's data in the spool file. */
  dataStart: number
}

async function centralDirectory(path: string, spoolStart: number): Promise<DirectoryEntry[]> {
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    const read = async (position: number, length: number): Promise<Buffer> => {
      if (position < 0 || position + length > size)
        throw new ZipFormatError('the central directory points outside the archive')
      const buffer = Buffer.alloc(length)
      await file.read(buffer, 0, length, position)
      return buffer
    }
    const tailLength = Math.min(size, 22 + 65_535)
    const tail = await read(size - tailLength, tailLength)
    let eocd = -1
    for (let at = tail.length - 22; at >= 0; at--) {
      if (tail.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) {
        eocd = at
        break
      }
    }
    if (eocd < 0) throw new ZipFormatError('the archive has no end of central directory')
    let count = tail.readUInt16LE(eocd + 10)
    let directorySize = tail.readUInt32LE(eocd + 12)
    let directoryOffset = tail.readUInt32LE(eocd + 16)
    if (directoryOffset === MAX_32 || count === 0xffff || directorySize === MAX_32) {
      const locatorAt = eocd - 20
      if (locatorAt < 0 || tail.readUInt32LE(locatorAt) !== ZIP64_LOCATOR)
        throw new ZipFormatError('the ZIP64 end of central directory locator is missing')
      const zip64End = await read(Number(tail.readBigUInt64LE(locatorAt + 8)) - spoolStart, 56)
      if (zip64End.readUInt32LE(0) !== ZIP64_END_OF_CENTRAL_DIRECTORY)
        throw new ZipFormatError('the ZIP64 end of central directory is missing')
      count = Number(zip64End.readBigUInt64LE(32))
      directorySize = Number(zip64End.readBigUInt64LE(40))
      directoryOffset = Number(zip64End.readBigUInt64LE(48))
    }
    const directory = await read(directoryOffset - spoolStart, directorySize)
    const entries: DirectoryEntry[] = []
    let at = 0
    for (let i = 0; i < count; i++) {
      if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_HEADER)
        throw new ZipFormatError('the central directory is malformed')
      const flags = directory.readUInt16LE(at + 8)
      const method = directory.readUInt16LE(at + 10)
      const nameLength = directory.readUInt16LE(at + 28)
      const extraLength = directory.readUInt16LE(at + 30)
      const commentLength = directory.readUInt16LE(at + 32)
      const sizes: { compressed: number; uncompressed: number; offset: number } = {
        compressed: directory.readUInt32LE(at + 20),
        uncompressed: directory.readUInt32LE(at + 24),
        offset: directory.readUInt32LE(at + 42),
      }
      const name = directory
        .subarray(at + 46, at + 46 + nameLength)
        .toString((flags & 0x800) !== 0 ? 'utf8' : 'latin1')
      zip64Sizes(
        directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength),
        sizes,
      )
      at += 46 + nameLength + extraLength + commentLength
      // Entries before the spool point were already served from the stream.
      if (sizes.offset < spoolStart) continue
      if (method !== STORED && method !== DEFLATED)
        throw new ZipFormatError(`entry ${name} uses compression method ${method}`)
      const local = await read(sizes.offset - spoolStart, 30)
      if (local.readUInt32LE(0) !== LOCAL_HEADER)
        throw new ZipFormatError(`no local header for entry ${name}`)
      const dataStart =
        sizes.offset - spoolStart + 30 + local.readUInt16LE(26) + local.readUInt16LE(28)
      entries.push({ name, method, compressedSize: sizes.compressed, dataStart })
    }
    return entries
  } finally {
    await file.close()
  }
}
