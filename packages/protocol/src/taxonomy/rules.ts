/**
 * @module The taxonomy rules by id, their default severities and the finding they produce. One table
 * for the tracking client's guard, the local server and `ampkit lint`, so a rule means the same thing
 * everywhere. Guidance behind them: Amplitude's data-taxonomy playbook (PascalCase or Title Case event
 * types, camelCase properties, no PII without consent, no high-cardinality names, strings under 1,024
 * characters, one level of nesting, numbers as numbers).
 */

/** How much a finding matters. `error` findings make `strict` mode refuse the event. */
export type TaxonomySeverity = 'error' | 'warning' | 'info'

/** A severity, or `off` to turn a rule off. */
export type RuleLevel = TaxonomySeverity | 'off'

/** Every taxonomy rule, with its default severity. */
export const TAXONOMY_RULES = {
  /** Event types are PascalCase object-action (`SongPlayed`) or Title Case (`Song Played`). */
  'event-type-naming': 'error',
  /** Event types that say nothing (`click`, `view`, `event`, `test`, `track`). */
  'event-type-generic': 'error',
  /** Ids, UUIDs, timestamps, numbers or emails inside an event type. */
  'high-cardinality-event-type': 'error',
  /** Property keys are camelCase. */
  'property-naming': 'error',
  /** Ids, UUIDs, timestamps or numbers inside a property key (each one becomes a new property). */
  'high-cardinality-property-key': 'error',
  /** A boolean property not named as a question (`isPaid`, `hasTrial`). */
  'boolean-property-naming': 'warning',
  /** A string longer than Amplitude keeps (it truncates to 1,024 characters). */
  'value-string-length': 'warning',
  /** An object nested more than one level deep. */
  'value-nesting-depth': 'warning',
  /** A price, count, amount or duration sent as a string. */
  'value-number-as-string': 'warning',
  /** A date-like property (`…At`, `…Date`) that is not an ISO 8601 string. */
  'value-date-format': 'warning',
  /** A property with more distinct values over a window than charts can group by. */
  'high-cardinality-values': 'warning',
  /** An email address in a value. */
  'pii-email': 'error',
  /** A phone number in a value. */
  'pii-phone': 'error',
  /** A payment card number (Luhn-valid) in a value. */
  'pii-card-number': 'error',
  /** A national id (US SSN, UK NINO) in a value. */
  'pii-national-id': 'error',
  /** An IP address in a property (the event's `ip` field is the place for it). */
  'pii-ip-address': 'error',
  /** A property whose name says it holds personal data (`email`, `phone`, `password`). */
  'pii-key': 'warning',
  /** An event type the tracking plan does not list. */
  'plan-unknown-event': 'error',
  /** A property the plan does not list for the event. */
  'plan-unknown-property': 'error',
  /** A required property is missing. */
  'plan-missing-property': 'error',
  /** A property value of the wrong type (or refused by its Standard Schema validator). */
  'plan-property-type': 'error',
  /** A line of an NDJSON file that is not a JSON object. */
  'ndjson-parse': 'error',
} as const satisfies Record<string, TaxonomySeverity>

/** A rule id, e.g. `event-type-naming` or `pii-email`. */
export type TaxonomyRuleId = keyof typeof TAXONOMY_RULES

/** Where a finding points in the event: `['event_properties', 'email']`, `['user_properties', '$set', 'plan']`. */
export type FindingPath = readonly (string | number)[]

/** One violation: which rule, how bad, on which event and property, and a message naming all three. */
export interface TaxonomyFinding {
  rule: TaxonomyRuleId
  severity: TaxonomySeverity
  /** `<rule>: event "<type>" property "<key>": <why>` (never the offending value: it may be PII). */
  message: string
  eventType: string
  /** The property key (dotted below the top level), when the finding is about one. */
  property?: string
  /** Where the value is, for redaction and fixes. */
  path?: FindingPath
}

/** Severities after per-rule overrides; `off` rules are absent from findings. */
export type RuleLevels = { readonly [R in TaxonomyRuleId]: RuleLevel }

/** The default severities with `overrides` applied. */
export function resolveRuleLevels(
  overrides: Partial<Record<TaxonomyRuleId, RuleLevel>> = {},
): RuleLevels {
  const levels = { ...TAXONOMY_RULES } as Record<TaxonomyRuleId, RuleLevel>
  for (const [rule, level] of Object.entries(overrides)) {
    if (rule in TAXONOMY_RULES && level !== undefined) levels[rule as TaxonomyRuleId] = level
  }
  return levels
}

/** True for a string that names a rule. */
export function isTaxonomyRuleId(value: string): value is TaxonomyRuleId {
  return Object.hasOwn(TAXONOMY_RULES, value)
}

/** Builds a finding with the message format every rule shares. */
export function finding(
  rule: TaxonomyRuleId,
  severity: TaxonomySeverity,
  eventType: string,
  why: string,
  property?: string,
  path?: FindingPath,
): TaxonomyFinding {
  const where =
    property === undefined
      ? `event ${JSON.stringify(eventType)}`
      : `event ${JSON.stringify(eventType)} property ${JSON.stringify(property)}`
  const out: TaxonomyFinding = { rule, severity, message: `${rule}: ${where}: ${why}`, eventType }
  if (property !== undefined) out.property = property
  if (path !== undefined) out.path = path
  return out
}
