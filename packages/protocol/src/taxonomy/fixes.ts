/**
 * @module Fixes the guard may apply instead of refusing: personal data replaced by a label
 * (`[redacted:email]`), values nested too deep flattened or stringified. Copy-on-write along each
 * finding's path, so the caller's objects are never changed.
 */
import type { TaxonomyFinding } from './rules.ts'
import { fixNesting, type NestingPolicy } from './values.ts'

/** Options of `applyTaxonomyFixes`. */
export interface FixOptions {
  /** Replace values found by the `pii-*` rules. @default false */
  redactPii?: boolean
  /** What to do with `value-nesting-depth` findings. @default 'report' (nothing) */
  nesting?: NestingPolicy
}

/** The fixed event and what was done. */
export interface FixOutcome<E> {
  /** The same object when nothing was fixed. */
  event: E
  redacted: number
  fixed: number
}

/** The label a redacted value gets, e.g. `[redacted:email]` for a `pii-email` finding. */
export function redactionLabel(finding: TaxonomyFinding): string {
  return `[redacted:${finding.rule.slice('pii-'.length)}]`
}

function copyOf(value: unknown): Record<string | number, unknown> {
  return (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >
}

/** Applies the fixes `options` ask for to `event`; untouched when there is nothing to do. */
export function applyTaxonomyFixes<E extends object>(
  event: E,
  findings: readonly TaxonomyFinding[],
  options: FixOptions,
): FixOutcome<E> {
  const nesting = options.nesting ?? 'report'
  let root: Record<string | number, unknown> | undefined
  let redacted = 0
  let fixed = 0
  // Containers already copied in this call, so two findings under one bag share one copy.
  const copies = new Set<unknown>()
  for (const f of findings) {
    const path = f.path
    if (path === undefined || path.length === 0) continue
    const redact = options.redactPii === true && f.rule.startsWith('pii-')
    const flatten = f.rule === 'value-nesting-depth' && nesting !== 'report'
    if (!redact && !flatten) continue
    root ??= copyOf(event)
    copies.add(root)
    let node = root
    let ok = true
    for (let i = 0; i < path.length - 1; i++) {
      const step = path[i] as string | number
      const child = node[step]
      if (typeof child !== 'object' || child === null) {
        ok = false
        break
      }
      if (!copies.has(child)) {
        const copy = copyOf(child)
        copies.add(copy)
        node[step] = copy
        node = copy
      } else node = child as Record<string | number, unknown>
    }
    const last = path[path.length - 1] as string | number
    if (!ok || !(last in node)) continue
    if (redact) {
      node[last] = redactionLabel(f)
      redacted++
    } else {
      node[last] = fixNesting(node[last], nesting)
      fixed++
    }
  }
  if (root === undefined || (redacted === 0 && fixed === 0)) return { event, redacted, fixed }
  return { event: root as E, redacted, fixed }
}
