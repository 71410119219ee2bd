/**
 * @module Reading an ampkit behavioral cohort definition (`CohortDefinition` of `@ampkit/protocol`,
 * analytics-semantics.md §1.5) from untrusted JSON: every malformed part is refused with a message
 * that names its path, so the route answers a clear 400. Also the time-window arithmetic shared by
 * the SQL compiler and the reference evaluator.
 */
import {
  type CohortCondition,
  type CohortDefinition,
  type CohortPerformedCondition,
  type CohortPropertyCondition,
  type CohortTimeWindow,
  FILTER_OPERATORS,
  type FilterOperator,
  PERFORMED_OPERATORS,
  type PerformedOperator,
  type WireEventFilter,
} from '@ampkit/protocol'
import { ApiError } from '../errors.ts'
import type { EventSelector, PropertyFilter, PropertyRef } from '../query/ir.ts'
import { eventSelectorOf, propertyRefOf } from '../query/params.ts'

/** A definition that cannot be used; the message names the offending path. */
export class CohortDefinitionError extends Error {
  override name = 'CohortDefinitionError' as const
  readonly code = 'E_COHORT_DEFINITION' as const
}

const DAY_MS = 24 * 60 * 60 * 1000

/** Deepest condition tree accepted (bounds the recursion of compiling and evaluating it). */
export const MAX_CONDITION_DEPTH = 16
/** Most leaf conditions in one definition (bounds the SQL it compiles to). */
export const MAX_CONDITIONS = 64
/** Most values of one filter or property condition. */
const MAX_VALUES = 1000
/** Longest `last_days` window (Amplitude's longest query range). */
const MAX_WINDOW_DAYS = 365 * 10

const SUPPORTED_OPERATORS: readonly FilterOperator[] = FILTER_OPERATORS
const NUMERIC_OPERATORS: ReadonlySet<FilterOperator> = new Set([
  'less',
  'less or equal',
  'greater',
  'greater or equal',
])

/** What a numeric operator's bound must look like (a plain decimal number). */
const NUMERIC_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/

/** True for the four numeric comparison operators. */
export function isNumericOperator(op: FilterOperator): boolean {
  return NUMERIC_OPERATORS.has(op)
}

