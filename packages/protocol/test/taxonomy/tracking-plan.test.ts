import {
  defineTrackingPlan,
  lintNdjson,
  type PropertiesOf,
  planToJsonSchema,
  standardCatalog,
} from '@ampkit/protocol'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { tiny } from './helpers/tiny-schema.ts'

const plan = defineTrackingPlan({
  name: 'music',
  events: {
    SongPlayed: {
      description: 'A song started playing.',
      properties: {
        songId: { type: 'string', required: true },
        durationMs: 'number',
        genre: { type: 'string', enum: ['rock', 'jazz'] },
        isPreview: 'boolean',
        tags: 'string[]',
      },
    },
    NewsletterJoined: {
      properties: { contactEmail: tiny.email(), source: tiny.optional(tiny.string()) },
    },
    SearchPerformed: tiny.object({ query: tiny.string(), resultCount: tiny.number() }),
  },
})

describe('typed tracking plans (types)', () => {
  it('derives property types from descriptors', () => {
    type Song = PropertiesOf<(typeof plan.events)['SongPlayed']>
    expectTypeOf<Song>().toEqualTypeOf<{
      songId: string
      durationMs?: number
      genre?: 'rock' | 'jazz'
      isPreview?: boolean
      tags?: readonly string[]
    }>()
  })

  it('derives property types from Standard Schema validators', () => {
    type Newsletter = PropertiesOf<(typeof plan.events)['NewsletterJoined']>
    expectTypeOf<Newsletter>().toEqualTypeOf<{
      contactEmail: string
      source?: string | undefined
    }>()
    type Search = PropertiesOf<(typeof plan.events)['SearchPerformed']>
    expectTypeOf<Search>().toEqualTypeOf<{ query: string; resultCount: number }>()
  })

  it('makes wrong names and types compile errors', () => {
    const song = (properties: PropertiesOf<(typeof plan.events)['SongPlayed']>) => properties
    song({ songId: 's1', durationMs: 3 })
    // @ts-expect-error: durationMs is a number
    song({ songId: 's1', durationMs: '3' })
    // @ts-expect-error: songId is required
    song({ durationMs: 3 })
    // @ts-expect-error: the plan has no property durationSeconds
    song({ songId: 's1', durationSeconds: 3 })
    // @ts-expect-error: genre is one of the enum values
    song({ songId: 's1', genre: 'polka' })
    expectTypeOf(plan.eventTypes).toEqualTypeOf<
      readonly ('SongPlayed' | 'NewsletterJoined' | 'SearchPerformed')[]
    >()
  })
})

describe('typed tracking plans (runtime)', () => {
  it('accepts planned events', () => {
    expect(plan.validate('SongPlayed', { songId: 's1', durationMs: 3, genre: 'rock' })).toEqual([])
    expect(plan.validate('NewsletterJoined', { contactEmail: 'a@b.co' })).toEqual([])
    expect(plan.validate('SearchPerformed', { query: 'x', resultCount: 2 })).toEqual([])
  })

  it('reports unknown events, unknown and missing properties and wrong types, by rule', () => {
    const rules = (eventType: string, properties: object) =>
      plan.validate(eventType, properties).map((f) => `${f.rule} ${f.property ?? ''}`.trim())
    expect(rules('SongSkipped', {})).toEqual(['plan-unknown-event'])
    expect(rules('SongPlayed', { songId: 's1', extra: 1 })).toEqual(['plan-unknown-property extra'])
    expect(rules('SongPlayed', { durationMs: 3 })).toEqual(['plan-missing-property songId'])
    expect(rules('SongPlayed', { songId: 1, genre: 'polka', tags: [1] })).toEqual([
      'plan-property-type songId',
      'plan-property-type genre',
      'plan-property-type tags',
    ])
    expect(rules('NewsletterJoined', { contactEmail: 'nope' })).toEqual([
      'plan-property-type contactEmail',
    ])
    expect(rules('NewsletterJoined', {})).toEqual(['plan-missing-property contactEmail'])
    expect(rules('SearchPerformed', { query: 'x', resultCount: '2' })).toEqual([
      'plan-property-type resultCount',
    ])
  })

  it('names the event, the property and the rule in messages', () => {
    const [found] = plan.validate('SongPlayed', { songId: 's1', durationMs: '3' })
    expect(found?.message).toBe(
      'plan-property-type: event "SongPlayed" property "durationMs": expected a number',
    )
  })

  it('leaves the SDKs own events to the taxonomy rules', () => {
    expect(plan.validate('$identify', {})).toEqual([])
    expect(plan.validate('Unplanned', {}, { unknownEvents: false })).toEqual([])
  })

  it('extends a plan, keeping both sets of events typed', () => {
    const extended = standardCatalog.extend({
      events: { SongPlayed: { properties: { songId: { type: 'string', required: true } } } },
    })
    expectTypeOf<PropertiesOf<(typeof extended.events)['SongPlayed']>>().toEqualTypeOf<{
      songId: string
    }>()
    expectTypeOf<
      PropertiesOf<(typeof extended.events)['CheckoutCompleted']>['revenue']
    >().toEqualTypeOf<number>()
    expect(extended.has('SongPlayed')).toBe(true)
    expect(extended.has('CheckoutCompleted')).toBe(true)
  })
})

