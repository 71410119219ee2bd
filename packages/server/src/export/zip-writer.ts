/**
 * @module A forward-only zip writer (PKWARE APPNOTE 6.3) for entries whose bytes are complete before
 * they are written: each entry is stored (method 0, its bytes are already gzip) with its CRC-32 and
 * size in the local header and no data descriptor, so a streaming reader can unpack the archive
 * from the first byte without seeking to the central directory. ZIP64 records appear only where a
 * classic field overflows (offsets or sizes from 4 GiB, 65,535 entries or more), so small archives
 * stay readable by any tool.
 */

const LOCAL_HEADER_SIGNATURE = 0x04034b50
const CENTRAL_HEADER_SIGNATURE = 0x02014b50
const END_SIGNATURE = 0x06054b50
const ZIP64_END_SIGNATURE = 0x06064b50
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50
const ZIP64_EXTRA_ID = 0x0001

const LOCAL_HEADER_BYTES = 30
const CENTRAL_HEADER_BYTES = 46
const END_BYTES = 22
const ZIP64_END_BYTES = 56
const ZIP64_LOCATOR_BYTES = 20

/** A classic field holding this value defers to the ZIP64 record. */
const MAX_U32 = 0xffffffff
const MAX_U16 = 0xffff

/** "Version needed to extract": 2.0 for stored entries, 4.5 once ZIP64 fields are involved. */
const VERSION_CLASSIC = 20
const VERSION_ZIP64 = 45
/** "Version made by": Unix (3) in the high byte, so `external attributes` carry a file mode. */
const MADE_BY_UNIX = (3 << 8) | VERSION_ZIP64
/** Regular file, mode 0644, in the high 16 bits (what `unzip` applies on extraction). */
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0
/** General-purpose flag bit 11: the name is UTF-8. */
const FLAG_UTF8 = 0x0800

/** Options of `ZipWriter`. */
export interface ZipWriterOptions {
  /**
   * Writes ZIP64 fields for every entry and the ZIP64 end records even when nothing overflows.
   * Only tests need it: it exercises the large-archive layout on small data. @default false
   */
  forceZip64?: boolean
}

interface CentralEntry {
  name: Buffer
  crc: number
  size: number
  offset: number
  dosTime: number
  dosDate: number
}

/** MS-DOS date and time (local time in the format; we write UTC), clamped to 1980–2107. */
function dosDateTime(ms: number): { dosTime: number; dosDate: number } {
  const date = new Date(ms)
  const year = date.getUTCFullYear()
  if (!Number.isFinite(ms) || year < 1980) return { dosTime: 0, dosDate: (1 << 5) | 1 }
  if (year > 2107)
    return { dosTime: (23 << 11) | (59 << 5) | 29, dosDate: (127 << 9) | (12 << 5) | 31 }
  return {
    dosTime: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1),
    dosDate: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  }
}

function writeU64(buffer: Buffer, value: number, at: number): void {
  buffer.writeUInt32LE(value % 0x1_0000_0000, at)
  buffer.writeUInt32LE(Math.floor(value / 0x1_0000_0000), at + 4)
}

/**
 * Builds a zip archive piece by piece: `localHeader()` before each entry's bytes, `finish()` for the
 * central directory and end records. It keeps one small record per entry (about 100 bytes), never
 * entry data; the caller writes the bytes.
 */
export class ZipWriter {
  readonly #forceZip64: boolean
  readonly #entries: CentralEntry[] = []
  #offset = 0
  #finished = false

  constructor(options: ZipWriterOptions = {}) {
    this.#forceZip64 = options.forceZip64 ?? false
  }

  /** Bytes of the archive so far, counting entry data announced by `localHeader`. */
  get bytesWritten(): number {
    return this.#offset
  }

  /** Entries announced so far. */
  get entryCount(): number {
    return this.#entries.length
  }

