/**
 * @module Typed tracking plans: one plan of events and their properties gives compile-time types (a
 * wrong property name or type is a compile error) and a cheap runtime check that runs in every
 * environment, unlike Ampli (no runtime check) and Typewriter (development builds only). Properties
 * are plain descriptors (`'string'`, `{ type: 'number', required: true }`) or any Standard Schema
 * validator (zod, valibot, arktype); a whole event may also be one Standard Schema validator.
 */
import type { IdentifyPayload, PropertyValue } from '../wire.ts'
import { isReservedEventType } from './naming.ts'
import { finding, TAXONOMY_RULES, type TaxonomyFinding } from './rules.ts'
import {
  isStandardSchema,
  type StandardSchemaInput,
  type StandardSchemaResult,
  type StandardSchemaV1,
} from './standard-schema.ts'

/** The value types a plain descriptor can name. */
export type PropertyType =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'string[]'
  | 'number[]'
  | 'object'
  | 'object[]'
  | 'any'

/** How Amplitude's Taxonomy API classifies a property. */
export type PropertyClassification = 'PII' | 'SENSITIVE' | 'REVENUE'

/** A plain property descriptor. */
export interface PropertyDescriptor {
  type: PropertyType
  /** @default false */
  required?: boolean
  description?: string
  /** Allowed values. */
  enum?: readonly (string | number)[]
  /** A regular expression strings must match (source text, as the Taxonomy API stores it). */
  regex?: string
  /** Smallest allowed number. */
  min?: number
  /** Largest allowed number. */
  max?: number
  classification?: PropertyClassification
}

/** A property: a type name, a descriptor, or a Standard Schema validator. */
export type PropertySpec = PropertyType | PropertyDescriptor | StandardSchemaV1

/** What a planned event does besides being tracked: user-property operations and revenue fields. */
export interface RevenueFields {
  revenue: number
  price?: number
  quantity?: number
  productId?: string
  revenueType?: string
  currency?: string
}

/** One event of a plan. */
export interface EventSpec {
  description?: string
  /** Taxonomy API category. */
  category?: string
  properties?: { readonly [key: string]: PropertySpec }
  /** One validator for all properties (instead of, or on top of, `properties`). */
  schema?: StandardSchemaV1
  /** Allow properties the plan does not list. @default false */
  additionalProperties?: boolean
  /**
   * User-property operations sent with the event as an `$identify` (first-touch facts with
   * `$setOnce`, counters with `$add`).
   */
  // biome-ignore lint/suspicious/noExplicitAny: the properties are typed at the call site (PropertiesOf)
  userProperties?: (properties: any) => IdentifyPayload | undefined
  /** Revenue fields (HTTP V2 `revenue`, `price`, …) set on the event itself. */
  // biome-ignore lint/suspicious/noExplicitAny: as above
  revenue?: (properties: any) => RevenueFields | undefined
}

/** The events of a plan by event type: an `EventSpec` or one Standard Schema validator. */
export type PlanEvents = { readonly [eventType: string]: EventSpec | StandardSchemaV1 }

/** What `defineTrackingPlan` takes. */
export interface PlanSpec<E extends PlanEvents = PlanEvents> {
  events: E
  /** For JSON Schema `$id`/`title` and the Taxonomy API. */
  name?: string
  version?: string
}

type TypeOf<T> = T extends 'string'
  ? string
  : T extends 'number' | 'integer'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'string[]'
        ? readonly string[]
        : T extends 'number[]'
          ? readonly number[]
          : T extends 'object'
            ? { readonly [key: string]: PropertyValue }
            : T extends 'object[]'
              ? ReadonlyArray<{ readonly [key: string]: PropertyValue }>
              : PropertyValue

type ValueOf<S> = S extends StandardSchemaV1
  ? StandardSchemaInput<S>
  : S extends { enum: readonly (infer V)[] }
    ? V
    : S extends { type: infer T }
      ? TypeOf<T>
      : TypeOf<S>

type IsRequired<S> = S extends StandardSchemaV1
  ? undefined extends StandardSchemaInput<S>
    ? false
    : true
  : S extends { required: true }
    ? true
    : false

type Simplify<T> = { [K in keyof T]: T[K] } & {}

type FromProperties<P> = Simplify<
  {
    -readonly [K in keyof P as IsRequired<P[K]> extends true ? K : never]: ValueOf<P[K]>
  } & {
    -readonly [K in keyof P as IsRequired<P[K]> extends true ? never : K]?: ValueOf<P[K]>
  }
>

