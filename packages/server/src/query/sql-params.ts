/**
 * @module Numbered parameters (`$1`, `$2`, …) collected while SQL text is assembled. Numbered, not
 * `?`, so pieces (CTEs, predicates) can be built in any order and still bind the right values.
 */
import type { SqlValue } from '../store/store.ts'

/** Collects parameter values; `bind(v)` returns the placeholder to put in the text. */
export class SqlParams {
  readonly values: SqlValue[] = []

  bind(value: SqlValue): string {
    this.values.push(value)
    return `$${this.values.length}`
  }

  /** `($1, $2, …)`; `(NULL)` for an empty list, which matches nothing with `IN`. */
  bindList(values: readonly SqlValue[]): string {
    if (values.length === 0) return '(NULL)'
    return `(${values.map((v) => this.bind(v)).join(', ')})`
  }
}