  /**
   * The local header of a stored entry of `size` bytes with CRC-32 `crc`, last modified at
   * `modifiedMs` (ms since the epoch, UTC). The caller writes exactly `size` bytes right after it.
   */
  localHeader(name: string, size: number, crc: number, modifiedMs: number): Buffer {
    if (this.#finished) throw new Error('zip localHeader failed: the archive is finished')
    if (!Number.isSafeInteger(size) || size < 0)
      throw new Error(`zip localHeader failed: bad entry size ${size}`)
    const nameBytes = Buffer.from(name, 'utf8')
    if (nameBytes.length > MAX_U16) throw new Error('zip localHeader failed: entry name too long')
    const zip64 = this.#forceZip64 || size >= MAX_U32
    const extraBytes = zip64 ? 20 : 0
    const header = Buffer.alloc(LOCAL_HEADER_BYTES + nameBytes.length + extraBytes)
    const { dosTime, dosDate } = dosDateTime(modifiedMs)
    header.writeUInt32LE(LOCAL_HEADER_SIGNATURE, 0)
    header.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_CLASSIC, 4)
    header.writeUInt16LE(FLAG_UTF8, 6)
    header.writeUInt16LE(0, 8) // stored
    header.writeUInt16LE(dosTime, 10)
    header.writeUInt16LE(dosDate, 12)
    header.writeUInt32LE(crc >>> 0, 14)
    header.writeUInt32LE(zip64 ? MAX_U32 : size, 18)
    header.writeUInt32LE(zip64 ? MAX_U32 : size, 22)
    header.writeUInt16LE(nameBytes.length, 26)
    header.writeUInt16LE(extraBytes, 28)
    nameBytes.copy(header, LOCAL_HEADER_BYTES)
    if (zip64) {
      const at = LOCAL_HEADER_BYTES + nameBytes.length
      header.writeUInt16LE(ZIP64_EXTRA_ID, at)
      header.writeUInt16LE(16, at + 2)
      writeU64(header, size, at + 4)
      writeU64(header, size, at + 12)
    }
    this.#entries.push({
      name: nameBytes,
      crc: crc >>> 0,
      size,
      offset: this.#offset,
      dosTime,
      dosDate,
    })
    this.#offset += header.length + size
    return header
  }

  /**
   * The central directory, then the ZIP64 end record and locator when needed, then the end record;
   * yielded in pieces of about `pieceBytes` so a large directory is never one allocation.
   */
  *finish(pieceBytes = 1 << 20): Generator<Buffer> {
    if (this.#finished) throw new Error('zip finish failed: the archive is finished')
    this.#finished = true
    const directoryOffset = this.#offset
    let pending: Buffer[] = []
    let pendingBytes = 0
    for (const entry of this.#entries) {
      const record = this.#centralHeader(entry)
      pending.push(record)
      pendingBytes += record.length
      this.#offset += record.length
      if (pendingBytes >= pieceBytes) {
        yield Buffer.concat(pending, pendingBytes)
        pending = []
        pendingBytes = 0
      }
    }
    const directoryBytes = this.#offset - directoryOffset
    const count = this.#entries.length
    const zip64 =
      this.#forceZip64 ||
      count >= MAX_U16 ||
      directoryOffset >= MAX_U32 ||
      directoryBytes >= MAX_U32
    if (zip64) {
      const zip64EndOffset = this.#offset
      const record = Buffer.alloc(ZIP64_END_BYTES + ZIP64_LOCATOR_BYTES)
      record.writeUInt32LE(ZIP64_END_SIGNATURE, 0)
      writeU64(record, ZIP64_END_BYTES - 12, 4) // size of the rest of this record
      record.writeUInt16LE(MADE_BY_UNIX, 12)
      record.writeUInt16LE(VERSION_ZIP64, 14)
      record.writeUInt32LE(0, 16) // this disk
      record.writeUInt32LE(0, 20) // disk of the central directory
      writeU64(record, count, 24)
      writeU64(record, count, 32)
      writeU64(record, directoryBytes, 40)
      writeU64(record, directoryOffset, 48)
      record.writeUInt32LE(ZIP64_LOCATOR_SIGNATURE, 56)
      record.writeUInt32LE(0, 60) // disk of the ZIP64 end record
      writeU64(record, zip64EndOffset, 64)
      record.writeUInt32LE(1, 72) // total disks
      pending.push(record)
      this.#offset += record.length
    }
    const end = Buffer.alloc(END_BYTES)
    end.writeUInt32LE(END_SIGNATURE, 0)
    end.writeUInt16LE(0, 4)
    end.writeUInt16LE(0, 6)
    end.writeUInt16LE(zip64 ? MAX_U16 : count, 8)
    end.writeUInt16LE(zip64 ? MAX_U16 : count, 10)
    end.writeUInt32LE(zip64 ? MAX_U32 : directoryBytes, 12)
    end.writeUInt32LE(zip64 ? MAX_U32 : directoryOffset, 16)
    end.writeUInt16LE(0, 20) // comment length
    pending.push(end)
    this.#offset += end.length
    yield Buffer.concat(pending)
  }

  #centralHeader(entry: CentralEntry): Buffer {
    const bigSize = this.#forceZip64 || entry.size >= MAX_U32
    const bigOffset = this.#forceZip64 || entry.offset >= MAX_U32
    // The ZIP64 extra holds, in this order, only the fields whose classic slot is 0xFFFFFFFF.
    const extraBytes = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0
    const record = Buffer.alloc(CENTRAL_HEADER_BYTES + entry.name.length + extraBytes)
    record.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, 0)
    record.writeUInt16LE(MADE_BY_UNIX, 4)
    record.writeUInt16LE(extraBytes > 0 ? VERSION_ZIP64 : VERSION_CLASSIC, 6)
    record.writeUInt16LE(FLAG_UTF8, 8)
    record.writeUInt16LE(0, 10) // stored
    record.writeUInt16LE(entry.dosTime, 12)
    record.writeUInt16LE(entry.dosDate, 14)
    record.writeUInt32LE(entry.crc, 16)
    record.writeUInt32LE(bigSize ? MAX_U32 : entry.size, 20)
    record.writeUInt32LE(bigSize ? MAX_U32 : entry.size, 24)
    record.writeUInt16LE(entry.name.length, 28)
    record.writeUInt16LE(extraBytes, 30)
    record.writeUInt16LE(0, 32) // comment length
    record.writeUInt16LE(0, 34) // disk number start
    record.writeUInt16LE(0, 36) // internal attributes
    record.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38)
    record.writeUInt32LE(bigOffset ? MAX_U32 : entry.offset, 42)
    entry.name.copy(record, CENTRAL_HEADER_BYTES)
    if (extraBytes > 0) {
      let at = CENTRAL_HEADER_BYTES + entry.name.length
      record.writeUInt16LE(ZIP64_EXTRA_ID, at)
      record.writeUInt16LE(extraBytes - 4, at + 2)
      at += 4
      if (bigSize) {
        writeU64(record, entry.size, at)
        writeU64(record, entry.size, at + 8)
        at += 16
      }
      if (bigOffset) writeU64(record, entry.offset, at)
    }
    return record
  }
}
