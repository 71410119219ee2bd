/**
 * @module The hours an export covers (query-api.md §2.1): `start` and `end` as `YYYYMMDDTHH` in UTC,
 * both inclusive, at most 365 days apart. Pure: returns the range or the reason it is refused.
 */

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/** Longest range Amplitude exports in one request. */
export const MAX_EXPORT_RANGE_DAYS = 365

/** A valid export range: upload times in `[startMs, endMs)`, whole UTC hours. */
export interface ExportRange {
  /** Start of the first hour, ms since the epoch (UTC). */
  startMs: number
  /** End of the last hour (exclusive), ms since the epoch (UTC). */
  endMs: number
}

/** Why a range is refused: the parameter at fault and a message naming it. */
export interface ExportRangeError {
  parameter: 'start' | 'end'
  message: string
}

/** Start of the UTC hour `YYYYMMDDTHH` names, or `undefined` when it names none. */
export function parseExportHour(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})$/.exec(value)
  if (match === null) return undefined
  const [year, month, day, hour] = match.slice(1).map(Number) as [number, number, number, number]
  if (month < 1 || month > 12 || day < 1 || hour > 23) return undefined
  const ms = Date.UTC(year, month - 1, day, hour)
  // Date.UTC rolls 20240230 over into March; a date that does not exist is refused instead.
  if (new Date(ms).getUTCDate() !== day) return undefined
  return ms
}

/** Checks `start`/`end` query values (either may be missing) and returns the range or the error. */
export function parseExportRange(
  start: string | null,
  end: string | null,
): ExportRange | ExportRangeError {
  const parsed: { start?: number; end?: number } = {}
  for (const [parameter, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (value === null || value === '')
      return { parameter, message: `Missing required parameter: ${parameter}` }
    const ms = parseExportHour(value)
    if (ms === undefined)
      return {
        parameter,
        message: `Invalid parameter ${parameter}: expected an hour as YYYYMMDDTHH (UTC), e.g. 20220201T05`,
      }
    parsed[parameter] = ms
  }
  const startMs = parsed.start!
  const endHourMs = parsed.end!
  if (endHourMs < startMs)
    return { parameter: 'end', message: 'Invalid parameter end: it is before start' }
  if (endHourMs - startMs > MAX_EXPORT_RANGE_DAYS * DAY_MS)
    return {
      parameter: 'end',
      message: `Invalid parameter end: the range is longer than ${MAX_EXPORT_RANGE_DAYS} days`,
    }
  return { startMs, endMs: endHourMs + HOUR_MS }
}

/** True when `parseExportRange` refused the range. */
export function isExportRangeError(
  value: ExportRange | ExportRangeError,
): value is ExportRangeError {
  return 'parameter' in value
}
