/**
 * @module Amplitude's client-side property check (analytics-core utils/valid-properties.ts), so the
 * builders keep and skip exactly what the official ones do: no null/undefined, no nested arrays, no
 * booleans inside arrays, at most 1,000 keys per object.
 */

const MAX_PROPERTY_KEYS = 1000

/** True when every value of `properties` is a valid property value. */
export function isValidObject(properties: object): boolean {
  if (Object.keys(properties).length > MAX_PROPERTY_KEYS) return false
  for (const key in properties) {
    if (!isValidProperties(key, (properties as Record<string, unknown>)[key])) return false
  }
  return true
}

/** True when `value` is a valid value for `property`. */
export function isValidProperties(property: unknown, value: unknown): boolean {
  if (typeof property !== 'string') return false
  if (Array.isArray(value)) {
    for (const element of value) {
      if (Array.isArray(element)) return false
      if (typeof element === 'object') {
        if (element === null || !isValidObject(element)) return false
      } else if (typeof element !== 'number' && typeof element !== 'string') return false
    }
    return true
  }
  if (value === null || value === undefined) return false
  if (typeof value === 'object') return isValidObject(value)
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean'
}
