/**
 * @module Property values and filter operators, in two renderings that must agree: `matchesFilter`
 * (TypeScript, over a `QueryEvent`, the reference) and `filterSql` (a DuckDB predicate over the `ev`
 * relation). The property tests of the engines hold them together.
 *
 * A property's values (query-api.md §3.1, conventional where unconfirmed): an array gives the string
 * forms of its non-null elements; a scalar its string form (strings as they are; numbers, booleans
 * and objects as JSON text, which is what DuckDB's `json_extract_string` returns for text written by
 * `JSON.stringify`); missing or null gives no value.
 */
import { NONE_VALUE } from '@ampkit/protocol'
import type { PropertyFilter, PropertyRef } from './ir.ts'
import type { QueryEvent } from './query-event.ts'
import type { SqlParams } from './sql-params.ts'
import { sqlString } from './time-buckets.ts'

function stringForm(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** The raw value of a property on one event (undefined when absent). */
export function propertyRaw(ref: PropertyRef, event: QueryEvent): unknown {
  switch (ref.scope) {
    case 'event':
      return event.eventProperties[ref.key]
    case 'user':
      return event.userProperties[ref.key]
    case 'column':
      return event.columns[ref.column]
    case 'extra':
      return event.extra[ref.key]
  }
}

/** The property's values on one event (see the module comment). */
export function propertyValues(ref: PropertyRef, event: QueryEvent): string[] {
  const raw = propertyRaw(ref, event)
  if (raw === undefined || raw === null) return []
  if (Array.isArray(raw)) return raw.filter((v) => v !== null && v !== undefined).map(stringForm)
  return [stringForm(raw)]
}

/** Amplitude's group-by label of one event: the first value, or `(none)`. */
export function groupLabel(ref: PropertyRef, event: QueryEvent): string {
  return propertyValues(ref, event)[0] ?? NONE_VALUE
}

/** A number when the whole text is one (the numeric operators' reading). */
function numeric(text: string): number | undefined {
  if (text.trim() === '') return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

function positiveMatch(filter: PropertyFilter, values: readonly string[]): boolean {
  const listed = filter.values
  switch (filter.op) {
    case 'is':
    case 'is not':
      return (
        values.some((v) => listed.includes(v)) ||
        (values.length === 0 && listed.includes(NONE_VALUE))
      )
    case 'contains':
    case 'does not contain': {
      const needles = listed.map((v) => v.toLowerCase())
      return values.some((v) => {
        const hay = v.toLowerCase()
        return needles.some((needle) => hay.includes(needle))
      })
    }
    case 'set is':
    case 'set is not': {
      const a = new Set(values)
      const b = new Set(listed)
      return a.size === b.size && [...a].every((v) => b.has(v))
    }
    default: {
      const bound = listed[0] === undefined ? undefined : numeric(listed[0])
      if (bound === undefined) return false
      return values.some((v) => {
        const n = numeric(v)
        if (n === undefined) return false
        if (filter.op === 'less') return n < bound
        if (filter.op === 'less or equal') return n <= bound
        if (filter.op === 'greater') return n > bound
        return n >= bound
      })
    }
  }
}

const NEGATED = new Set(['is not', 'does not contain', 'set is not'])

/** The reference semantics of one filter on one event. */
export function matchesFilter(filter: PropertyFilter, event: QueryEvent): boolean {
  const matched = positiveMatch(filter, propertyValues(filter.property, event))
  return NEGATED.has(filter.op) ? !matched : matched
}

/** `$."key"` with the key's quotes and backslashes escaped, as DuckDB's JSON paths read it. */
function jsonPath(key: string): string {
  return `$."${key.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

const JSON_COLUMN = { event: 'event_properties', user: 'user_properties', extra: 'extra' } as const

/**
 * SQL of the property's values as a `VARCHAR[]` (same rules as `propertyValues`), over alias `ev`.
 * A typed column gives a one-element list, or an empty one when null.
 */
export function propertyValuesSql(ref: PropertyRef, alias = 'ev'): string {
  if (ref.scope === 'column') {
    const column = `${alias}.${ref.column}`
    return `CASE WHEN ${column} IS NULL THEN []::VARCHAR[] ELSE [${column}] END`
  }
  const column = `${alias}.${JSON_COLUMN[ref.scope]}`
  const path = jsonPath(ref.key)
  const array = sqlString(`${path}[*]`)
  const type = `json_type(${column}, ${sqlString(path)})`
  return `(CASE WHEN ${type} IS NULL OR ${type} = 'NULL' THEN []::VARCHAR[]
      WHEN ${type} = 'ARRAY' THEN list_filter(json_extract_string(${column}, ${array}), x -> x IS NOT NULL)
      ELSE [json_extract_string(${column}, ${sqlString(path)})] END)`
}

/**
 * SQL of the property's first value, or NULL (a group-by key; the caller maps NULL to `(none)`).
 * Typed columns and scalar JSON values read directly; arrays take their first non-null element.
 */
export function propertyFirstSql(ref: PropertyRef, alias = 'ev'): string {
  if (ref.scope === 'column') return `${alias}.${ref.column}`
  return `${propertyValuesSql(ref, alias)}[1]`
}

function positiveSql(filter: PropertyFilter, params: SqlParams, alias: string): string {
  const listed = filter.values
  const values = propertyValuesSql(filter.property, alias)
  switch (filter.op) {
    case 'is':
    case 'is not': {
      const none = listed.includes(NONE_VALUE) ? ` OR len(${values}) = 0` : ''
      if (filter.property.scope === 'column') {
        const column = `${alias}.${filter.property.column}`
        return `(coalesce(${column} IN ${params.bindList(listed)}, false)${none})`
      }
      return `(list_has_any(${values}, [${listed.map((v) => params.bind(v)).join(', ')}]::VARCHAR[])${none})`
    }
    case 'contains':
    case 'does not contain': {
      const needles = `[${listed.map((v) => params.bind(v.toLowerCase())).join(', ')}]::VARCHAR[]`
      return `(len(list_filter(${values}, v -> len(list_filter(${needles}, n -> contains(lower(v), n))) > 0)) > 0)`
    }
    case 'set is':
    case 'set is not': {
      const set = `[${listed.map((v) => params.bind(v)).join(', ')}]::VARCHAR[]`
      return `(list_sort(list_distinct(${values})) = list_sort(list_distinct(${set})))`
    }
    default: {
      const bound = listed[0] === undefined ? undefined : numeric(listed[0])
      if (bound === undefined) return 'false'
      const op = { less: '<', 'less or equal': '<=', greater: '>', 'greater or equal': '>=' }[
        filter.op
      ]
      // TRY_CAST reads what `Number()` reads for the texts JSON.stringify writes; blank is not a number.
      const n = 'TRY_CAST(v AS DOUBLE)'
      return `(len(list_filter(${values}, v -> trim(v) <> '' AND isfinite(${n}) AND ${n} ${op} ${params.bind(bound)})) > 0)`
    }
  }
}

/** The DuckDB predicate of one filter over alias `ev` (same semantics as `matchesFilter`). */
export function filterSql(filter: PropertyFilter, params: SqlParams, alias = 'ev'): string {
  const positive = positiveSql(filter, params, alias)
  return NEGATED.has(filter.op) ? `(NOT ${positive})` : positive
}
