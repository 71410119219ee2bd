/**
 * @module Amplitude's Dashboard REST parameters (query-api.md §3) → the typed query representation.
 * Everything a query reads from the URL is checked here, and a bad value is a 400 naming the
 * parameter (Amplitude reportedly ignores malformed filters silently; a local server that says what
 * is wrong serves development better).
 */
import {
  BUILTIN_USER_PROPERTIES,
  type BuiltinUserProperty,
  DEFAULT_GROUP_LIMIT,
  FILTER_OPERATORS,
  type FilterOperator,
  MAX_GROUP_LIMIT,
  MAX_RANGE_DAYS,
  PERFORMED_OPERATORS,
  type PerformedOperator,
} from '@ampkit/protocol'
import { ApiError } from '../errors.ts'
import type {
  EventSelector,
  Interval,
  PropertyFilter,
  PropertyRef,
  QueryRange,
  Segment,
  SegmentCondition,
} from './ir.ts'
import { dayToWallMs, instantOfWall, isTimeZone } from './time-buckets.ts'

const DAY_MS = 86_400_000

/** A 400 answer naming what is wrong. */
export function queryError(message: string): ApiError {
  return new ApiError(400, { code: 400, error: message })
}

/** Built-in user properties and where each is kept (`ir.ts` `PropertyRef`). */
const BUILTIN_REFS: Record<BuiltinUserProperty, PropertyRef> = {
  version: { scope: 'column', column: 'version_name' },
  country: { scope: 'column', column: 'country' },
  city: { scope: 'column', column: 'city' },
  region: { scope: 'column', column: 'region' },
  DMA: { scope: 'extra', key: 'dma' },
  language: { scope: 'column', column: 'language' },
  platform: { scope: 'column', column: 'platform' },
  // Amplitude's `os` reads like "ios 8.2"; the stored name is what filters and group-bys compare.
  os: { scope: 'column', column: 'os_name' },
  device: { scope: 'column', column: 'device_model' },
  device_type: { scope: 'extra', key: 'device_type' },
  start_version: { scope: 'extra', key: 'start_version' },
  paying: { scope: 'extra', key: 'paying' },
  library: { scope: 'extra', key: 'library' },
}

function isBuiltin(name: string): name is BuiltinUserProperty {
  return (BUILTIN_USER_PROPERTIES as readonly string[]).includes(name)
}

/**
 * A property name as filters and group-bys use it: event properties by bare name; user properties
 * as `gp:<custom>` or a built-in name.
 */
export function propertyRefOf(type: 'event' | 'user', name: string, where: string): PropertyRef {
  if (typeof name !== 'string' || name === '') throw queryError(`${where}: empty property name`)
  if (type === 'event') return { scope: 'event', key: name }
  if (name.startsWith('gp:') && name.length > 3) return { scope: 'user', key: name.slice(3) }
  if (isBuiltin(name)) return BUILTIN_REFS[name]
  throw queryError(
    `${where}: unknown user property "${name}" (custom user properties take the gp: prefix)`,
  )
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw queryError(`Invalid parameter ${name}: not valid JSON`)
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function stringValues(value: unknown, where: string): string[] {
  if (!Array.isArray(value)) throw queryError(`${where}: values must be an array`)
  return value.map((v) => {
    if (typeof v === 'string') return v
    if (typeof v === 'number' || typeof v === 'boolean') return String(v)
    throw queryError(`${where}: values must be strings`)
  })
}

function operator(value: unknown, where: string): FilterOperator {
  if (!(FILTER_OPERATORS as readonly unknown[]).includes(value))
    throw queryError(`${where}: unknown operator ${JSON.stringify(value)}`)
  return value as FilterOperator
}

function parseFilter(raw: unknown, where: string): PropertyFilter {
  if (!isObject(raw)) throw queryError(`${where}: a filter must be an object`)
  const type = raw.subprop_type
  if (type !== 'event' && type !== 'user')
    throw queryError(`${where}: subprop_type must be "event" or "user"`)
  return {
    property: propertyRefOf(type, raw.subprop_key as string, where),
    op: operator(raw.subprop_op, where),
    values: stringValues(raw.subprop_value, where),
  }
}

/** The event type with Amplitude's optional custom-event prefix removed. */
function eventTypeOf(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '')
    throw queryError(`${where}: event_type is required`)
  return value.startsWith('ce:') ? value.slice(3) : value
}