describe('JSON Schema export', () => {
  it('writes a draft 2020-12 schema with one definition per event', () => {
    const schema = planToJsonSchema(plan)
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema.title).toBe('music')
    expect(schema.oneOf).toEqual([
      { $ref: '#/$defs/SongPlayed' },
      { $ref: '#/$defs/NewsletterJoined' },
      { $ref: '#/$defs/SearchPerformed' },
    ])
    const defs = schema.$defs as Record<string, unknown>
    expect(defs.SongPlayed).toEqual({
      type: 'object',
      description: 'A song started playing.',
      required: ['event_type'],
      properties: {
        event_type: { const: 'SongPlayed' },
        event_properties: {
          type: 'object',
          properties: {
            songId: { type: 'string' },
            durationMs: { type: 'number' },
            genre: { type: 'string', enum: ['rock', 'jazz'] },
            isPreview: { type: 'boolean' },
            tags: { type: 'array', items: { type: 'string' } },
          },
          required: ['songId'],
          additionalProperties: false,
        },
      },
    })
    expect(defs.SearchPerformed).toMatchObject({
      properties: {
        event_properties: { description: 'checked by a tiny validator (Standard Schema)' },
      },
    })
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema)
  })

  it('escapes event types in references', () => {
    const spaced = defineTrackingPlan({ events: { 'Song Played': {}, 'A/B Shown': {} } })
    expect(planToJsonSchema(spaced).oneOf).toEqual([
      { $ref: '#/$defs/Song%20Played' },
      { $ref: '#/$defs/A~1B%20Shown' },
    ])
  })
})

describe('NDJSON lint', () => {
  it('returns findings of the plan and the taxonomy rules with line numbers', () => {
    const text = [
      JSON.stringify({ event_type: 'SongPlayed', event_properties: { songId: 's1' } }),
      '',
      JSON.stringify({
        event_type: 'SongPlayed',
        event_properties: { songId: 's2', durationMs: '3' },
      }),
      '{"event_type": ',
      JSON.stringify({
        event_type: 'song_skipped',
        event_properties: { note: 'jane@example.com' },
      }),
      '[1]',
    ].join('\n')
    const findings = lintNdjson(text, { plan, taxonomy: { cardinality: false } })
    expect(findings.map((f) => `${f.line} ${f.rule} ${f.property ?? ''}`.trim())).toEqual([
      '3 value-number-as-string durationMs',
      '3 plan-property-type durationMs',
      '4 ndjson-parse',
      '5 event-type-naming',
      '5 pii-email note',
      '5 plan-unknown-event',
      '6 ndjson-parse',
    ])
  })

  it('lints lines without a plan', () => {
    expect(lintNdjson(['{"event_type":"click"}'])).toMatchObject([
      { line: 1, rule: 'event-type-generic', severity: 'error' },
    ])
  })
})
