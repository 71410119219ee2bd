/**
 * @module The envelope of every Dashboard REST answer (query-api.md §1.5): `data` plus the metadata
 * Amplitude sends beside it. The local server computes every query fresh, so `wasCached` is false.
 */
import { jsonResponse } from '../responses.ts'

/** A 200 with `{data, timeComputed, wasCached, queryIds}`. */
export function dashboardResponse(data: unknown, nowMs: number): Response {
  return jsonResponse(200, { data, timeComputed: nowMs, wasCached: false, queryIds: [] })
}
