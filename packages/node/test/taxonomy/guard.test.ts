import {
  ConfigError,
  createTaxonomyGuard,
  defaultTaxonomyMode,
  defineTrackingPlan,
  resolveTaxonomyOptions,
  type TaxonomyViolation,
} from '@ampkit/node'
import { describe, expect, it } from 'vitest'

const songPlayed = {
  event_type: 'SongPlayed',
  user_id: 'user-0001',
  event_properties: { songId: 's1', durationMs: 3000 },
}
const leaky = {
  event_type: 'SongShared',
  user_id: 'user-0001',
  event_properties: { songId: 's1', note: 'ping jane@example.com', song_title: 'x' },
}

function guardWith(options: Parameters<typeof createTaxonomyGuard>[0]) {
  const reports: TaxonomyViolation[] = []
  const guard = createTaxonomyGuard(options, (v) => reports.push(v), {})
  return { guard, reports }
}

describe('taxonomy options', () => {
  it('defaults to warn in production and strict under tests', () => {
    expect(defaultTaxonomyMode({})).toBe('warn')
    expect(defaultTaxonomyMode({ NODE_ENV: 'production' })).toBe('warn')
    expect(defaultTaxonomyMode({ NODE_ENV: 'test' })).toBe('strict')
    expect(defaultTaxonomyMode({ ENV: 'TEST' })).toBe('strict')
    expect(resolveTaxonomyOptions(undefined, { NODE_ENV: 'test' }).mode).toBe('strict')
    expect(resolveTaxonomyOptions(false, { NODE_ENV: 'test' }).mode).toBe('off')
    expect(resolveTaxonomyOptions('redact', {}).mode).toBe('redact')
  })

  it('names a bad mode in a ConfigError', () => {
    expect(() => resolveTaxonomyOptions({ mode: 'loud' as 'warn' }, {})).toThrow(ConfigError)
    expect(() => resolveTaxonomyOptions({ mode: 'loud' as 'warn' }, {})).toThrow(
      'init failed: taxonomy.mode must be one of off, warn, strict, redact, got "loud"',
    )
  })
})

describe('the taxonomy guard', () => {
  it('sends clean events untouched in every mode', () => {
    for (const mode of ['off', 'warn', 'strict', 'redact'] as const) {
      const { guard, reports } = guardWith({ mode })
      const verdict = guard.check(songPlayed)
      expect(verdict).toEqual({ action: 'send', event: songPlayed, findings: [] })
      expect(reports).toEqual([])
    }
  })

  it('warn: sends the event and reports each kind of violation once, counting every one', () => {
    const { guard, reports } = guardWith({ mode: 'warn' })
    for (let i = 0; i < 3; i++) {
      const verdict = guard.check(leaky)
      expect(verdict.action).toBe('send')
      if (verdict.action === 'send') expect(verdict.event).toBe(leaky)
    }
    expect(reports).toEqual([
      {
        rule: 'pii-email',
        severity: 'error',
        eventType: 'SongShared',
        property: 'note',
        message: expect.stringMatching(/^pii-email: event "SongShared" property "note": /),
        action: 'sent',
      },
      {
        rule: 'property-naming',
        severity: 'error',
        eventType: 'SongShared',
        property: 'song_title',
        message:
          'property-naming: event "SongShared" property "song_title": use camelCase property keys, e.g. songId',
        action: 'sent',
      },
    ])
    expect(guard.stats()).toMatchObject({
      mode: 'warn',
      checked: 3,
      violations: { 'pii-email': 3, 'property-naming': 3 },
      refused: 0,
    })
  })

  it('strict: refuses an event with an error finding, naming the rule', () => {
    const { guard, reports } = guardWith({ mode: 'strict' })
    const verdict = guard.check(leaky)
    expect(verdict).toMatchObject({ action: 'refuse', rule: 'pii-email' })
    if (verdict.action === 'refuse') {
      expect(verdict.message).toMatch(
        /^Event refused by the taxonomy guard: pii-email: event "SongShared" property "note": .* \(and 1 more\)$/,
      )
    }
    expect(reports.map((r) => r.action)).toEqual(['refused', 'refused'])
    expect(guard.stats().refused).toBe(1)
  })

  it('strict: sends an event that has only warnings', () => {
    const { guard } = guardWith({ mode: 'strict' })
    const event = { event_type: 'SongPlayed', event_properties: { durationMs: '3000' } }
    expect(guard.check(event)).toMatchObject({
      action: 'send',
      findings: [{ rule: 'value-number-as-string', severity: 'warning' }],
    })
  })

  it('redact: replaces personal data, sends the event, and leaves the caller object alone', () => {
    const { guard, reports } = guardWith({ mode: 'redact' })
    const verdict = guard.check(leaky)
    expect(verdict.action).toBe('send')
    if (verdict.action !== 'send') return
    expect(verdict.event.event_properties).toEqual({
      songId: 's1',
      note: '[redacted:email]',
      song_title: 'x',
    })
    expect(leaky.event_properties.note).toBe('ping jane@example.com')
    expect(reports.map((r) => `${r.rule} ${r.action}`)).toEqual([
      'pii-email redacted',
      'property-naming sent',
    ])
    expect(guard.stats().redacted).toBe(1)
  })

  it('honours allowPii for consented fields and per-rule overrides', () => {
    const { guard } = guardWith({
      mode: 'strict',
      allowPii: ['note'],
      rules: { 'property-naming': 'off' },
    })
    expect(guard.check(leaky).action).toBe('send')
  })

  it('flattens values nested too deep when asked', () => {
    const { guard } = guardWith({ mode: 'warn', nesting: 'flatten' })
    const verdict = guard.check({
      event_type: 'SongPlayed',
      event_properties: { song: { artist: { name: 'A' } } },
    })
    expect(verdict.action === 'send' && verdict.event.event_properties).toEqual({
      song: { 'artist.name': 'A' },
    })
    expect(guard.stats().fixed).toBe(1)
  })

  it('checks a tracking plan too', () => {
    const plan = defineTrackingPlan({
      events: { SongPlayed: { properties: { songId: { type: 'string', required: true } } } },
    })
    const { guard } = guardWith({ mode: 'strict', plan })
    expect(guard.check({ event_type: 'SongPlayed', event_properties: {} })).toMatchObject({
      action: 'refuse',
      rule: 'plan-missing-property',
    })
    expect(guard.check({ event_type: 'SongSkipped' })).toMatchObject({
      rule: 'plan-unknown-event',
    })
  })

  it('bounds what it remembers about reported kinds', () => {
    const { guard, reports } = guardWith({ mode: 'warn', maxReportedKinds: 2, cardinality: false })
    for (let i = 0; i < 50; i++) {
      guard.check({
        event_type: 'SongPlayed',
        event_properties: { [`bad_key_${'x'.repeat(i)}`]: 1 },
      })
    }
    expect(reports).toHaveLength(2)
    expect(guard.stats().violations['property-naming']).toBe(50)
  })
})
