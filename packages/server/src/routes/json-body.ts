/**
 * @module Reading a JSON request body the way Amplitude's ingestion endpoints answer it.
 */
import { badRequestBody, ERROR_MESSAGES } from '@ampkit/protocol'
import { ApiError } from '../errors.ts'

/**
 * Parses body bytes as JSON. An empty (or all-whitespace) body is `Missing request body`; anything
 * that is not one JSON document is `Invalid JSON request body` (ingestion-api.md §5).
 */
export function parseJsonBody(bytes: Uint8Array): unknown {
  // Buffer's UTF-8 decoding is native and several times faster than TextDecoder on large bodies;
  // a leading byte-order mark is dropped as TextDecoder would.
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.trim() === '') throw new ApiError(400, { ...badRequestBody(ERROR_MESSAGES.missingBody) })
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ApiError(400, { ...badRequestBody(ERROR_MESSAGES.invalidJson) }, { cause: error })
  }
}

/** The media type of a request, lower-cased and without parameters (`application/json`). */
export function mediaType(request: Request): string | undefined {
  const header = request.headers.get('content-type')
  if (header === null) return undefined
  return header.split(';')[0]!.trim().toLowerCase()
}

/**
 * HTTP V2 and Batch take JSON (`application/json`, with or without a charset). A body declared as a
 * form or multipart cannot be the JSON envelope and is answered as invalid JSON. A missing type and
 * `text/plain` (what a browser's `sendBeacon` may send) are read as JSON: refusing them would only
 * lose events a lenient reader handles correctly.
 */
export function assertJsonContentType(request: Request): void {
  const type = mediaType(request)
  if (type === undefined || type === '' || type === 'text/plain') return
  if (type === 'application/json' || type.endsWith('+json')) return
  throw new ApiError(400, { ...badRequestBody(ERROR_MESSAGES.invalidJson) })
}
