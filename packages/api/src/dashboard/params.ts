/**
 * @module Parameters of the Dashboard REST API (query-api.md §3), checked before anything is sent:
 * each check throws a `ParameterError` naming the operation and the parameter (`segmentation: limit
 * must be an integer 1..1000, got 0`). Encodes the JSON parameters (`e`, `s`, …) as the API reads them.
 */
import {
  FILTER_OPERATORS,
  INTERVALS,
  type IntervalCode,
  MAX_GROUP_LIMIT,
  MAX_RANGE_DAYS,
  PERFORMED_OPERATORS,
  type WireEventObject,
  type WireSegment,
} from '@ampkit/protocol'
import { ParameterError } from '../errors.ts'

/** A calendar day: a `Date` (its UTC day) or `YYYYMMDD`. Dashboard days are the project's days (§1.3). */
export type DayInput = Date | string

/** An event: its type (`'Play Song'`, `'_active'`) or a full event object with filters and group-bys. */
export type EventInput = string | WireEventObject

const DAY_MS = 86_400_000
const DAY_PATTERN = /^(\d{4})(\d{2})(\d{2})$/

/** Collects query parameters in order, with the operation name for errors. */
export class QueryBuilder {
  readonly operation: string
  readonly params: [string, string][] = []

  constructor(operation: string) {
    this.operation = operation
  }

  fail(parameter: string, message: string): never {
    throw new ParameterError(this.operation, parameter, message)
  }

  add(name: string, value: string | number): this {
    this.params.push([name, String(value)])
    return this
  }

  /** `YYYYMMDD` of a day, and its number since the epoch for range checks. */
  day(parameter: string, value: DayInput): number {
    let ms: number
    if (value instanceof Date) {
      ms = value.getTime()
      if (Number.isNaN(ms)) this.fail(parameter, 'is an invalid Date')
      ms = Math.floor(ms / DAY_MS) * DAY_MS
    } else {
      const match = typeof value === 'string' ? DAY_PATTERN.exec(value) : null
      if (match === null)
        this.fail(parameter, `must be a Date or YYYYMMDD, got ${JSON.stringify(value)}`)
      const [year, month, day] = match.slice(1).map(Number) as [number, number, number]
      ms = Date.UTC(year, month - 1, day)
      const check = new Date(ms)
      if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
        this.fail(parameter, `is not a real day: ${value}`)
    }
    const iso = new Date(ms).toISOString()
    this.add(parameter, `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`)
    return ms / DAY_MS
  }

  /** `start` and `end` (inclusive); returns the number of days covered. */
  range(start: DayInput, end: DayInput): number {
    const first = this.day('start', start)
    const last = this.day('end', end)
    if (last < first) this.fail('end', 'is before start')
    return last - first + 1
  }

  /** `i`: one of the interval codes, within that interval's longest range (§3.3). */
  interval(value: number | undefined, days: number, allowed: readonly number[] = INTERVALS): void {
    if (value === undefined) {
      if (days > MAX_RANGE_DAYS.daily)
        this.fail('end', `makes the range ${days} days; daily queries cover at most 365`)
      return
    }
    if (!allowed.includes(value))
      this.fail('interval', `must be one of ${allowed.join(', ')}, got ${String(value)}`)
    const cap =
      value === -3_600_000
        ? MAX_RANGE_DAYS.hourly
        : value === -300_000
          ? MAX_RANGE_DAYS.realtime
          : value === 1
            ? MAX_RANGE_DAYS.daily
            : Number.POSITIVE_INFINITY
    if (days > cap)
      this.fail('interval', `${value} covers at most ${cap} days; the range has ${days}`)
    this.add('i', value)
  }

  /** `limit`: group-by values returned, 1..1000. */
  limit(value: number | undefined): void {
    if (value === undefined) return
    if (!Number.isInteger(value) || value < 1 || value > MAX_GROUP_LIMIT)
      this.fail('limit', `must be an integer 1..${MAX_GROUP_LIMIT}, got ${String(value)}`)
    this.add('limit', value)
  }

  positiveInteger(parameter: string, wireName: string, value: number | undefined): void {
    if (value === undefined) return
    if (!Number.isSafeInteger(value) || value < 1)
      this.fail(parameter, `must be an integer >= 1, got ${String(value)}`)
    this.add(wireName, value)
  }

