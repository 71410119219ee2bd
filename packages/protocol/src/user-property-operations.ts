/**
 * @module The user-property operations of `$identify` (and group properties of `$groupidentify`), with
 * their exact semantics and order of application (ingestion-api.md §3). Pure: the local server applies
 * identifies with it and the tests use it as the reference.
 */
import {
  IDENTIFY_OPERATIONS,
  type IdentifyOperation,
  type Properties,
  type PropertyValue,
} from './wire.ts'

const OPERATION_SET: ReadonlySet<string> = new Set(IDENTIFY_OPERATIONS)

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** True when `key` is one of the ten operation keys (`$set`, `$add`, …). */
export function isIdentifyOperation(key: string): key is IdentifyOperation {
  return OPERATION_SET.has(key)
}

/** True when a `user_properties` object holds at least one operation key. */
export function hasIdentifyOperations(userProperties: object): boolean {
  for (const key of Object.keys(userProperties)) if (OPERATION_SET.has(key)) return true
  return false
}

/** Amplitude compares list items by value, so objects inside lists compare by their JSON. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  return JSON.stringify(a) === JSON.stringify(b)
}

/** The list an operation works on: missing → [], a scalar → [scalar] (an existing scalar becomes a list). */
function asList(value: PropertyValue | undefined): PropertyValue[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? [...value] : [value]
}

/** Each element of an array value, or the value itself. */
function itemsOf(value: PropertyValue): readonly PropertyValue[] {
  return Array.isArray(value) ? value : [value]
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  // The legacy JS SDK sent numeric strings such as '123' for $add.
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value)
    if (Number.isFinite(parsed)) return parsed
  }
  return undefined
}

function applyOne(
  props: Properties,
  op: IdentifyOperation,
  key: string,
  value: PropertyValue,
): void {
  const current = props[key]
  switch (op) {
    case '$unset':
      delete props[key]
      return
    case '$set':
      props[key] = value
      return
    case '$setOnce':
      if (current === undefined || current === null) props[key] = value
      return
    case '$add': {
      const delta = toNumber(value)
      if (delta === undefined) return
      if (current === undefined || current === null) {
        props[key] = delta
        return
      }
      // $add on a non-numeric value is unconfirmed; we leave the value as it is rather than
      // destroying data by treating it as 0.
      const base = toNumber(current)
      if (base !== undefined) props[key] = base + delta
      return
    }
    case '$append':
      props[key] = [...asList(current), ...itemsOf(value)]
      return
    case '$prepend':
      props[key] = [...itemsOf(value), ...asList(current)]
      return
    case '$postInsert': {
      const list = asList(current)
      for (const item of itemsOf(value)) if (!list.some((x) => sameValue(x, item))) list.push(item)
      props[key] = list
      return
    }
    case '$preInsert': {
      const list = asList(current)
      const fresh: PropertyValue[] = []
      for (const item of itemsOf(value)) {
        if (!list.some((x) => sameValue(x, item)) && !fresh.some((x) => sameValue(x, item)))
          fresh.push(item)
      }
      props[key] = [...fresh, ...list]
      return
    }
    case '$remove': {
      if (current === undefined) return
      const removed = itemsOf(value)
      props[key] = asList(current).filter((x) => !removed.some((r) => sameValue(x, r)))
      return
    }
    case '$clearAll':
      return
  }
}

/**
 * Applies one identify's `user_properties` (or `group_properties`) to a profile and returns the new
 * properties; `current` is not modified.
 *
 * - Operations run in Amplitude's order: `$clearAll` → `$unset` → `$set` → `$setOnce` → `$add` →
 *   `$append` → `$prepend` → `$preInsert` → `$postInsert` → `$remove`.
 * - A property may appear in one operation per identify. The server's handling of a repeat is
 *   unconfirmed; like the SDKs, the first operation (in that order) wins and later ones are ignored.
 * - An object with no operation keys acts as `$set`. Plain keys mixed with operations are applied as a
 *   `$set` after the operations, as the TS SDK says the server does.
 */
export function applyUserProperties(
  current: Readonly<Properties>,
  update: Readonly<Record<string, unknown>>,
): Properties {
  if (!hasIdentifyOperations(update)) {
    const next: Properties = { ...current }
    for (const [key, value] of Object.entries(update)) next[key] = value as PropertyValue
    return next
  }
  let props: Properties = { ...current }
  const touched = new Set<string>()
  for (const op of IDENTIFY_OPERATIONS) {
    const payload = update[op]
    if (payload === undefined) continue
    if (op === '$clearAll') {
      props = {}
      continue
    }
    if (!isPlainObject(payload)) continue
    for (const [key, value] of Object.entries(payload)) {
      if (touched.has(key)) continue
      touched.add(key)
      applyOne(props, op, key, value as PropertyValue)
    }
  }
  for (const [key, value] of Object.entries(update)) {
    if (key.startsWith('$') || touched.has(key)) continue
    props[key] = value as PropertyValue
  }
  return props
}
