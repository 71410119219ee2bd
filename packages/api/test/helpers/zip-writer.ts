/** Builds ZIP archives for the tests, in each layout the streaming reader must handle. */
import { crc32, deflateRawSync, gzipSync } from 'node:zlib'

export interface ZipLayout {
  /** @default 'stored' */
  method?: 'stored' | 'deflated'
  /** Sizes in a data descriptor after the data (flag bit 3) instead of the local header. */
  descriptor?: boolean
  /** Write the descriptor without its optional signature. */
  descriptorWithoutSignature?: boolean
}

export function buildZip(
  entries: { name: string; data: Buffer }[],
  layout: ZipLayout = {},
): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const method = layout.method === 'deflated' ? 8 : 0
    const body = method === 8 ? deflateRawSync(entry.data) : entry.data
    const crc = crc32(entry.data)
    const name = Buffer.from(entry.name, 'utf8')
    const flags = 0x800 | (layout.descriptor ? 0x8 : 0)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt32LE(layout.descriptor ? 0 : crc, 14)
    local.writeUInt32LE(layout.descriptor ? 0 : body.length, 18)
    local.writeUInt32LE(layout.descriptor ? 0 : entry.data.length, 22)
    local.writeUInt16LE(name.length, 26)
    parts.push(local, name, body)
    let size = local.length + name.length + body.length
    if (layout.descriptor) {
      const descriptor = Buffer.alloc(16)
      descriptor.writeUInt32LE(0x08074b50, 0)
      descriptor.writeUInt32LE(crc, 4)
      descriptor.writeUInt32LE(body.length, 8)
      descriptor.writeUInt32LE(entry.data.length, 12)
      const written = layout.descriptorWithoutSignature ? descriptor.subarray(4) : descriptor
      parts.push(written)
      size += written.length
    }
    const header = Buffer.alloc(46)
    header.writeUInt32LE(0x02014b50, 0)
    header.writeUInt16LE(20, 4)
    header.writeUInt16LE(20, 6)
    header.writeUInt16LE(flags, 8)
    header.writeUInt16LE(method, 10)
    header.writeUInt32LE(crc, 16)
    header.writeUInt32LE(body.length, 20)
    header.writeUInt32LE(entry.data.length, 24)
    header.writeUInt16LE(name.length, 28)
    header.writeUInt32LE(offset, 42)
    central.push(header, name)
    offset += size
  }
  const directory = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, directory, end])
}

/** An export-style archive: one gzipped NDJSON file per group of events, Amplitude's file names. */
export function exportArchive(
  files: { hour: number; events: unknown[] }[],
  layout: ZipLayout = {},
  appId = 1,
): Buffer {
  return buildZip(
    files.map((file, part) => ({
      name: `${appId}/${appId}_2024-07-14_${file.hour}#${part}.json.gz`,
      data: gzipSync(file.events.map((e) => `${JSON.stringify(e)}\n`).join(''), { level: 1 }),
    })),
    layout,
  )
}