  /** An event object as JSON, validated. */
  event(parameter: string, wireName: string, input: EventInput, maxGroupBys = 2): WireEventObject {
    const event: WireEventObject = typeof input === 'string' ? { event_type: input } : input
    if (typeof event?.event_type !== 'string' || event.event_type.trim() === '')
      this.fail(parameter, 'needs a non-empty event_type')
    for (const [i, filter] of (event.filters ?? []).entries()) {
      const where = `${parameter}.filters[${i}]`
      if (filter.subprop_type !== 'event' && filter.subprop_type !== 'user')
        this.fail(where, `subprop_type must be 'event' or 'user'`)
      if (typeof filter.subprop_key !== 'string' || filter.subprop_key === '')
        this.fail(where, 'needs a subprop_key')
      if (!FILTER_OPERATORS.includes(filter.subprop_op))
        this.fail(where, `subprop_op must be one of ${FILTER_OPERATORS.join(', ')}`)
      if (!Array.isArray(filter.subprop_value) || filter.subprop_value.length === 0)
        this.fail(where, 'subprop_value must be a non-empty array of strings')
    }
    const groupBys = event.group_by ?? []
    if (groupBys.length > maxGroupBys)
      this.fail(
        `${parameter}.group_by`,
        `takes at most ${maxGroupBys} properties, got ${groupBys.length}`,
      )
    for (const [i, groupBy] of groupBys.entries()) {
      if ((groupBy.type !== 'event' && groupBy.type !== 'user') || !groupBy.value)
        this.fail(`${parameter}.group_by[${i}]`, `must be {type: 'event'|'user', value}`)
    }
    this.add(wireName, JSON.stringify(event))
    return event
  }

  /** One `s` per segment (§3.2: several segments repeat `s`, one series each). */
  segments(segments: readonly WireSegment[] | undefined): number {
    if (segments === undefined) return 0
    if (!Array.isArray(segments)) this.fail('segments', 'must be an array of segments')
    for (const [k, segment] of segments.entries()) {
      if (!Array.isArray(segment))
        this.fail(`segments[${k}]`, 'must be an array of conditions (an empty one is all users)')
      for (const [i, condition] of segment.entries()) {
        const where = `segments[${k}][${i}]`
        if ('prop' in condition) {
          if (typeof condition.prop !== 'string' || condition.prop === '')
            this.fail(where, 'needs a prop')
          if (!FILTER_OPERATORS.includes(condition.op))
            this.fail(where, `op must be one of ${FILTER_OPERATORS.join(', ')}`)
          if (!Array.isArray(condition.values)) this.fail(where, 'values must be an array')
        } else if (condition.type === 'event') {
          if (!condition.event_type) this.fail(where, 'needs an event_type')
          if (!PERFORMED_OPERATORS.includes(condition.op))
            this.fail(where, `op must be one of ${PERFORMED_OPERATORS.join(', ')}`)
          if (!Number.isInteger(condition.value) || condition.value < 0)
            this.fail(where, 'value must be a count >= 0')
        } else {
          this.fail(
            where,
            `must be a property condition {prop, op, values} or a "who performed" condition`,
          )
        }
      }
      this.add('s', JSON.stringify(segment))
    }
    return segments.length
  }

  /** `g` (and `g2`): group-by properties, only with at most one segment (§3.2). */
  groupBy(value: string | readonly string[] | undefined, max: number, segmentCount: number): void {
    if (value === undefined) return
    const list = typeof value === 'string' ? [value] : [...value]
    if (list.length > max)
      this.fail(
        'groupBy',
        `takes at most ${max} ${max === 1 ? 'property' : 'properties'}, got ${list.length}`,
      )
    if (list.some((g) => typeof g !== 'string' || g === ''))
      this.fail('groupBy', 'needs non-empty property names')
    if (list.length > 0 && segmentCount > 1)
      this.fail('groupBy', 'works with a single segment only')
    list.forEach((g, i) => {
      this.add(i === 0 ? 'g' : `g${i + 1}`, g)
    })
  }
}

export type { IntervalCode }