/** The properties type of one planned event. */
export type PropertiesOf<E> = E extends StandardSchemaV1
  ? StandardSchemaInput<E>
  : E extends { schema: infer S extends StandardSchemaV1 }
    ? StandardSchemaInput<S> & (E extends { properties: infer P } ? FromProperties<P> : unknown)
    : E extends { properties: infer P }
      ? FromProperties<P>
      : { [key: string]: never }

/** Options of a plan check. */
export interface PlanCheckOptions {
  /** Report events the plan does not list. @default true */
  unknownEvents?: boolean
}

/** A tracking plan. */
export interface TrackingPlan<E extends PlanEvents = PlanEvents> {
  readonly events: E
  readonly name: string | undefined
  readonly version: string | undefined
  readonly eventTypes: readonly (keyof E & string)[]
  /** True when the plan lists `eventType`. */
  has(eventType: string): eventType is keyof E & string
  /** Findings (`plan-*` rules) for the properties of one event. */
  validate(
    eventType: string,
    properties: unknown,
    options?: PlanCheckOptions,
  ): readonly TaxonomyFinding[]
  /** `validate` for a whole event (`event_type`, `event_properties`). */
  check(event: unknown, options?: PlanCheckOptions): readonly TaxonomyFinding[]
  /** The `$identify` operations a planned event implies, or `undefined`. */
  userPropertiesFor(eventType: string, properties: object): IdentifyPayload | undefined
  /** The revenue fields a planned event implies, or `undefined`. */
  revenueFor(eventType: string, properties: object): RevenueFields | undefined
  /** A new plan with these events added (same names replace). */
  extend<const E2 extends PlanEvents>(
    spec: PlanSpec<E2>,
  ): TrackingPlan<Simplify<Omit<E, keyof E2> & E2>>
}

type Check = (value: unknown) => string | undefined

interface CompiledEvent {
  properties: Map<string, Check>
  required: readonly string[]
  schema: StandardSchemaV1 | undefined
  additional: boolean
  spec: EventSpec | undefined
}

const NONE: readonly TaxonomyFinding[] = Object.freeze([])

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function typeCheck(type: PropertyType): Check {
  switch (type) {
    case 'string':
      return (v) => (typeof v === 'string' ? undefined : 'expected a string')
    case 'number':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'expected a number')
    case 'integer':
      return (v) => (Number.isSafeInteger(v) ? undefined : 'expected an integer')
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? undefined : 'expected a boolean')
    case 'string[]':
      return (v) =>
        Array.isArray(v) && v.every((x) => typeof x === 'string')
          ? undefined
          : 'expected an array of strings'
    case 'number[]':
      return (v) =>
        Array.isArray(v) && v.every((x) => typeof x === 'number')
          ? undefined
          : 'expected an array of numbers'
    case 'object':
      return (v) => (isPlainObject(v) ? undefined : 'expected an object')
    case 'object[]':
      return (v) =>
        Array.isArray(v) && v.every(isPlainObject) ? undefined : 'expected an array of objects'
    default:
      return () => undefined
  }
}

function firstIssue(result: StandardSchemaResult<unknown>): string | undefined {
  if (result.issues === undefined) return undefined
  const issue = result.issues[0]
  return issue === undefined ? 'refused by its validator' : issue.message
}

function standardCheck(schema: StandardSchemaV1): Check {
  const validate = schema['~standard'].validate
  return (value) => {
    const result = validate(value)
    // An async validator cannot hold a synchronous tracking call; its compile-time types still apply.
    if (result instanceof Promise) return undefined
    return firstIssue(result)
  }
}

function descriptorCheck(d: PropertyDescriptor): Check {
  const base = typeCheck(d.type)
  const allowed = d.enum === undefined ? undefined : new Set<unknown>(d.enum)
  const regex = d.regex === undefined ? undefined : new RegExp(d.regex)
  const { min, max } = d
  if (allowed === undefined && regex === undefined && min === undefined && max === undefined)
    return base
  return (value) => {
    const why = base(value)
    if (why !== undefined) return why
    if (allowed !== undefined && !allowed.has(value))
      return `expected one of ${[...allowed].join(', ')}`
    if (regex !== undefined && typeof value === 'string' && !regex.test(value))
      return `expected to match /${d.regex}/`
    if (typeof value === 'number') {
      if (min !== undefined && value < min) return `expected at least ${min}`
      if (max !== undefined && value > max) return `expected at most ${max}`
    }
    return undefined
  }
}

/** A descriptor for any property spec (type names become `{ type }`); Standard Schemas are returned as they are. */
export function describeProperty(spec: PropertySpec): PropertyDescriptor | StandardSchemaV1 {
  return typeof spec === 'string' ? { type: spec } : spec
}

