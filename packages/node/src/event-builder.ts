/**
 * @module Turns the arguments of `track`, `identify`, `groupIdentify`, `setGroup` and `revenue` into
 * events, with the same merge order as `@amplitude/analytics-node` (event, then options, then
 * properties), so the same call produces the same event.
 */
import type { BaseEvent, Event, EventOptions } from './event-types.ts'
import { Identify, type IIdentify } from './identify.ts'
import type { IRevenue } from './revenue.ts'

/** `track(type | event, properties?, options?)`. */
export function createTrackEvent(
  eventInput: BaseEvent | string,
  // biome-ignore lint/suspicious/noExplicitAny: the official signature
  eventProperties?: Record<string, any>,
  eventOptions?: EventOptions,
): Event {
  // Object.assign, not spread: V8 takes a slow path for `{ ...a, ...b }` that cost ~4 µs per event
  // in the 200,000-event burst.
  const event: Event =
    typeof eventInput === 'string'
      ? { event_type: eventInput }
      : (Object.assign({}, eventInput) as Event)
  if (eventOptions !== undefined) Object.assign(event, eventOptions)
  if (eventProperties) event.event_properties = eventProperties
  return event
}

/** `identify(identify, options?)`: an `$identify` event carrying the operations. */
export function createIdentifyEvent(identify: IIdentify, eventOptions?: EventOptions): Event {
  return { ...eventOptions, event_type: '$identify', user_properties: identify.getUserProperties() }
}

/** `groupIdentify(type, name, identify, options?)`: a `$groupidentify` event. */
export function createGroupIdentifyEvent(
  groupType: string,
  groupName: string | string[],
  identify: IIdentify,
  eventOptions?: EventOptions,
): Event {
  return {
    ...eventOptions,
    event_type: '$groupidentify',
    group_properties: identify.getUserProperties(),
    groups: { [groupType]: groupName },
  }
}

/** `setGroup(type, name, options?)`: an `$identify` that sets the group as a user property. */
export function createGroupEvent(
  groupType: string,
  groupName: string | string[],
  eventOptions?: EventOptions,
): Event {
  const identify = new Identify().set(groupType, groupName)
  return {
    ...eventOptions,
    event_type: '$identify',
    user_properties: identify.getUserProperties(),
    groups: { [groupType]: groupName },
  }
}

/** `revenue(revenue, options?)`: a `revenue_amount` event. */
export function createRevenueEvent(revenue: IRevenue, eventOptions?: EventOptions): Event {
  return {
    ...eventOptions,
    event_type: 'revenue_amount',
    event_properties: revenue.getEventProperties(),
  }
}
