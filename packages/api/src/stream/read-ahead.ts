/**
 * @module Reads a byte stream ahead of its consumer, up to a bound, with hysteresis: once
 * `highBytes` are queued the source is left alone until the consumer has taken the queue down to
 * `lowBytes`, then it is read without pause again.
 *
 * Why: Node 20's fetch (undici 6) pauses its HTTP parser whenever the body stream has no demand,
 * and puts the unparsed rest of the socket's buffer back in front of it; the next resume copies that
 * whole buffer again. A consumer that pulls one chunk at a time and is slower than the network (a
 * JSON.parse per exported event) therefore copied the same megabytes hundreds of times: 2 GB of
 * copies for a 28 MB archive, measured, so a 1M-event export took 90 s of CPU. Keeping demand open
 * until a large buffer is full makes those pauses rare (one per `highBytes - lowBytes`), and memory
 * stays bounded by `highBytes` plus one chunk.
 */

/** The chunks of `source`, read ahead of the caller by at most `highBytes` (plus one chunk). */
export async function* readAhead(
  source: AsyncIterable<Uint8Array>,
  highBytes: number,
  lowBytes: number,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]()
  const queue: (Uint8Array | undefined)[] = []
  let head = 0
  let queuedBytes = 0
  let ended = false
  let failure: { error: unknown } | undefined
  let stopped = false
  let wakeConsumer: (() => void) | undefined
  let wakePump: (() => void) | undefined
  const wake = (which: 'consumer' | 'pump') => {
    const resume = which === 'consumer' ? wakeConsumer : wakePump
    if (which === 'consumer') wakeConsumer = undefined
    else wakePump = undefined
    resume?.()
  }

  const pump = (async () => {
    try {
      while (!stopped) {
        if (queuedBytes >= highBytes) {
          await new Promise<void>((resolve) => {
            wakePump = resolve
          })
          continue
        }
        const step = await iterator.next()
        if (step.done) break
        queue.push(step.value)
        queuedBytes += step.value.byteLength
        wake('consumer')
      }
    } catch (error) {
      failure = { error }
    } finally {
      ended = true
      wake('consumer')
    }
  })()

  try {
    for (;;) {
      const chunk = queue[head]
      if (chunk !== undefined) {
        queue[head++] = undefined
        if (head > 1024) {
          queue.splice(0, head)
          head = 0
        }
        queuedBytes -= chunk.byteLength
        if (queuedBytes <= lowBytes) wake('pump')
        yield chunk
        continue
      }
      if (failure !== undefined) throw failure.error
      if (ended) return
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve
      })
    }
  } finally {
    stopped = true
    wake('pump')
    if (!ended) {
      // A read may still be pending: the caller's release of the response ends it. Closing the
      // source is queued behind it, and neither may surface as an unhandled rejection.
      iterator.return?.()?.catch(() => {})
    }
    pump.catch(() => {})
  }
}
