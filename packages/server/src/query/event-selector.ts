/**
 * @module Which events an event object selects (query-api.md §3.1), in the reference rendering
 * (`matchesEvent`) and the SQL one (`eventSql`). `_new` selects a user's first-ever event, so its SQL
 * needs the `is_first` column (`queryEventsCte(where, { firstEventFlag: true })`) and its reference
 * needs every event of the user (`firstEventSeqs`).
 */
import type { EventSelector } from './ir.ts'
import { filterSql, matchesFilter } from './property-filter.ts'
import { INACTIVE_EVENT_TYPES, type QueryEvent } from './query-event.ts'
import type { SqlParams } from './sql-params.ts'

/** The `seq` of each user's first event (by time, then append order). */
export function firstEventSeqs(events: readonly QueryEvent[]): ReadonlySet<number> {
  const first = new Map<number, QueryEvent>()
  for (const event of events) {
    const seen = first.get(event.userKey)
    if (
      seen === undefined ||
      event.timeMs < seen.timeMs ||
      (event.timeMs === seen.timeMs && event.seq < seen.seq)
    ) {
      first.set(event.userKey, event)
    }
  }
  return new Set([...first.values()].map((event) => event.seq))
}

/** True when the selector uses `_new` (its SQL then needs `is_first`). */
export function needsFirstEventFlag(selectors: readonly EventSelector[]): boolean {
  return selectors.some((selector) => selector.eventType === '_new')
}

function typeMatches(eventType: string, event: QueryEvent, firstSeqs?: ReadonlySet<number>) {
  switch (eventType) {
    case '_all':
      return true
    case '_active':
      return !INACTIVE_EVENT_TYPES.includes(event.eventType)
    case '_new':
      if (firstSeqs === undefined) throw new Error('_new needs the users\u2019 first events')
      return firstSeqs.has(event.seq)
    case 'revenue_amount':
    case 'verified_revenue':
    case 'unverified_revenue':
      return event.revenue !== null
    default:
      return event.eventType === eventType
  }
}

/** The reference semantics: does `event` match the selector (type and every filter)? */
export function matchesEvent(
  selector: EventSelector,
  event: QueryEvent,
  firstSeqs?: ReadonlySet<number>,
): boolean {
  return (
    typeMatches(selector.eventType, event, firstSeqs) &&
    selector.filters.every((filter) => matchesFilter(filter, event))
  )
}

function typeSql(eventType: string, params: SqlParams, alias: string): string {
  switch (eventType) {
    case '_all':
      return 'true'
    case '_active':
      return `${alias}.event_type NOT IN ${params.bindList(INACTIVE_EVENT_TYPES)}`
    case '_new':
      return `${alias}.is_first`
    case 'revenue_amount':
    case 'verified_revenue':
    case 'unverified_revenue':
      return `${alias}.revenue IS NOT NULL`
    default:
      return `${alias}.event_type = ${params.bind(eventType)}`
  }
}

/** The DuckDB predicate of the selector over alias `ev`. */
export function eventSql(selector: EventSelector, params: SqlParams, alias = 'ev'): string {
  return [
    typeSql(selector.eventType, params, alias),
    ...selector.filters.map((f) => filterSql(f, params, alias)),
  ]
    .map((part) => `(${part})`)
    .join(' AND ')
}