/** An event object (`e`, `e2`, `se`, `re`) from its JSON value. */
export function eventSelectorOf(raw: unknown, name: string): EventSelector {
  if (!isObject(raw)) throw queryError(`Invalid parameter ${name}: expected an event object`)
  const filtersRaw = raw.filters ?? []
  if (!Array.isArray(filtersRaw))
    throw queryError(`Invalid parameter ${name}: filters must be an array`)
  const groupRaw = raw.group_by ?? []
  if (!Array.isArray(groupRaw))
    throw queryError(`Invalid parameter ${name}: group_by must be an array`)
  if (groupRaw.length > 2) throw queryError(`Invalid parameter ${name}: at most 2 group_by`)
  return {
    eventType: eventTypeOf(raw.event_type, `Invalid parameter ${name}`),
    filters: filtersRaw.map((f, i) => parseFilter(f, `Invalid parameter ${name}.filters[${i}]`)),
    groupBy: groupRaw.map((g, i) => {
      const where = `Invalid parameter ${name}.group_by[${i}]`
      if (!isObject(g) || (g.type !== 'event' && g.type !== 'user'))
        throw queryError(`${where}: expected {type: "event"|"user", value}`)
      return propertyRefOf(g.type, g.value as string, where)
    }),
  }
}

/** A required event-object parameter. */
export function eventParam(url: URL, name: string): EventSelector {
  const text = url.searchParams.get(name)
  if (text === null || text === '') throw queryError(`Missing required parameter: ${name}`)
  return eventSelectorOf(parseJson(text, name), name)
}

/** An optional event-object parameter. */
export function optionalEventParam(url: URL, name: string): EventSelector | undefined {
  const text = url.searchParams.get(name)
  return text === null || text === '' ? undefined : eventSelectorOf(parseJson(text, name), name)
}

function parseCondition(raw: unknown, where: string): SegmentCondition {
  if (!isObject(raw)) throw queryError(`${where}: a condition must be an object`)
  if (raw.type === 'event') {
    const op = raw.op
    if (!(PERFORMED_OPERATORS as readonly unknown[]).includes(op))
      throw queryError(`${where}: op must be one of ${PERFORMED_OPERATORS.join(' ')}`)
    const count = raw.value
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
      throw queryError(`${where}: value must be a non-negative integer`)
    const timeType = raw.time_type ?? 'allTime'
    if (timeType !== 'allTime' && timeType !== 'currentInterval' && timeType !== 'forEachInterval')
      throw queryError(`${where}: time_type must be allTime, currentInterval or forEachInterval`)
    return {
      kind: 'performed',
      event: eventSelectorOf({ event_type: raw.event_type, filters: raw.filters ?? [] }, where),
      op: op as PerformedOperator,
      count,
      window: { kind: timeType },
    }
  }
  const op = operator(raw.op, where)
  const values = stringValues(raw.values, where)
  if (raw.prop === 'userdata_cohort') {
    if (op !== 'is' && op !== 'is not')
      throw queryError(`${where}: userdata_cohort takes "is" or "is not"`)
    return { kind: 'cohort', cohortIds: values, negate: op === 'is not' }
  }
  return {
    kind: 'property',
    filter: { property: propertyRefOf('user', raw.prop as string, where), op, values },
  }
}

/** One segment from the JSON of an `s` parameter. */
export function segmentOf(raw: unknown, name: string): Segment {
  if (!Array.isArray(raw))
    throw queryError(`Invalid parameter ${name}: expected an array of conditions`)
  return { conditions: raw.map((c, i) => parseCondition(c, `Invalid parameter ${name}[${i}]`)) }
}

/** The segments of a query: one per `s` parameter (unconfirmed encoding), or one "all users". */
export function segmentsParam(url: URL): Segment[] {
  const texts = url.searchParams.getAll('s').filter((text) => text !== '')
  if (texts.length === 0) return [{ conditions: [] }]
  return texts.map((text, i) => segmentOf(parseJson(text, 's'), texts.length > 1 ? `s#${i}` : 's'))
}

