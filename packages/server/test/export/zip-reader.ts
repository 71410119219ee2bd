/**
 * A strict zip reader for the export tests, written from APPNOTE independently of the writer: it
 * walks the local headers front to back (as a streaming client does), then checks that the central
 * directory and end records (ZIP64 included) describe exactly the same entries.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, gunzipSync } from 'node:zlib'

export interface ZipEntry {
  name: string
  data: Buffer
  crc: number
  /** Offset of the entry's local header. */
  offset: number
}

export interface ReadZip {
  entries: ZipEntry[]
  /** The archive ends with ZIP64 end records. */
  zip64: boolean
}

const MAX_U32 = 0xffffffff
const MAX_U16 = 0xffff

function u64(buffer: Buffer, at: number): number {
  return buffer.readUInt32LE(at) + buffer.readUInt32LE(at + 4) * 0x1_0000_0000
}

/** The ZIP64 extra field's values, in the order APPNOTE 4.5.3 lists them. */
function zip64Values(extra: Buffer): number[] {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at)
    const size = extra.readUInt16LE(at + 2)
    if (id === 0x0001) {
      const values: number[] = []
      for (let v = at + 4; v + 8 <= at + 4 + size; v += 8) values.push(u64(extra, v))
      return values
    }
    at += 4 + size
  }
  return []
}

function fail(message: string): never {
  throw new Error(`bad zip: ${message}`)
}

/** Parses and cross-checks the whole archive; throws on any inconsistency. */
export function readZip(bytes: Buffer): ReadZip {
  const entries: ZipEntry[] = []
  let at = 0
  while (bytes.readUInt32LE(at) === 0x04034b50) {
    const flags = bytes.readUInt16LE(at + 6)
    if ((flags & 0x0008) !== 0) fail(`entry at ${at} defers its sizes to a data descriptor`)
    if (bytes.readUInt16LE(at + 8) !== 0) fail(`entry at ${at} is not stored`)
    const crc = bytes.readUInt32LE(at + 14)
    let compressed = bytes.readUInt32LE(at + 18)
    let uncompressed = bytes.readUInt32LE(at + 22)
    const nameLength = bytes.readUInt16LE(at + 26)
    const extraLength = bytes.readUInt16LE(at + 28)
    const name = bytes.subarray(at + 30, at + 30 + nameLength).toString('utf8')
    const extra = bytes.subarray(at + 30 + nameLength, at + 30 + nameLength + extraLength)
    if (compressed === MAX_U32 || uncompressed === MAX_U32) {
      const values = zip64Values(extra)
      if (uncompressed === MAX_U32) uncompressed = values.shift() ?? fail('zip64 size missing')
      if (compressed === MAX_U32) compressed = values.shift() ?? fail('zip64 size missing')
    }
    if (compressed !== uncompressed) fail(`stored entry ${name} has two sizes`)
    const start = at + 30 + nameLength + extraLength
    const data = bytes.subarray(start, start + compressed)
    if (data.length !== compressed) fail(`entry ${name} is truncated`)
    if (crc32(data) >>> 0 !== crc) fail(`entry ${name} has a wrong CRC-32`)
    entries.push({ name, data, crc, offset: at })
    at = start + compressed
  }
  const directoryStart = at
  const endAt = bytes.length - 22
  if (bytes.readUInt32LE(endAt) !== 0x06054b50) fail('no end record (or a comment)')
  let count = bytes.readUInt16LE(endAt + 10)
  let directoryBytes = bytes.readUInt32LE(endAt + 12)
  let directoryOffset = bytes.readUInt32LE(endAt + 16)
  let zip64 = false
  if (count === MAX_U16 || directoryBytes === MAX_U32 || directoryOffset === MAX_U32) {
    zip64 = true
    const locatorAt = endAt - 20
    if (bytes.readUInt32LE(locatorAt) !== 0x07064b50) fail('no ZIP64 locator')
    const recordAt = u64(bytes, locatorAt + 8)
    if (recordAt !== locatorAt - 56) fail('ZIP64 end record not where the locator says')
    if (bytes.readUInt32LE(recordAt) !== 0x06064b50) fail('no ZIP64 end record')
    count = u64(bytes, recordAt + 32)
    if (u64(bytes, recordAt + 24) !== count) fail('ZIP64 entry counts differ')
    directoryBytes = u64(bytes, recordAt + 40)
    directoryOffset = u64(bytes, recordAt + 48)
    if (recordAt !== directoryOffset + directoryBytes)
      fail('ZIP64 end record not after the directory')
  } else if (endAt !== directoryOffset + directoryBytes) {
    fail('end record not right after the directory')
  }
  if (directoryOffset !== directoryStart) fail('central directory not right after the last entry')
  if (count !== entries.length)
    fail(`directory has ${count} entries, local headers ${entries.length}`)
  let d = directoryOffset
  for (const entry of entries) {
    if (bytes.readUInt32LE(d) !== 0x02014b50) fail(`no central header at ${d}`)
    const crc = bytes.readUInt32LE(d + 16)
    let compressed = bytes.readUInt32LE(d + 20)
    let uncompressed = bytes.readUInt32LE(d + 24)
    const nameLength = bytes.readUInt16LE(d + 28)
    const extraLength = bytes.readUInt16LE(d + 30)
    const commentLength = bytes.readUInt16LE(d + 32)
    let offset = bytes.readUInt32LE(d + 42)
    const name = bytes.subarray(d + 46, d + 46 + nameLength).toString('utf8')
    const values = zip64Values(
      bytes.subarray(d + 46 + nameLength, d + 46 + nameLength + extraLength),
    )
    if (uncompressed === MAX_U32) uncompressed = values.shift() ?? fail('zip64 size missing')
    if (compressed === MAX_U32) compressed = values.shift() ?? fail('zip64 size missing')
    if (offset === MAX_U32) offset = values.shift() ?? fail('zip64 offset missing')
    if (name !== entry.name || crc !== entry.crc || offset !== entry.offset)
      fail(`central header of ${name} disagrees with its local header`)
    if (compressed !== entry.data.length || uncompressed !== entry.data.length)
      fail(`central sizes of ${name} disagree`)
    d += 46 + nameLength + extraLength + commentLength
  }
  if (d !== directoryOffset + directoryBytes) fail('directory size disagrees with its records')
  return { entries, zip64 }
}