function fail(path: string, message: string): never {
  throw new CohortDefinitionError(`${path}: ${message}`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function nonEmptyString(value: unknown, path: string, maxLength = 1024): string {
  if (typeof value !== 'string' || value.trim() === '') fail(path, 'expected a non-empty string')
  if (value.length > maxLength) fail(path, `longer than ${maxLength} characters`)
  return value
}

const DAY_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/

/** `YYYY-MM-DD` → ms at 00:00 UTC, or undefined when not a real calendar day. */
export function parseDay(text: string): number | undefined {
  const match = DAY_TEXT.exec(text)
  if (match === null) return undefined
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  return new Date(ms).toISOString().slice(0, 10) === text ? ms : undefined
}

function readWindow(value: unknown, path: string): CohortTimeWindow {
  if (!isObject(value)) fail(path, 'expected a window object')
  if (value.type === 'between') {
    const start = nonEmptyString(value.start, `${path}.start`, 10)
    const end = nonEmptyString(value.end, `${path}.end`, 10)
    const startMs = parseDay(start)
    const endMs = parseDay(end)
    if (startMs === undefined) fail(`${path}.start`, 'expected a day YYYY-MM-DD')
    if (endMs === undefined) fail(`${path}.end`, 'expected a day YYYY-MM-DD')
    if (endMs < startMs) fail(path, 'end is before start')
    return { type: 'between', start, end }
  }
  if (value.type === 'last_days') {
    const days = value.days
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_WINDOW_DAYS)
      fail(`${path}.days`, `expected an integer from 1 to ${MAX_WINDOW_DAYS}`)
    return { type: 'last_days', days }
  }
  return fail(`${path}.type`, 'expected "between" or "last_days"')
}

/** `[fromMs, toMs)`: the events a window covers, for a computation at `nowMs`. */
export function windowBounds(window: CohortTimeWindow, nowMs: number): [number, number] {
  if (window.type === 'between') {
    return [parseDay(window.start)!, parseDay(window.end)! + DAY_MS]
  }
  // Rolling days ending at the computation; `now` itself is included.
  return [nowMs - window.days * DAY_MS, nowMs + 1]
}

function readOperator(value: unknown, path: string): FilterOperator {
  if (typeof value === 'string' && (SUPPORTED_OPERATORS as readonly string[]).includes(value))
    return value as FilterOperator
  return fail(path, `expected one of ${SUPPORTED_OPERATORS.join(', ')}`)
}

function readValues(value: unknown, op: FilterOperator, path: string): string[] {
  if (!Array.isArray(value) || value.length === 0) fail(path, 'expected a non-empty array')
  if (value.length > MAX_VALUES) fail(path, `more than ${MAX_VALUES} values`)
  const values = value.map((item, index) => {
    if (typeof item === 'number' && Number.isFinite(item)) return String(item)
    if (typeof item !== 'string') fail(`${path}[${index}]`, 'expected a string')
    return item
  })
  if (isNumericOperator(op) && !NUMERIC_TEXT.test(values[0]!))
    fail(`${path}[0]`, `"${op}" compares with a number`)
  return values
}

function readFilter(value: unknown, path: string): WireEventFilter {
  if (!isObject(value)) fail(path, 'expected a filter object')
  const type = value.subprop_type
  if (type !== 'event' && type !== 'user')
    fail(`${path}.subprop_type`, 'expected "event" or "user"')
  const key = nonEmptyString(value.subprop_key, `${path}.subprop_key`)
  const op = readOperator(value.subprop_op, `${path}.subprop_op`)
  return {
    subprop_type: type,
    subprop_key: key,
    subprop_op: op,
    subprop_value: readValues(value.subprop_value, op, `${path}.subprop_value`),
  }
}

interface Budget {
  leaves: number
}

function readCondition(
  value: unknown,
  path: string,
  depth: number,
  budget: Budget,
): CohortCondition {
  if (depth > MAX_CONDITION_DEPTH) fail(path, `nested deeper than ${MAX_CONDITION_DEPTH}`)
  if (!isObject(value)) fail(path, 'expected a condition object')
  const readLeaf = <T>(leaf: T): T => {
    budget.leaves += 1
    if (budget.leaves > MAX_CONDITIONS) fail(path, `more than ${MAX_CONDITIONS} conditions`)
    return leaf
  }
  switch (value.type) {
    case 'and':
    case 'or': {
      const list = value.conditions
      if (!Array.isArray(list) || list.length === 0)
        fail(`${path}.conditions`, 'expected a non-empty array')
      const conditions: CohortCondition[] = list.map((item, index) =>
        readCondition(item, `${path}.conditions[${index}]`, depth + 1, budget),
      )
      return { type: value.type, conditions } satisfies CohortCondition
    }
    case 'not':
      return {
        type: 'not',
        condition: readCondition(value.condition, `${path}.condition`, depth + 1, budget),
      } satisfies CohortCondition
    case 'performed': {
      const eventType = nonEmptyString(value.event_type, `${path}.event_type`)
      const op = value.op
      if (typeof op !== 'string' || !(PERFORMED_OPERATORS as readonly string[]).includes(op))
        fail(`${path}.op`, `expected one of ${PERFORMED_OPERATORS.join(', ')}`)
      const count = value.count
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
        fail(`${path}.count`, 'expected a non-negative integer')
      const filters = value.filters ?? []
      if (!Array.isArray(filters)) fail(`${path}.filters`, 'expected an array')
      if (filters.length > MAX_CONDITIONS) fail(`${path}.filters`, 'too many filters')
      const performed: CohortPerformedCondition = {
        type: 'performed',
        event_type: eventType,
        filters: filters.map((f, index) => readFilter(f, `${path}.filters[${index}]`)),
        op: op as PerformedOperator,
        count,
        window: readWindow(value.window, `${path}.window`),
      }
      performedSelector(performed, path)
      return readLeaf(performed)
    }
    case 'property': {
      const key = nonEmptyString(value.key, `${path}.key`)
      const op = readOperator(value.op, `${path}.op`)
      const mode = value.mode
      if (mode !== 'most_recent' && mode !== 'any_time')
        fail(`${path}.mode`, 'expected "most_recent" or "any_time"')
      const condition: CohortCondition = {
        type: 'property',
        key,
        op,
        values: readValues(value.values, op, `${path}.values`),
        mode,
      }
      if (mode === 'any_time') condition.window = readWindow(value.window, `${path}.window`)
      else if (value.window !== undefined)
        fail(`${path}.window`, '"most_recent" reads the latest event and takes no window')
      propertyFilterOf(condition)
      return readLeaf(condition)
    }
    case 'in_cohort':
      return readLeaf({
        type: 'in_cohort',
        cohort_id: nonEmptyString(value.cohort_id, `${path}.cohort_id`, 64),
      } satisfies CohortCondition)
    default:
      return fail(`${path}.type`, 'expected one of and, or, not, performed, property, in_cohort')
  }
}

/** Reads and checks a definition. Throws `CohortDefinitionError` naming the bad part. */
export function parseCohortDefinition(value: unknown): CohortDefinition {
  if (!isObject(value)) fail('definition', 'expected an object')
  if (value.version !== undefined && value.version !== 1) fail('definition.version', 'expected 1')
  const condition = readCondition(value.condition, 'definition.condition', 1, { leaves: 0 })
  const group = value.count_group
  if (group === undefined || group === null) return { version: 1, condition }
  const countGroup = nonEmptyString(group, 'definition.count_group')
  // `User` in any case is the default, users (as the upload's `cg`).
  if (countGroup.toLowerCase() === 'user') return { version: 1, condition }
  return { version: 1, condition, count_group: countGroup }
}

/** The count group of a definition: `User` or its group type. */
export function definitionCountGroup(definition: CohortDefinition): string {
  return definition.count_group ?? 'User'
}

/** `users` or `<type> groups`, for messages. */
export function countGroupNoun(countGroup: string): string {
  return countGroup === 'User' ? 'users' : `${countGroup} groups`
}

/** The cohort ids a condition refers to (`in_cohort`), without repeats. */
export function referencedCohorts(condition: CohortCondition): string[] {
  const out = new Set<string>()
  const walk = (c: CohortCondition): void => {
    if (c.type === 'and' || c.type === 'or') c.conditions.forEach(walk)
    else if (c.type === 'not') walk(c.condition)
    else if (c.type === 'in_cohort') out.add(c.cohort_id)
  }
  walk(condition)
  return [...out]
}

/** How an `in_cohort` reference resolves: a stored member list, or another definition. */
export type CohortReference =
  /** `countGroup`: `User` or the group type of the stored members. @default 'User' */
  | { kind: 'static'; countGroup?: string }
  | { kind: 'behavioral'; definition: CohortDefinition }
  | undefined

/**
 * Throws when `definition` (of cohort `selfId`) refers, directly or through other behavioral
 * cohorts, to itself, or to a cohort that does not exist.
 */
export function assertNoCycle(
  selfId: string,
  definition: CohortDefinition,
  resolve: (cohortId: string) => CohortReference,
): void {
  const visiting = new Set<string>([selfId])
  const done = new Set<string>()
  const visit = (condition: CohortCondition, path: string[]): void => {
    for (const id of referencedCohorts(condition)) {
      if (visiting.has(id))
        throw new CohortDefinitionError(`in_cohort: cycle ${[...path, id].join(' → ')}`)
      if (done.has(id)) continue
      const reference = id === selfId ? undefined : resolve(id)
      if (reference === undefined)
        throw new CohortDefinitionError(`in_cohort: no cohort with id ${id}`)
      if (reference.kind === 'behavioral') {
        visiting.add(id)
        visit(reference.definition.condition, [...path, id])
        visiting.delete(id)
      }
      done.add(id)
    }
  }
  visit(definition.condition, [selfId])
}

/** The query core's reading of a wire part; its 400 becomes a definition error naming `path`. */
function viaQueryCore<T>(path: string, read: () => T): T {
  try {
    return read()
  } catch (error) {
    if (error instanceof ApiError)
      throw new CohortDefinitionError(`${path}: ${String(error.body.error)}`, { cause: error })
    throw error
  }
}

/** The shared query core's event selector of a "performed" condition (`ce:` removed). */
export function performedSelector(
  condition: CohortPerformedCondition,
  path = 'performed',
): EventSelector {
  return viaQueryCore(path, () =>
    eventSelectorOf({ event_type: condition.event_type, filters: condition.filters ?? [] }, path),
  )
}

/**
 * The user property a "had property" condition reads: `gp:<custom>`, a built-in name, or a bare
 * name that is not built in, read as a custom property.
 */
function userPropertyRef(key: string): PropertyRef {
  if (key.startsWith('gp:')) return viaQueryCore('key', () => propertyRefOf('user', key, 'key'))
  try {
    return propertyRefOf('user', key, 'key')
  } catch {
    return { scope: 'user', key }
  }
}

/** The shared query core's filter of a "had property" condition. */
export function propertyFilterOf(condition: CohortPropertyCondition): PropertyFilter {
  return { property: userPropertyRef(condition.key), op: condition.op, values: condition.values }
}
