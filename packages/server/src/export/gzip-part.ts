/**
 * @module One zip entry's bytes: the gzip of NDJSON text, compressed on zlib's thread pool while the
 * caller fetches the next rows. The compressed bytes are kept until `finish()`, because the zip
 * local header that precedes them carries their CRC-32 and size (so streaming readers need no data
 * descriptor); one part is the most the export ever holds.
 */
import { once } from 'node:events'
import { createGzip, type Gzip, type ZlibOptions } from 'node:zlib'
import { crc32 } from './crc32.ts'

/** Output buffer of zlib, in bytes: fewer, larger chunks to hand to the socket. */
const OUTPUT_CHUNK_BYTES = 256 * 1024
/**
 * Text zlib may hold before `write` waits, in bytes: room for the next batch of rows while the
 * previous one compresses, and no more.
 */
const INPUT_BUFFER_BYTES = 8 * 1024 * 1024

/** A finished part: its compressed bytes, their total size and CRC-32. */
export interface CompressedPart {
  chunks: Buffer[]
  size: number
  crc: number
}

/** Compresses one part. Call `write` any number of times, then `finish` (or `destroy`). */
export class GzipPart {
  readonly #gzip: Gzip
  readonly #chunks: Buffer[] = []
  readonly #ended: Promise<unknown>
  #size = 0
  #crc = 0

  /** `level`: zlib level, 1 (fastest) to 9. */
  constructor(level: number) {
    // zlib streams are Transforms and accept the stream options their type omits.
    const options: ZlibOptions & { writableHighWaterMark: number } = {
      level,
      chunkSize: OUTPUT_CHUNK_BYTES,
      writableHighWaterMark: INPUT_BUFFER_BYTES,
    }
    this.#gzip = createGzip(options)
    this.#gzip.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk)
      this.#size += chunk.length
      this.#crc = crc32(chunk, this.#crc)
    })
    this.#ended = once(this.#gzip, 'end')
    // Observed by finish(); an error before then must not surface as an unhandled rejection.
    this.#ended.catch(() => {})
  }

  /** Adds bytes; resolves once zlib has room for more, so input never piles up unbounded. */
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.#gzip.write(bytes)) await once(this.#gzip, 'drain')
  }

  /** Ends the gzip stream and returns the part. */
  async finish(): Promise<CompressedPart> {
    this.#gzip.end()
    await this.#ended
    return { chunks: this.#chunks, size: this.#size, crc: this.#crc }
  }

  /** Drops the part (the export was cancelled or failed). */
  destroy(): void {
    this.#gzip.destroy()
  }
}
