/**
 * @module One stack-safe walk over each event's values. The protocol's validation bounds the depth
 * of the property objects (40 levels); any other field may nest arbitrarily (an unknown key holding
 * `[[[[…]]]]`), and the recursive normalisation would then overflow the stack and turn a bad request
 * into a 500 that SDKs retry forever. The walk uses an explicit stack, so it cannot overflow itself.
 * It also notes whether any string is over Amplitude's length limit, so events that need no
 * truncation skip the copying normalisation (the hot path of ingestion).
 */
import { type EventIndexMaps, MAX_PROPERTY_DEPTH, MAX_STRING_LENGTH } from '@ampkit/protocol'

/** What the walk found in one value. */
interface WalkResult {
  tooDeep: boolean
  longString: boolean
}

function walk(value: unknown, maxDepth: number): WalkResult {
  if (typeof value === 'string')
    return { tooDeep: false, longString: value.length > MAX_STRING_LENGTH }
  if (typeof value !== 'object' || value === null) return { tooDeep: false, longString: false }
  let longString = false
  const stack: Array<{ value: object; depth: number }> = [{ value, depth: 1 }]
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!
    if (depth > maxDepth) return { tooDeep: true, longString }
    const children = Array.isArray(current) ? current : Object.values(current)
    for (const child of children) {
      if (typeof child === 'string') {
        if (child.length > MAX_STRING_LENGTH) longString = true
      } else if (typeof child === 'object' && child !== null) {
        stack.push({ value: child, depth: depth + 1 })
      }
    }
    // Keys are strings too, but Amplitude's limit (and the protocol's truncation) is on values.
  }
  return { tooDeep: false, longString }
}

/** What `inspectItems` found across a list of events (or identifications). */
export interface Inspection {
  /** Index map (`field → [indices]`) of top-level fields nested deeper than the limit. */
  tooDeep: Record<string, number[]> | undefined
  /** Indices of items holding a string value over 1,024 characters. */
  longStrings: Set<number>
}

/** Walks every item's top-level fields once. */
export function inspectItems(items: readonly unknown[], maxDepth = MAX_PROPERTY_DEPTH): Inspection {
  let tooDeep: Record<string, number[]> | undefined
  const longStrings = new Set<number>()
  items.forEach((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return
    for (const field in item) {
      const result = walk((item as Record<string, unknown>)[field], maxDepth)
      if (result.longString) longStrings.add(index)
      if (!result.tooDeep) continue
      // Null-prototype maps: a field named `__proto__` (JSON.parse makes it an own key) is kept as
      // data instead of reaching Object.prototype.
      tooDeep ??= Object.create(null) as Record<string, number[]>
      tooDeep[field] ??= []
      tooDeep[field].push(index)
    }
  })
  return { tooDeep, longStrings }
}

/** Index map of the top-level fields of `items` nested deeper than the limit, or `undefined`. */
export function tooDeepFields(
  items: readonly unknown[],
  maxDepth = MAX_PROPERTY_DEPTH,
): Record<string, number[]> | undefined {
  return inspectItems(items, maxDepth).tooDeep
}

/** Adds too-deep fields to validation findings, as invalid fields. */
export function withTooDeep(
  findings: EventIndexMaps | undefined,
  deep: Record<string, number[]> | undefined,
): EventIndexMaps | undefined {
  if (deep === undefined) return findings
  const merged: EventIndexMaps = { ...findings }
  const invalid: Record<string, number[]> = Object.assign(
    Object.create(null),
    merged.events_with_invalid_fields,
  )
  for (const [field, indices] of Object.entries(deep)) {
    invalid[field] = [...new Set([...(invalid[field] ?? []), ...indices])].sort((a, b) => a - b)
  }
  merged.events_with_invalid_fields = invalid
  return merged
}
