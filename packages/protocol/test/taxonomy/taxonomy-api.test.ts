import {
  defineTrackingPlan,
  encodeForm,
  planEventsFromTaxonomy,
  planToTaxonomyRequests,
  readTaxonomyResponse,
  standardCatalog,
  updateRequestFor,
} from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'

const plan = defineTrackingPlan({
  events: {
    SongPlayed: {
      category: 'Playback',
      description: 'A song started.',
      properties: {
        songId: { type: 'string', required: true, description: 'Catalog id' },
        genre: { type: 'string', enum: ['rock', 'jazz'] },
        tags: 'string[]',
        durationMs: 'integer',
        email: { type: 'string', classification: 'PII' },
      },
    },
  },
})

describe('pushing a plan to the Taxonomy API', () => {
  it('creates events first, then their properties, as form fields', () => {
    expect(planToTaxonomyRequests(plan)).toEqual([
      {
        method: 'POST',
        path: '/api/2/taxonomy/event',
        form: { event_type: 'SongPlayed', category: 'Playback', description: 'A song started.' },
      },
      {
        method: 'POST',
        path: '/api/2/taxonomy/event-property',
        form: {
          event_type: 'SongPlayed',
          event_property: 'songId',
          type: 'string',
          is_required: 'true',
          description: 'Catalog id',
        },
      },
      {
        method: 'POST',
        path: '/api/2/taxonomy/event-property',
        form: {
          event_type: 'SongPlayed',
          event_property: 'genre',
          type: 'enum',
          enum_values: 'rock,jazz',
        },
      },
      {
        method: 'POST',
        path: '/api/2/taxonomy/event-property',
        form: {
          event_type: 'SongPlayed',
          event_property: 'tags',
          type: 'string',
          is_array_type: 'true',
        },
      },
      {
        method: 'POST',
        path: '/api/2/taxonomy/event-property',
        form: { event_type: 'SongPlayed', event_property: 'durationMs', type: 'number' },
      },
      {
        method: 'POST',
        path: '/api/2/taxonomy/event-property',
        form: {
          event_type: 'SongPlayed',
          event_property: 'email',
          type: 'string',
          classifications: 'PII',
        },
      },
    ])
  })

  it('turns a POST that met a 409 into the PUT that updates', () => {
    const [event, property] = planToTaxonomyRequests(plan)
    expect(updateRequestFor(event!)).toEqual({
      method: 'PUT',
      path: '/api/2/taxonomy/event/SongPlayed',
      form: { category: 'Playback', description: 'A song started.' },
    })
    expect(updateRequestFor(property!)).toMatchObject({
      method: 'PUT',
      path: '/api/2/taxonomy/event-property/songId',
      form: { event_type: 'SongPlayed', type: 'string' },
    })
    expect(encodeForm({ event_type: 'Song Played', category: 'A&B' })).toBe(
      'event_type=Song+Played&category=A%26B',
    )
  })

  it('pushes every standard catalog event', () => {
    const posts = planToTaxonomyRequests(standardCatalog).filter((r) => r.path.endsWith('/event'))
    expect(posts.map((r) => r.form?.event_type)).toEqual([...standardCatalog.eventTypes])
  })
})

describe('pulling a plan from the Taxonomy API', () => {
  it('reads success and error bodies', () => {
    expect(readTaxonomyResponse({ success: true, data: [{ event_type: 'A' }] })).toEqual({
      success: true,
      data: [{ event_type: 'A' }],
      errors: [],
    })
    expect(
      readTaxonomyResponse({ success: false, errors: [{ message: 'Event type already exists' }] }),
    ).toEqual({ success: false, data: [], errors: ['Event type already exists'] })
  })

  it('builds a plan that validates like the one pushed', () => {
    const events = planEventsFromTaxonomy(
      [
        {
          event_type: 'SongPlayed',
          category: { name: 'Playback' },
          description: 'A song started.',
        },
      ],
      {
        SongPlayed: [
          { event_property: 'songId', type: 'string', is_required: true },
          { event_property: 'genre', type: 'enum', enum_values: 'rock, jazz' },
          { event_property: 'tags', type: 'string', is_array_type: 'true' },
        ],
      },
    )
    expect(events).toEqual({
      SongPlayed: {
        category: 'Playback',
        description: 'A song started.',
        properties: {
          songId: { type: 'string', required: true },
          genre: { type: 'string', enum: ['rock', 'jazz'] },
          tags: { type: 'string[]' },
        },
      },
    })
    const pulled = defineTrackingPlan({ events })
    expect(pulled.validate('SongPlayed', { songId: 's1', genre: 'rock', tags: ['a'] })).toEqual([])
    expect(pulled.validate('SongPlayed', { genre: 'polka' }).map((f) => f.rule)).toEqual([
      'plan-property-type',
      'plan-missing-property',
    ])
  })
})
