/**
 * @module Reads a request body with a byte cap enforced while it streams in, and decompresses it
 * with the same cap on the output. Memory per request never exceeds the endpoint's limit plus one
 * chunk, whatever the client sends or claims (ingestion-api.md §6; issue 3 "Bad input").
 */
import { promisify } from 'node:util'
import { brotliDecompress, gunzip, inflate } from 'node:zlib'
import { badRequestBody, ERROR_MESSAGES, payloadTooLargeBody } from '@ampkit/protocol'
import { ApiError } from './errors.ts'

const gunzipAsync = promisify(gunzip)
const inflateAsync = promisify(inflate)
const brotliAsync = promisify(brotliDecompress)

/** How one endpoint reads its body. */
export interface BodyLimits {
  /** Largest body accepted, in bytes, counted after decompression (HTTP V2 rule, §1). */
  maxBytes: number
  /** Deadline for the whole body to arrive, in ms; a client that stalls is answered 400. */
  timeoutMs: number
}

/** A read body: the decompressed bytes. */
export interface ReadBody {
  bytes: Uint8Array
}

/**
 * Reads and decompresses the body. Throws `ApiError` 413 for a body over the cap (by its declared
 * length, without reading it; or while streaming; or while decompressing, which stops gzip bombs),
 * and 400 for a body that ends early, stalls, or fails to decompress.
 */
export async function readRequestBody(request: Request, limits: BodyLimits): Promise<ReadBody> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase()
  const declared = request.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared.trim())) {
    // Compressed bodies are capped on their wire size too: gzip never shrinks incompressible input,
    // so a compressed body larger than the cap could not decompress below it either.
    if (Number(declared) > limits.maxBytes) {
      await cancelQuietly(request)
      throw new ApiError(413, { ...payloadTooLargeBody() })
    }
  }
  const raw = await readCapped(request, limits)
  if (raw.byteLength === 0) return { bytes: raw }
  return { bytes: await decompress(raw, encoding, limits.maxBytes) }
}

async function cancelQuietly(request: Request): Promise<void> {
  try {
    await request.body?.cancel()
  } catch {
    // The client may already be gone; nothing to release.
  }
}

async function readCapped(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const body = request.body
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), limits.timeoutMs)
    timer.unref()
  })
  try {
    for (;;) {
      let step: Awaited<ReturnType<typeof reader.read>> | 'timeout'
      try {
        step = await Promise.race([reader.read(), deadline])
      } catch (error) {
        // The connection ended before the declared length arrived (a truncated body): what did
        // arrive is not a complete JSON document.
        throw truncated(total, error)
      }
      if (step === 'timeout') {
        void reader.cancel().catch(() => {})
        throw truncated(total, new Error(`request body not complete after ${limits.timeoutMs} ms`))
      }
      if (step.done) break
      total += step.value.byteLength
      if (total > limits.maxBytes) {
        void reader.cancel().catch(() => {})
        throw new ApiError(413, { ...payloadTooLargeBody() })
      }
      chunks.push(step.value)
    }
  } finally {
    clearTimeout(timer)
  }
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

function truncated(received: number, cause: unknown): ApiError {
  const message = received === 0 ? ERROR_MESSAGES.missingBody : ERROR_MESSAGES.invalidJson
  return new ApiError(400, { ...badRequestBody(message) }, { cause })
}

async function decompress(raw: Uint8Array, encoding: string, maxBytes: number) {
  // maxOutputLength stops inflating as soon as the output passes the cap: a gzip bomb costs at most
  // `maxBytes` of memory and is answered 413, like any other oversized body.
  const options = { maxOutputLength: maxBytes }
  try {
    switch (encoding) {
      case 'identity':
      case '':
        return raw
      case 'gzip':
      case 'x-gzip':
        return new Uint8Array(await gunzipAsync(raw, options))
      case 'deflate':
        return new Uint8Array(await inflateAsync(raw, options))
      case 'br':
        return new Uint8Array(await brotliAsync(raw, options))
      default:
        // An encoding we cannot read leaves a body that is not JSON; Amplitude's vocabulary has no
        // 415, so it is answered like any unreadable body.
        throw new ApiError(400, { ...badRequestBody(ERROR_MESSAGES.invalidJson) })
    }
  } catch (error) {
    if (error instanceof ApiError) throw error
    if (
      error instanceof RangeError ||
      (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE'
    )
      throw new ApiError(413, { ...payloadTooLargeBody() }, { cause: error })
    throw new ApiError(400, { ...badRequestBody(ERROR_MESSAGES.invalidJson) }, { cause: error })
  }
}