/** The NDJSON records of each entry (gunzipped), by entry name in archive order. */
export function recordsByEntry(bytes: Buffer): Array<{ name: string; records: unknown[] }> {
  return readZip(bytes).entries.map(({ name, data }) => {
    const text = gunzipSync(data).toString('utf8')
    if (!text.endsWith('\n')) throw new Error(`entry ${name} does not end with a newline`)
    return {
      name,
      records: text
        .slice(0, -1)
        .split('\n')
        .map((line) => JSON.parse(line)),
    }
  })
}

/** What an external tool said about the archive, or `undefined` when the tool is not installed. */
export interface ToolVerdict {
  ok: boolean
  output: string
}

/** Tests the archive with Debian's `unzip -t` and Python's `zipfile -t`, when installed. */
export function externalChecks(bytes: Buffer): { unzip?: ToolVerdict; python?: ToolVerdict } {
  const dir = mkdtempSync(join(tmpdir(), 'ampkit-zip-'))
  try {
    const file = join(dir, 'export.zip')
    writeFileSync(file, bytes)
    const run = (command: string, args: string[]): ToolVerdict | undefined => {
      const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 })
      if (result.error !== undefined) return undefined
      return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` }
    }
    const unzip = run('unzip', ['-tq', file])
    // The system Python starts in a tenth of the time a pyenv shim takes.
    const pythonPath = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
    const python = run(pythonPath, ['-m', 'zipfile', '-t', file])
    // `zipfile -t` exits 0 even when an entry's CRC is wrong; it says so instead.
    if (python !== undefined && /corrupted/i.test(python.output)) python.ok = false
    return { ...(unzip && { unzip }), ...(python && { python }) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
