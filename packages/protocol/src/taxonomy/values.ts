/**
 * @module Value rules: which keys must hold numbers or ISO 8601 dates, how deep values may nest, and
 * the two fixes for values nested too deep (`flatten` to dotted keys, `stringify` to JSON).
 */

/** Keys that hold an amount, a count or a duration, and so must be numbers to be summed and averaged. */
const NUMERIC_KEY =
  /^(?:price|amount|count|quantity|total|revenue|cost|duration|durationMs|size|score|value)$|(?:Count|Ms|Seconds|Minutes|Amount|Price|Quantity|Total|Revenue|Cost|Bytes)$/
/** Keys that hold a point in time. */
const DATE_KEY = /^(?:date|timestamp)$|(?:At|Date|Timestamp)$/
/** Keys that hold identifiers: many distinct values are their nature, not a mistake. */
const ID_KEY = /^(?:id|ids|uuid|guid)$|(?:Id|ID|Ids|IDs|Uuid|Key|Token|Hash)$/
/** Keys whose values look like IP addresses without being one (`1.2.3.4`). */
const VERSION_KEY = /version|Version/

/** ISO 8601 date or date-time, as Amplitude parses date properties. */
const ISO_8601 =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?$/

/** True for a key that should hold a number (`price`, `itemCount`, `durationMs`). */
export function isNumericKey(key: string): boolean {
  return NUMERIC_KEY.test(key)
}

/** True for a key that should hold an ISO 8601 date (`createdAt`, `renewalDate`). */
export function isDateKey(key: string): boolean {
  return DATE_KEY.test(key)
}

/** True for a key that holds identifiers. */
export function isIdKey(key: string): boolean {
  return ID_KEY.test(key)
}

/** True for a key that holds a version string. */
export function isVersionKey(key: string): boolean {
  return VERSION_KEY.test(key)
}

/** True for an ISO 8601 date (`2026-11-28`) or date-time (`2026-11-28T10:00:00Z`). */
export function isIso8601(value: string): boolean {
  const first = value.charCodeAt(0)
  return value.length >= 10 && first >= 48 && first <= 57 && ISO_8601.test(value)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Object levels in a value: a scalar or an array of scalars is 0, `{a: 1}` and `[{a: 1}]` are 1,
 * `{a: {b: 1}}` is 2. Arrays are lists, not levels. Stops counting past `limit`.
 */
export function objectDepth(value: unknown, limit = 8): number {
  if (typeof value !== 'object' || value === null) return 0
  if (limit <= 0) return 1
  let deepest = 0
  if (Array.isArray(value)) {
    for (const item of value) {
      const depth = objectDepth(item, limit)
      if (depth > deepest) deepest = depth
    }
    return deepest
  }
  for (const key in value) {
    const depth = objectDepth((value as Record<string, unknown>)[key], limit - 1)
    if (depth > deepest) deepest = depth
  }
  return deepest + 1
}

/** How a value nested more than one level deep is fixed. */
export type NestingPolicy = 'report' | 'flatten' | 'stringify'

/**
 * One level kept, deeper objects folded into dotted keys:
 * `{address: {city: 'Oslo', geo: {lat: 1}}}` → `{'address.city': 'Oslo', 'address.geo.lat': 1}`.
 */
export function flattenValue(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const walk = (prefix: string, node: Record<string, unknown>): void => {
    for (const key in node) {
      const child = node[key]
      const name = prefix === '' ? key : `${prefix}.${key}`
      if (isObject(child)) walk(name, child)
      else out[name] = child
    }
  }
  walk('', value)
  return out
}

/** A value nested too deep, fixed by `policy` (`report` leaves it as it is). */
export function fixNesting(value: unknown, policy: NestingPolicy): unknown {
  if (policy === 'stringify') return JSON.stringify(value)
  if (policy === 'flatten') {
    if (isObject(value)) return flattenValue(value)
    if (Array.isArray(value))
      return value.map((item) => (isObject(item) ? flattenValue(item) : item))
  }
  return value
}
