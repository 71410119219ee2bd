/**
 * @module A pull-based reader over a chunked byte stream. It asks its source for the next chunk only
 * when a read needs bytes it does not hold, so the HTTP body is read exactly as fast as the consumer
 * pulls (backpressure), and it hands out views of the chunks instead of copies wherever it can.
 */

const EMPTY = Buffer.alloc(0)

export class ByteSource {
  readonly #iterator: AsyncIterator<Uint8Array>
  #buffer: Buffer = EMPTY
  #offset = 0
  #done = false
  /** Bytes handed out so far (after rewinds), i.e. the offset of the next byte in the stream. */
  position = 0

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#iterator = source[Symbol.asyncIterator]()
  }

  async #fill(): Promise<boolean> {
    while (this.#offset >= this.#buffer.length) {
      if (this.#done) return false
      const step = await this.#iterator.next()
      if (step.done) {
        this.#done = true
        return false
      }
      const chunk = step.value
      this.#buffer = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      this.#offset = 0
    }
    return true
  }

  /**
   * Exactly `length` bytes, or `null` at a clean end of stream; a stream that ends part-way returns
   * the shorter buffer (the caller decides whether that is an error).
   */
  async readExact(length: number): Promise<Buffer | null> {
    if (!(await this.#fill())) return null
    if (this.#buffer.length - this.#offset >= length) {
      const view = this.#buffer.subarray(this.#offset, this.#offset + length)
      this.#offset += length
      this.position += length
      return view
    }
    const parts: Buffer[] = []
    let missing = length
    while (missing > 0 && (await this.#fill())) {
      const take = Math.min(missing, this.#buffer.length - this.#offset)
      parts.push(this.#buffer.subarray(this.#offset, this.#offset + take))
      this.#offset += take
      this.position += take
      missing -= take
    }
    return Buffer.concat(parts)
  }

  /** Up to `maxLength` bytes from the chunk at hand (pulling one if none is held); `null` at the end. */
  async readUpTo(maxLength: number): Promise<Buffer | null> {
    if (!(await this.#fill())) return null
    const take = Math.min(maxLength, this.#buffer.length - this.#offset)
    const view = this.#buffer.subarray(this.#offset, this.#offset + take)
    this.#offset += take
    this.position += take
    return view
  }

  /** Gives back the last `length` bytes of the previous `readUpTo` (bytes a decoder did not use). */
  rewind(length: number): void {
    if (length > this.#offset) throw new RangeError('rewind past the chunk at hand')
    this.#offset -= length
    this.position -= length
  }

  /** Drains what is left without keeping it. */
  async skipRest(): Promise<void> {
    while (await this.#fill()) {
      this.position += this.#buffer.length - this.#offset
      this.#offset = this.#buffer.length
    }
  }

  /** Ends the underlying iterator early (e.g. the consumer stopped). */
  async close(): Promise<void> {
    this.#done = true
    await this.#iterator.return?.()
  }
}
