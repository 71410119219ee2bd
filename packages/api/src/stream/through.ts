/**
 * @module Runs a zlib transform as a pull pipeline: input is written one chunk at a time, each write
 * waiting until zlib has processed it, and zlib in turn waits until its output is read. So memory is
 * bounded by a chunk or two per stage, whatever the size of the stream.
 */
import type { Transform } from 'node:stream'
import type { Gunzip, InflateRaw } from 'node:zlib'

/** Called after each input chunk was processed; return `true` to stop writing (the stream ended). */
export type AfterWrite = (written: number, chunk: Buffer) => boolean

/** The output of `transform` fed with `input`. */
export async function* through(
  transform: Transform & (Gunzip | InflateRaw | Transform),
  input: AsyncIterable<Buffer>,
  afterWrite?: AfterWrite,
): AsyncGenerator<Buffer> {
  let writerError: unknown
  let stopped = false
  const writer = (async () => {
    let written = 0
    try {
      for await (const chunk of input) {
        if (stopped) return
        written += chunk.length
        await new Promise<void>((resolve, reject) => {
          transform.write(chunk, (error) => (error ? reject(error) : resolve()))
        })
        if (afterWrite?.(written, chunk)) return
      }
      transform.end()
    } catch (error) {
      writerError = error
      transform.destroy(error instanceof Error ? error : new Error(String(error)))
    }
  })()
  try {
    for await (const output of transform) yield output as Buffer
    await writer
    if (writerError !== undefined) throw writerError
  } catch (error) {
    throw writerError ?? error
  } finally {
    stopped = true
    transform.destroy()
  }
}