function compileEvent(spec: EventSpec | StandardSchemaV1): CompiledEvent {
  if (isStandardSchema(spec)) {
    return { properties: new Map(), required: [], schema: spec, additional: true, spec: undefined }
  }
  const properties = new Map<string, Check>()
  const required: string[] = []
  for (const [key, property] of Object.entries(spec.properties ?? {})) {
    const described = describeProperty(property)
    if (isStandardSchema(described)) {
      properties.set(key, standardCheck(described))
      const probe = described['~standard'].validate(undefined)
      if (!(probe instanceof Promise) && probe.issues !== undefined) required.push(key)
    } else {
      properties.set(key, descriptorCheck(described))
      if (described.required === true) required.push(key)
    }
  }
  return {
    properties,
    required,
    schema: spec.schema,
    // An event-wide schema owns the full property set; the listed ones are checked in addition.
    additional: spec.additionalProperties ?? spec.schema !== undefined,
    spec,
  }
}

const SEVERITY = TAXONOMY_RULES['plan-property-type']

/** Defines a tracking plan. `const` inference keeps literal types, so descriptors type the API. */
export function defineTrackingPlan<const E extends PlanEvents>(spec: PlanSpec<E>): TrackingPlan<E> {
  const compiled = new Map<string, CompiledEvent>()
  for (const [eventType, event] of Object.entries(spec.events)) {
    compiled.set(eventType, compileEvent(event))
  }

  function validate(
    eventType: string,
    properties: unknown,
    options: PlanCheckOptions = {},
  ): readonly TaxonomyFinding[] {
    const event = compiled.get(eventType)
    if (event === undefined) {
      if (options.unknownEvents === false || isReservedEventType(eventType)) return NONE
      return [
        finding(
          'plan-unknown-event',
          TAXONOMY_RULES['plan-unknown-event'],
          eventType,
          'the tracking plan does not list this event type',
        ),
      ]
    }
    let out: TaxonomyFinding[] | undefined
    const bag = isPlainObject(properties) ? properties : {}
    if (event.schema !== undefined) {
      const result = event.schema['~standard'].validate(bag)
      if (!(result instanceof Promise) && result.issues !== undefined) {
        for (const issue of result.issues) {
          const first = issue.path?.[0]
          const key = typeof first === 'object' ? first.key : first
          const property = key === undefined ? undefined : String(key)
          out ??= []
          out.push(
            finding(
              'plan-property-type',
              SEVERITY,
              eventType,
              issue.message,
              property,
              property === undefined ? ['event_properties'] : ['event_properties', property],
            ),
          )
        }
      }
    }
    for (const key in bag) {
      const check = event.properties.get(key)
      if (check === undefined) {
        if (!event.additional) {
          out ??= []
          out.push(
            finding(
              'plan-unknown-property',
              TAXONOMY_RULES['plan-unknown-property'],
              eventType,
              'the tracking plan does not list this property for the event',
              key,
              ['event_properties', key],
            ),
          )
        }
        continue
      }
      const why = check(bag[key])
      if (why !== undefined) {
        out ??= []
        out.push(
          finding('plan-property-type', SEVERITY, eventType, why, key, ['event_properties', key]),
        )
      }
    }
    for (const key of event.required) {
      if (bag[key] === undefined) {
        out ??= []
        out.push(
          finding(
            'plan-missing-property',
            TAXONOMY_RULES['plan-missing-property'],
            eventType,
            'the tracking plan requires this property',
            key,
            ['event_properties', key],
          ),
        )
      }
    }
    return out ?? NONE
  }

  const plan: TrackingPlan<E> = {
    events: spec.events,
    name: spec.name,
    version: spec.version,
    eventTypes: Object.keys(spec.events) as (keyof E & string)[],
    has: (eventType: string): eventType is keyof E & string => compiled.has(eventType),
    validate,
    check(event, options) {
      if (!isPlainObject(event) || typeof event.event_type !== 'string') return NONE
      return validate(event.event_type, event.event_properties, options)
    },
    userPropertiesFor(eventType, properties) {
      return compiled.get(eventType)?.spec?.userProperties?.(properties)
    },
    revenueFor(eventType, properties) {
      return compiled.get(eventType)?.spec?.revenue?.(properties)
    },
    extend<const E2 extends PlanEvents>(more: PlanSpec<E2>) {
      const name = more.name ?? spec.name
      const version = more.version ?? spec.version
      const merged = defineTrackingPlan({
        ...(name === undefined ? {} : { name }),
        ...(version === undefined ? {} : { version }),
        events: { ...spec.events, ...more.events } as Simplify<Omit<E, keyof E2> & E2>,
      })
      return merged as TrackingPlan<Simplify<Omit<E, keyof E2> & E2>>
    },
  }
  return plan
}
