import {
  MAX_STRING_LENGTH,
  normalizeEvent,
  validateEvent,
  validateEvents,
  type WireEvent,
} from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'

const ok = { event_type: 'Song Played', user_id: 'user-12345', device_id: 'device-1' }

describe('validateEvent', () => {
  it('accepts an event with an event type and one id', () => {
    expect(validateEvent(ok)).toEqual([])
    expect(validateEvent({ event_type: 'A', device_id: 'device-1' })).toEqual([])
  })

  it('reports a missing or blank event_type as a missing field', () => {
    expect(validateEvent({ user_id: 'user-1' })).toEqual([
      { kind: 'missing_field', field: 'event_type' },
    ])
    expect(validateEvent({ ...ok, event_type: '  ' })).toEqual([
      { kind: 'missing_field', field: 'event_type' },
    ])
  })

  it('refuses a time sent as an ISO string or a fraction', () => {
    expect(validateEvent({ ...ok, time: '2024-01-01T00:00:00Z' })).toEqual([
      { kind: 'invalid_field', field: 'time' },
    ])
    expect(validateEvent({ ...ok, time: 1.5 })).toEqual([{ kind: 'invalid_field', field: 'time' }])
    expect(validateEvent({ ...ok, time: 1_700_000_000_000 })).toEqual([])
  })

  it.each([
    'null',
    'NULL',
    'anonymous',
    'undefined',
    '00000000-0000-0000-0000-000000000000',
    '0',
    '-1',
    'lmy47d',
  ])('refuses the id value %j even when it is shorter than the minimum', (id) => {
    expect(validateEvent({ event_type: 'A', user_id: id, device_id: 'device-1' })).toEqual([
      { kind: 'invalid_field', field: 'user_id' },
    ])
  })

  it('removes short ids silently while another id is left', () => {
    expect(validateEvent({ event_type: 'A', user_id: 'ab', device_id: 'device-1' })).toEqual([])
    expect(normalizeEvent({ event_type: 'A', user_id: 'ab', device_id: 'device-1' })).toEqual({
      event_type: 'A',
      device_id: 'device-1',
    })
  })

  it('reports invalid id lengths when short ids leave the event with no id', () => {
    expect(validateEvent({ event_type: 'A', user_id: 'ab', device_id: 'cd' })).toEqual([
      { kind: 'invalid_id_length', field: 'user_id' },
      { kind: 'invalid_id_length', field: 'device_id' },
    ])
  })

  it('honours a lower min_id_length', () => {
    expect(validateEvent({ event_type: 'A', user_id: 'ab' }, { minIdLength: 2 })).toEqual([])
  })

  it('reports an event with neither id as missing its device_id', () => {
    expect(validateEvent({ event_type: 'A' })).toEqual([
      { kind: 'missing_field', field: 'device_id' },
    ])
  })

  it('accepts a $groupidentify event without ids', () => {
    expect(
      validateEvent({
        event_type: '$groupidentify',
        groups: { org: 'acme' },
        group_properties: { $set: { plan: 'pro' } },
      }),
    ).toEqual([])
  })

  it('refuses wrongly typed fields', () => {
    const findings = validateEvent({
      ...ok,
      price: '9.99',
      session_id: 'abc',
      event_properties: [1, 2],
      platform: 5,
      groups: { org: 5 },
    })
    expect(findings.map((f) => f.field).sort()).toEqual(
      ['event_properties', 'groups', 'platform', 'price', 'session_id'].sort(),
    )
  })

  it('refuses properties nested deeper than 40 levels', () => {
    let deep: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 41; i++) deep = { next: deep }
    expect(validateEvent({ ...ok, event_properties: deep })).toEqual([
      { kind: 'invalid_field', field: 'event_properties' },
    ])
    let shallow: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 38; i++) shallow = { next: shallow }
    expect(validateEvent({ ...ok, event_properties: shallow })).toEqual([])
  })

  it('treats a non-object event as an invalid event', () => {
    expect(validateEvent('hello')).toEqual([{ kind: 'invalid_field', field: 'event' }])
  })
})

describe('validateEvents', () => {
  it('gathers Amplitude index maps with 0-based positions', () => {
    const maps = validateEvents([
      ok,
      { user_id: 'user-1' },
      { ...ok, time: 'yesterday' },
      { event_type: 'A', user_id: 'ab' },
      ok,
    ])
    expect(maps).toEqual({
      events_with_missing_fields: { event_type: [1] },
      events_with_invalid_fields: { time: [2] },
      events_with_invalid_id_lengths: { user_id: [3] },
    })
  })

  it('returns undefined when every event is accepted', () => {
    expect(validateEvents([ok, ok])).toBeUndefined()
  })
})

describe('normalizeEvent', () => {
  it('truncates every string, nested ones too, to 1,024 characters', () => {
    const long = 'x'.repeat(MAX_STRING_LENGTH + 10)
    const event: WireEvent = {
      ...ok,
      event_properties: { a: long, list: [long], nested: { b: long } },
    }
    const out = normalizeEvent(event)
    const props = out.event_properties as { a: string; list: string[]; nested: { b: string } }
    expect(props.a).toHaveLength(MAX_STRING_LENGTH)
    expect(props.list[0]).toHaveLength(MAX_STRING_LENGTH)
    expect(props.nested.b).toHaveLength(MAX_STRING_LENGTH)
    expect((event.event_properties as { a: string }).a).toHaveLength(MAX_STRING_LENGTH + 10)
  })

  it('keeps at most 5 group types of at most 10 values', () => {
    const groups: Record<string, string[]> = {}
    for (let t = 0; t < 7; t++) groups[`type${t}`] = Array.from({ length: 12 }, (_, i) => `v${i}`)
    const out = normalizeEvent({ ...ok, groups })
    expect(Object.keys(out.groups ?? {})).toHaveLength(5)
    expect(out.groups?.type0).toHaveLength(10)
  })
})
