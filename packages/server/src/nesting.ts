/**
 * @module A stack-safe nesting check. The protocol's validation bounds the depth of the property
 * objects (40 levels); any other field may nest arbitrarily (an unknown key holding `[[[[…]]]]`), and
 * the recursive normalisation would then overflow the stack and turn a bad request into a 500 that
 * SDKs retry forever. This check walks with an explicit stack, so it cannot overflow itself.
 */
import { type EventIndexMaps, MAX_PROPERTY_DEPTH } from '@ampkit/protocol'

/** True when `value` nests objects/arrays deeper than `maxDepth` levels. */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  const stack: Array<{ value: object; depth: number }> = [{ value, depth: 1 }]
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!
    if (depth > maxDepth) return true
    const children = Array.isArray(current) ? current : Object.values(current)
    for (const child of children) {
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: depth + 1 })
    }
  }
  return false
}

/**
 * Index map (`field → [indices]`) of the top-level fields, across `items`, that nest deeper than
 * Amplitude's property depth limit; `undefined` when none does.
 */
export function tooDeepFields(
  items: readonly unknown[],
  maxDepth = MAX_PROPERTY_DEPTH,
): Record<string, number[]> | undefined {
  let found: Record<string, number[]> | undefined
  items.forEach((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return
    for (const [field, value] of Object.entries(item)) {
      if (!nestsDeeperThan(value, maxDepth)) continue
      found ??= {}
      found[field] ??= []
      found[field].push(index)
    }
  })
  return found
}

/** Adds the too-deep fields of `items` to validation findings, as invalid fields. */
export function withTooDeep(
  findings: EventIndexMaps | undefined,
  items: readonly unknown[],
): EventIndexMaps | undefined {
  const deep = tooDeepFields(items)
  if (deep === undefined) return findings
  const merged: EventIndexMaps = { ...findings }
  const invalid = { ...merged.events_with_invalid_fields }
  for (const [field, indices] of Object.entries(deep)) {
    invalid[field] = [...new Set([...(invalid[field] ?? []), ...indices])].sort((a, b) => a - b)
  }
  merged.events_with_invalid_fields = invalid
  return merged
}