const INTERVALS: Record<string, { interval: Interval; maxDays: number }> = {
  '1': { interval: 'day', maxDays: MAX_RANGE_DAYS.daily },
  '7': { interval: 'week', maxDays: MAX_RANGE_DAYS.daily },
  '30': { interval: 'month', maxDays: MAX_RANGE_DAYS.daily },
  '-3600000': { interval: 'hour', maxDays: MAX_RANGE_DAYS.hourly },
  '-300000': { interval: 'minute5', maxDays: MAX_RANGE_DAYS.realtime },
}

function dayParam(url: URL, name: string): string {
  const text = url.searchParams.get(name)
  if (text === null || text === '') throw queryError(`Missing required parameter: ${name}`)
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text)
  const day = match === null ? '' : `${match[1]}-${match[2]}-${match[3]}`
  if (
    match === null ||
    Number.isNaN(Date.parse(`${day}T00:00:00Z`)) ||
    new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day
  )
    throw queryError(`Invalid parameter ${name}: expected a date YYYYMMDD`)
  return day
}

/** Options of `rangeParams`. */
export interface RangeOptions {
  /** The project's time zone (IANA). */
  timeZone: string
  /** Intervals this endpoint accepts. @default all */
  intervals?: readonly Interval[]
  /** Name of the interval parameter. @default 'i' */
  intervalParam?: string
}

/** `start`, `end` (inclusive `YYYYMMDD`) and `i`, with Amplitude's range caps per interval. */
export function rangeParams(url: URL, options: RangeOptions): QueryRange {
  const startDay = dayParam(url, 'start')
  const endDay = dayParam(url, 'end')
  const name = options.intervalParam ?? 'i'
  const code = url.searchParams.get(name) ?? '1'
  const spec = INTERVALS[code === '' ? '1' : code]
  if (spec === undefined || (options.intervals && !options.intervals.includes(spec.interval)))
    throw queryError(
      `Invalid parameter ${name}: ${JSON.stringify(code)} is not an interval this endpoint takes`,
    )
  const days = (dayToWallMs(endDay) - dayToWallMs(startDay)) / DAY_MS + 1
  if (days < 1) throw queryError('Invalid parameters start/end: end is before start')
  if (days > spec.maxDays)
    throw queryError(
      `Invalid parameters start/end: at most ${spec.maxDays} days with ${name}=${code}`,
    )
  if (!isTimeZone(options.timeZone))
    throw queryError(`Unknown project time zone ${options.timeZone}`)
  return {
    startDay,
    endDay,
    timeZone: options.timeZone,
    interval: spec.interval,
    startMs: instantOfWall(dayToWallMs(startDay), options.timeZone),
    endMs: instantOfWall(dayToWallMs(endDay) + DAY_MS, options.timeZone),
  }
}

/** A user-property group-by parameter (`g`, `g2`), or undefined when absent. */
export function groupByParam(url: URL, name: string): PropertyRef | undefined {
  const value = url.searchParams.get(name)
  if (value === null || value === '') return undefined
  return propertyRefOf('user', value, `Invalid parameter ${name}`)
}

/** `limit`: how many groups to return, 1..1000, default 100. */
export function limitParam(url: URL): number {
  const text = url.searchParams.get('limit')
  if (text === null || text === '') return DEFAULT_GROUP_LIMIT
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > MAX_GROUP_LIMIT)
    throw queryError(`Invalid parameter limit: expected an integer from 1 to ${MAX_GROUP_LIMIT}`)
  return n
}

/** One of a fixed set of values, or the default when absent. */
export function choiceParam<T extends string>(
  url: URL,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = url.searchParams.get(name)
  if (value === null || value === '') return fallback
  if (!(choices as readonly string[]).includes(value))
    throw queryError(`Invalid parameter ${name}: expected one of ${choices.join(', ')}`)
  return value as T
}

/** An integer parameter within bounds, or the default when absent. */
export function integerParam(
  url: URL,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = url.searchParams.get(name)
  if (text === null || text === '') return fallback
  const n = Number(text)
  if (!/^-?\d+$/.test(text) || n < min || n > max)
    throw queryError(`Invalid parameter ${name}: expected an integer from ${min} to ${max}`)
  return n
}
