/**
 * @module Event times as files hold them, to Amplitude's epoch milliseconds: a number or digit
 * string of milliseconds, of seconds (with a fraction), or an ISO 8601 date-time.
 */

/**
 * Below this a number is read as seconds: 1e11 ms is March 1973, while 1e11 s is the year 5138, so
 * no plausible backfill is ambiguous.
 */
const SECONDS_BELOW = 1e11

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/** The time in epoch ms, or `undefined` when `value` is not a time. */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === 'number') return fromNumber(value)
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (text === '') return undefined
  if (/^\d+(\.\d+)?$/.test(text)) return fromNumber(Number(text))
  if (!ISO_DATE.test(text)) return undefined
  // A date-time without an offset is read as UTC (not the machine's zone), so a backfill gives
  // the same times on every machine.
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10
  const normalized = text.replace(' ', 'T')
  const ms = Date.parse(hasZone || text.length === 10 ? normalized : `${normalized}Z`)
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined
}

function fromNumber(value: number): number | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined
  const ms = value < SECONDS_BELOW ? value * 1000 : value
  return Math.round(ms)
}
