/**
 * @module Naming rules for event types and property keys, as pure classifiers. The checker caches
 * their verdicts per name, so the regular expressions below run once per distinct name, not per event.
 */

/**
 * Which event-type spelling is accepted. Amplitude's guidance is PascalCase object-action
 * (`SongPlayed`); Title Case with spaces (`Song Played`) is accepted by default too, because it is
 * what Amplitude's own examples, Segment's semantic events (`Product Viewed`) and most existing
 * projects use, and renaming an event type splits its history in every chart. What the rule refuses
 * is the mix that breaks charts: `user_click`, `userClick`, `song played`.
 */
export type EventTypeStyle = 'pascal' | 'title' | 'either'

/** PascalCase of at least two words: `SongPlayed`, `URLOpened`, `Checkout2Completed`. */
const PASCAL = /^[A-Z][A-Za-z0-9]*$/
const PASCAL_WORD_BREAK = /[a-z0-9][A-Z]|[A-Z][A-Z][a-z]/
/** Title Case of at least two words, each capitalised (or a number): `Song Played`, `Step 2 Done`. */
const TITLE = /^[A-Z0-9][A-Za-z0-9]*(?: [A-Z0-9][A-Za-z0-9]*)+$/
/** A vendor prefix such as `[Amplitude] ` or `[Experiment] ` before the name proper. */
const VENDOR_PREFIX = /^\[[^\]]{1,40}\] /

/** Event types the SDKs and Amplitude generate; naming rules do not apply to them. */
const RESERVED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'revenue_amount',
  'session_start',
  'session_end',
])

/**
 * Ids, numbers, dates, UUIDs, hex digests or emails inside a name: every distinct value becomes a new
 * event type or property, which is how projects run into Amplitude's index limits.
 */
const IDENTIFIER_LIKE =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{5,}|\d{4}-\d{2}-\d{2}|[0-9a-f]{16,}|@/i

/**
 * Names (lower case, separators removed) that say nothing about what happened: single verbs or nouns
 * and placeholders. Two-word object-action names (`Button Clicked`) pass; whether an object is too
 * vague is for a tracking plan to decide.
 */
const GENERIC_NAMES: readonly string[] = [
  'click',
  'clicked',
  'tap',
  'tapped',
  'view',
  'viewed',
  'event',
  'test',
  'testevent',
  'track',
  'tracked',
  'action',
  'submit',
  'submitted',
  'open',
  'opened',
  'close',
  'page',
  'pageview',
  'screen',
  'screenview',
  'log',
  'data',
  'custom',
  'customevent',
  'myevent',
  'newevent',
  'change',
  'changed',
  'update',
  'updated',
  'load',
  'loaded',
  'interaction',
  'success',
  'error',
]

/** Builds the set of generic names, with `extra` added. */
export function genericNameSet(extra: readonly string[] = []): ReadonlySet<string> {
  return new Set([...GENERIC_NAMES, ...extra.map(normalizeName)])
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '')
}

/** True for event types Amplitude or the SDKs define (`$identify`, `revenue_amount`, `[Amplitude] …`). */
export function isReservedEventType(eventType: string): boolean {
  return (
    eventType.charCodeAt(0) === 36 /* $ */ ||
    RESERVED_EVENT_TYPES.has(eventType) ||
    eventType.startsWith('[Amplitude] ')
  )
}

/** The naming rule an event type breaks, or `undefined` when it is well named. */
export function eventTypeNamingRule(
  eventType: string,
  style: EventTypeStyle,
  generic: ReadonlySet<string>,
): 'high-cardinality-event-type' | 'event-type-generic' | 'event-type-naming' | undefined {
  if (IDENTIFIER_LIKE.test(eventType)) return 'high-cardinality-event-type'
  const name = eventType.replace(VENDOR_PREFIX, '')
  if (generic.has(normalizeName(name))) return 'event-type-generic'
  const pascal = PASCAL.test(name) && PASCAL_WORD_BREAK.test(name)
  if (style === 'pascal') return pascal ? undefined : 'event-type-naming'
  const title = TITLE.test(name)
  if (style === 'title') return title ? undefined : 'event-type-naming'
  return pascal || title ? undefined : 'event-type-naming'
}

/** What each style asks for, for messages. */
export function eventTypeStyleHint(style: EventTypeStyle): string {
  if (style === 'pascal') return 'use PascalCase object-action, e.g. SongPlayed'
  if (style === 'title') return 'use Title Case object-action, e.g. "Song Played"'
  return 'use PascalCase object-action (SongPlayed) or Title Case ("Song Played"), consistently'
}

const CAMEL = /^[a-z][a-zA-Z0-9]*$/
/** Amplitude's and the ad networks' own snake_case attribution properties. */
const BUILT_IN_KEYS =
  /^(?:initial_)?(?:utm_(?:source|medium|campaign|term|content|id)|gclid|fbclid|dclid|msclkid|ttclid|wbraid|gbraid|referrer|referring_domain)$/
const BOOLEAN_NAME =
  /^(?:is|has|had|can|could|should|was|were|did|does|do|will|needs|allows|allow|uses|supports|show|shows|hide|enabled|disabled|opted|accepts|accepted|wants|requires)(?:[A-Z0-9]|$)|^(?:enabled|disabled|active|visible|verified|paid|consented|subscribed|success|succeeded)$/

/** The naming rule a property key breaks, or `undefined`. Keys starting `$` or `[` are Amplitude's. */
export function propertyKeyNamingRule(
  key: string,
  allowed: ReadonlySet<string>,
): 'high-cardinality-property-key' | 'property-naming' | undefined {
  const first = key.charCodeAt(0)
  if (first === 36 /* $ */ || first === 91 /* [ */ || allowed.has(key)) return undefined
  if (IDENTIFIER_LIKE.test(key)) return 'high-cardinality-property-key'
  if (CAMEL.test(key) || BUILT_IN_KEYS.test(key)) return undefined
  return 'property-naming'
}

/** True when a key reads as a yes/no question, as booleans should (`isPaid`, `hasTrial`). */
export function isBooleanName(key: string): boolean {
  return key.charCodeAt(0) === 36 || BOOLEAN_NAME.test(key)
}
