/**
 * @module `GET /api/2/export?start=YYYYMMDDTHH&end=YYYYMMDDTHH` (query-api.md §2): the project's
 * events uploaded in those UTC hours (by `server_upload_time`, not event time) as a zip of gzipped
 * NDJSON, streamed. Auth is HTTP Basic with the API key and secret key.
 */
import { ApiError } from '../errors.ts'
import { isExportRangeError, parseExportRange } from '../export/export-range.ts'
import { openExport } from '../export/export-stream.ts'
import { textResponse } from '../responses.ts'
import { authenticate } from './basic-auth.ts'
import type { RouteContext } from './context.ts'

/** The 404 body Amplitude sends for a range without data; clients match on this exact text. */
export const NO_EXPORT_DATA_TEXT = 'Raw data files were not found.'

/** `GET /api/2/export`. */
export async function handleExport(context: RouteContext): Promise<Response> {
  const project = authenticate(context)
  const { searchParams } = context.url
  const range = parseExportRange(searchParams.get('start'), searchParams.get('end'))
  // Amplitude documents a 400 only for an export over 4 GB; the status and body for a bad or
  // missing start/end are unconfirmed. A 400 with the usual `{code, error}` naming the parameter is
  // what clients already treat as "fix the request".
  if (isExportRangeError(range)) throw new ApiError(400, { code: 400, error: range.message })
  // No 4 GB cap: the archive switches to ZIP64 records past 4 GiB instead of refusing, and every
  // entry stays far below 4 GiB, so streaming readers that only read local headers work at any size.
  const archive = await openExport(context.store, project.id, range, context.exportOptions ?? {})
  if (archive === undefined) return textResponse(404, NO_EXPORT_DATA_TEXT)
  context.notes.events = archive.events
  return new Response(archive.body, {
    status: 200,
    headers: { 'content-type': 'application/zip' },
  })
}
