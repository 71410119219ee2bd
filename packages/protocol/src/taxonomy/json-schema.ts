/**
 * @module A tracking plan as JSON Schema (draft 2020-12): one `$defs` entry per event type, the whole
 * plan a `oneOf` over them, so any JSON Schema tool (Ajv, IDEs, data contracts) can check events.
 */
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.ts'
import {
  describeProperty,
  type EventSpec,
  type PlanEvents,
  type PropertyDescriptor,
  type TrackingPlan,
} from './tracking-plan.ts'

/** A JSON Schema document or sub-schema. */
export type JsonSchema = { [keyword: string]: unknown }

/** The dialect the export declares. */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema'

const ITEMS: Record<string, JsonSchema> = {
  'string[]': { type: 'array', items: { type: 'string' } },
  'number[]': { type: 'array', items: { type: 'number' } },
  'object[]': { type: 'array', items: { type: 'object' } },
}

/**
 * The schema of a Standard Schema validator: its own JSON Schema when it offers one (the Standard
 * JSON Schema extension, `~standard.jsonSchema.input()`), else an open schema that says who checks it.
 */
function standardToJsonSchema(schema: StandardSchemaV1): JsonSchema {
  const props = schema['~standard'] as {
    vendor: string
    jsonSchema?: { input?: (options: { target: string }) => unknown }
  }
  try {
    const own = props.jsonSchema?.input?.({ target: 'draft-2020-12' })
    if (typeof own === 'object' && own !== null) return own as JsonSchema
  } catch {
    // A validator that cannot describe itself is still checked at runtime; fall through.
  }
  return { description: `checked by a ${props.vendor} validator (Standard Schema)` }
}

function descriptorToJsonSchema(d: PropertyDescriptor): JsonSchema {
  const out: JsonSchema =
    ITEMS[d.type] !== undefined ? { ...ITEMS[d.type] } : d.type === 'any' ? {} : { type: d.type }
  if (d.description !== undefined) out.description = d.description
  if (d.enum !== undefined) out.enum = [...d.enum]
  if (d.regex !== undefined) out.pattern = d.regex
  if (d.min !== undefined) out.minimum = d.min
  if (d.max !== undefined) out.maximum = d.max
  return out
}

function eventSchema(eventType: string, spec: EventSpec | StandardSchemaV1): JsonSchema {
  let properties: JsonSchema
  if (isStandardSchema(spec)) properties = standardToJsonSchema(spec)
  else {
    const props: JsonSchema = {}
    const required: string[] = []
    for (const [key, property] of Object.entries(spec.properties ?? {})) {
      const described = describeProperty(property)
      if (isStandardSchema(described)) props[key] = standardToJsonSchema(described)
      else {
        props[key] = descriptorToJsonSchema(described)
        if (described.required === true) required.push(key)
      }
    }
    properties = { type: 'object', properties: props }
    if (required.length > 0) properties.required = required
    properties.additionalProperties = spec.additionalProperties ?? spec.schema !== undefined
    if (spec.schema !== undefined) properties.allOf = [standardToJsonSchema(spec.schema)]
  }
  const out: JsonSchema = {
    type: 'object',
    properties: { event_type: { const: eventType }, event_properties: properties },
    required: ['event_type'],
  }
  if (!isStandardSchema(spec) && spec.description !== undefined) out.description = spec.description
  return out
}

/** RFC 6901 escaping, then URI encoding, so any event type is a valid `$ref`. */
function refTo(eventType: string): string {
  return `#/$defs/${encodeURIComponent(eventType.replaceAll('~', '~0').replaceAll('/', '~1'))}`
}

/** The plan as a JSON Schema (draft 2020-12) that one event object must match. */
export function planToJsonSchema<E extends PlanEvents>(plan: TrackingPlan<E>): JsonSchema {
  const defs: JsonSchema = {}
  for (const eventType of plan.eventTypes) {
    defs[eventType] = eventSchema(eventType, plan.events[eventType] as EventSpec | StandardSchemaV1)
  }
  const out: JsonSchema = { $schema: JSON_SCHEMA_DIALECT }
  if (plan.name !== undefined) out.title = plan.name
  if (plan.version !== undefined) out.version = plan.version
  out.type = 'object'
  out.required = ['event_type']
  out.oneOf = plan.eventTypes.map((eventType) => ({ $ref: refTo(eventType) }))
  out.$defs = defs
  return out
}
