/**
 * @module The fields of an Identify-family request: `api_key` and `identification` (or `event`) sent
 * as a form (`application/x-www-form-urlencoded` or `multipart/form-data`), as GET query parameters,
 * or, leniently, as a JSON object (whether Amplitude takes JSON there is unconfirmed; accepting it
 * loses nothing). Query parameters fill in fields the body does not carry.
 */
import { badRequestBody, ERROR_MESSAGES } from '@ampkit/protocol'
import { readRequestBody } from '../body-reader.ts'
import { ApiError } from '../errors.ts'
import type { RouteContext } from './context.ts'
import { mediaType } from './json-body.ts'

const decoder = new TextDecoder('utf-8')

/** Reads the named fields as strings (a JSON value that is not a string is re-serialised). */
export async function readFormFields(
  context: RouteContext,
  maxBytes: number,
): Promise<Map<string, string>> {
  const { request, url } = context
  const fields = new Map<string, string>()
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const type = mediaType(request)
    const { bytes } = await readRequestBody(request, { maxBytes, timeoutMs: context.bodyTimeoutMs })
    if (bytes.byteLength > 0) {
      if (type === 'multipart/form-data') await readMultipart(request, bytes, fields)
      else if (type === 'application/json' || type?.endsWith('+json')) readJson(bytes, fields)
      else {
        // Form-encoded is the documented format; a body without a type is read the same way.
        for (const [key, value] of new URLSearchParams(decoder.decode(bytes))) {
          if (!fields.has(key)) fields.set(key, value)
        }
      }
    }
  }
  for (const [key, value] of url.searchParams) {
    if (!fields.has(key)) fields.set(key, value)
  }
  return fields
}

async function readMultipart(
  request: Request,
  bytes: Uint8Array,
  fields: Map<string, string>,
): Promise<void> {
  let form: FormData
  try {
    const contentType = request.headers.get('content-type') ?? ''
    form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData()
  } catch (error) {
    throw new ApiError(400, { ...badRequestBody(ERROR_MESSAGES.invalidJson) }, { cause: error })
  }
  for (const [key, value] of form) {
    if (fields.has(key)) continue
    fields.set(key, typeof value === 'string' ? value : await value.text())
  }
}

function readJson(bytes: Uint8Array, fields: Map<string, string>): void {
  let parsed: unknown
  try {
    parsed = JSON.parse(decoder.decode(bytes))
  } catch (error) {
    throw new ApiError(400, { ...badRequestBody(ERROR_MESSAGES.invalidJson) }, { cause: error })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ApiError(400, { ...badRequestBody(ERROR_MESSAGES.invalidJson) })
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined || value === null) continue
    fields.set(key, typeof value === 'string' ? value : JSON.stringify(value))
  }
}
