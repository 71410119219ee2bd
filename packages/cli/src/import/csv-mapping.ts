/**
 * @module The column mapping of CSV imports. Syntax (`--map`, comma-separated, repeatable):
 * `TARGET=COLUMN`, where TARGET is an event field (`event_type`, `user_id`, `time`, `revenue`, …) or
 * `event_properties.KEY` / `user_properties.KEY` / `groups.KEY`, and a `*` in both sides maps a whole
 * family: `event_properties.*=prop_*` turns column `prop_color` into property `color`.
 * A column named like an event field maps to it unless mapped elsewhere; every other column becomes
 * an event property (or is dropped with `unmapped: 'ignore'`). Empty cells are left out.
 */
import { EVENT_SCALAR_FIELDS } from '@ampkit/protocol'
import { usageError } from '../cli-error.ts'

/** Fields whose CSV text is read as a number (the rest of the event's own fields are strings). */
const NUMERIC_FIELDS = new Set([
  'session_id',
  'event_id',
  'price',
  'quantity',
  'revenue',
  'location_lat',
  'location_lng',
])

/** Top-level event fields a same-named column maps to by default. */
const EVENT_FIELDS: ReadonlySet<string> = new Set(EVENT_SCALAR_FIELDS)

const NESTED = new Set(['event_properties', 'user_properties', 'groups'])

type Target = { field: string; key?: string }

interface Rule {
  target: Target
  /** Exact column, or a glob prefix/suffix when `wildcard`. */
  column: string
  wildcard?: { prefix: string; suffix: string }
}

/** What to do with columns no rule names. */
export type UnmappedPolicy = 'properties' | 'ignore'

/** A compiled mapping for one header row. */
export interface CsvMapping {
  /** Builds the event object for a row's cells. */
  toObject(cells: readonly string[]): Record<string, unknown>
}

function parseTarget(text: string): Target {
  const dot = text.indexOf('.')
  if (dot === -1) return { field: text }
  const field = text.slice(0, dot)
  if (!NESTED.has(field))
    throw usageError(
      `--map: '${text}' must be a field or event_properties./user_properties./groups.KEY`,
    )
  return { field, key: text.slice(dot + 1) }
}

/** Parses `--map` values (`TARGET=COLUMN,…`). */
export function parseMapRules(values: readonly string[]): Rule[] {
  const rules: Rule[] = []
  for (const value of values)
    for (const entry of value.split(',')) {
      const text = entry.trim()
      if (text === '') continue
      const at = text.indexOf('=')
      if (at <= 0 || at === text.length - 1)
        throw usageError(`--map takes TARGET=COLUMN, got '${text}'`)
      const target = parseTarget(text.slice(0, at).trim())
      const column = text.slice(at + 1).trim()
      const targetStar = target.key === '*'
      const star = column.indexOf('*')
      if (targetStar !== (star !== -1))
        throw usageError(
          `--map: a * must be on both sides, as in event_properties.*=prop_*: '${text}'`,
        )
      if (star !== -1 && column.indexOf('*', star + 1) !== -1)
        throw usageError(`--map: one * per column pattern: '${text}'`)
      rules.push(
        star === -1
          ? { target, column }
          : {
              target,
              column,
              wildcard: { prefix: column.slice(0, star), suffix: column.slice(star + 1) },
            },
      )
    }
  return rules
}

function cellValue(field: string, cell: string, infer: boolean): unknown {
  if (NUMERIC_FIELDS.has(field)) {
    const n = Number(cell)
    return Number.isFinite(n) ? n : cell
  }
  if (field === 'event_properties' || field === 'user_properties')
    return infer ? inferValue(cell) : cell
  return cell
}

/**
 * A property cell's value: `true`/`false` as booleans and plain decimal numbers as numbers (not
 * `007` or `1e5`, which are more often codes than quantities); everything else stays a string.
 */
export function inferValue(cell: string): unknown {
  if (cell === 'true') return true
  if (cell === 'false') return false
  if (/^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(cell)) return Number(cell)
  return cell
}

/** Compiles the rules for a header row. */
export function compileCsvMapping(
  header: readonly string[],
  rules: readonly Rule[],
  options: { unmapped: UnmappedPolicy; inferTypes: boolean },
): CsvMapping {
  const targets: (Target | undefined)[] = header.map(() => undefined)
  const explicit = new Set<string>()
  for (const rule of rules) {
    if (rule.target.key === undefined || rule.target.key !== '*')
      explicit.add(`${rule.target.field}.${rule.target.key ?? ''}`)
    let matched = false
    header.forEach((name, index) => {
      if (rule.wildcard === undefined) {
        if (name !== rule.column) return
        targets[index] = rule.target
        matched = true
        return
      }
      const { prefix, suffix } = rule.wildcard
      if (name.length < prefix.length + suffix.length) return
      if (!name.startsWith(prefix) || !name.endsWith(suffix)) return
      if (targets[index] !== undefined) return
      const key = name.slice(prefix.length, name.length - suffix.length)
      if (key === '') return
      targets[index] = { field: rule.target.field, key }
      matched = true
    })
    if (!matched && rule.wildcard === undefined)
      throw usageError(`--map: no column '${rule.column}' in the header (${header.join(', ')})`)
  }
  header.forEach((name, index) => {
    if (targets[index] !== undefined) return
    if (EVENT_FIELDS.has(name) && !explicit.has(`${name}.`)) targets[index] = { field: name }
    else if (options.unmapped === 'properties')
      targets[index] = { field: 'event_properties', key: name }
  })
  return {
    toObject(cells) {
      const event: Record<string, unknown> = {}
      for (let i = 0; i < targets.length; i++) {
        const target = targets[i]
        const cell = cells[i]
        if (target === undefined || cell === undefined || cell === '') continue
        const value = cellValue(target.field, cell, options.inferTypes)
        if (target.key === undefined) event[target.field] = value
        else {
          let nested = event[target.field] as Record<string, unknown> | undefined
          if (nested === undefined) {
            nested = {}
            event[target.field] = nested
          }
          nested[target.key] = value
        }
      }
      return event
    },
  }
}
