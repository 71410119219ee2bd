/**
 * @module Opens an input file as a stream of decompressed bytes: gzip is recognised by its magic
 * bytes (1f 8b), not by the file name, so `events.ndjson` that is really gzip still reads. The bytes
 * read from disk are counted for the progress bar (compressed bytes for gzip: the file size is the
 * only total known up front).
 */
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'

/** An opened input. */
export interface InputStream {
  /** Decompressed bytes from `startOffset` on. */
  bytes: Readable
  gzip: boolean
  /** Size of the file on disk in bytes. */
  fileBytes: number
  /** Bytes read from disk so far. */
  readBytes(): number
}

/** Whether the file starts with the gzip magic bytes. */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r')
  try {
    const head = Buffer.alloc(2)
    const { bytesRead } = await handle.read(head, 0, 2, 0)
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b
  } finally {
    await handle.close()
  }
}

/**
 * Opens `path`. `startOffset` (bytes of decompressed content to skip by seeking) is honoured only
 * for plain files; gzip cannot seek, so callers skip records themselves.
 */
export async function openInput(path: string, startOffset = 0): Promise<InputStream> {
  const gzip = await isGzipFile(path)
  const { size } = await stat(path)
  const start = gzip ? 0 : startOffset
  const raw = createReadStream(path, { start, highWaterMark: 256 * 1024 })
  let read = start
  raw.on('data', (chunk) => {
    read += (chunk as Buffer).length
  })
  const bytes = gzip ? raw.pipe(createGunzip()) : raw
  if (gzip) raw.on('error', (error) => bytes.destroy(error))
  return { bytes, gzip, fileBytes: size, readBytes: () => read }
}
