import {
  applyTaxonomyFixes,
  createTaxonomyChecker,
  DistinctValueCounter,
  detectPii,
  flattenValue,
  isIso8601,
  luhnValid,
  objectDepth,
  piiKeyKind,
  type TaxonomyCheckerOptions,
  type TaxonomyRuleId,
} from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'

function rulesFor(
  event: object,
  options: TaxonomyCheckerOptions = {},
): Array<[TaxonomyRuleId, string | undefined]> {
  return createTaxonomyChecker({ cardinality: false, ...options })
    .check(event)
    .map((f) => [f.rule, f.property])
}

function eventRules(eventType: string, options: TaxonomyCheckerOptions = {}): TaxonomyRuleId[] {
  return rulesFor({ event_type: eventType }, options).map(([rule]) => rule)
}

function propertyRules(properties: object, options: TaxonomyCheckerOptions = {}) {
  return rulesFor({ event_type: 'SongPlayed', event_properties: properties }, options)
}

describe('event-type naming', () => {
  it.each([
    'SongPlayed',
    'Song Played',
    'CheckoutCompleted',
    'URLOpened',
    'Step 2 Completed',
    '[Experiment] Exposure Logged',
  ])('accepts %s', (eventType) => {
    expect(eventRules(eventType)).toEqual([])
  })

  it.each(['user_click', 'songPlayed', 'song played', 'Songplayed', 'SONG_PLAYED', 'Song  Played'])(
    'refuses %s with event-type-naming',
    (eventType) => {
      expect(eventRules(eventType)).toEqual(['event-type-naming'])
    },
  )

  it.each(['click', 'view', 'event', 'test', 'track', 'Test Event', 'Custom Event', 'Viewed'])(
    'refuses the generic %s with event-type-generic',
    (eventType) => {
      expect(eventRules(eventType)).toEqual(['event-type-generic'])
    },
  )

  it('refuses extra generic names given in the options', () => {
    expect(eventRules('Thing Happened', { genericEventTypes: ['thing happened'] })).toEqual([
      'event-type-generic',
    ])
  })

  it('holds one spelling when a style is chosen', () => {
    expect(eventRules('Song Played', { eventTypeStyle: 'pascal' })).toEqual(['event-type-naming'])
    expect(eventRules('SongPlayed', { eventTypeStyle: 'title' })).toEqual(['event-type-naming'])
    expect(eventRules('SongPlayed', { eventTypeStyle: 'pascal' })).toEqual([])
  })

  it('leaves the SDKs own event types alone', () => {
    for (const type of ['$identify', '$groupidentify', 'revenue_amount', 'session_start']) {
      expect(eventRules(type)).toEqual([])
    }
  })

  it.each([
    'Song 12345 Played',
    'Order 2026-11-28 Placed',
    'Viewed 3f2a1b4c-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
    'Invite a@b.co Sent',
  ])('refuses ids, dates and emails in %s as high-cardinality-event-type', (eventType) => {
    expect(eventRules(eventType)).toEqual(['high-cardinality-event-type'])
  })

  it('names the event and the rule in the message', () => {
    const [found] = createTaxonomyChecker().check({ event_type: 'user_click' })
    expect(found?.message).toBe(
      'event-type-naming: event "user_click": use PascalCase object-action (SongPlayed) or Title Case ("Song Played"), consistently',
    )
    expect(found?.severity).toBe('error')
  })
})

describe('property naming', () => {
  it('accepts camelCase, Amplitude $ keys, vendor-prefixed keys and utm_ keys', () => {
    expect(
      propertyRules({ songId: 's1', $price: 3, '[Experiment] flag': 'on', utm_source: 'ad' }),
    ).toEqual([])
  })

  it.each(['song_id', 'SongId', 'song-id', 'song id'])('refuses %s', (key) => {
    expect(propertyRules({ [key]: 'x' })).toEqual([['property-naming', key]])
  })

  it('accepts keys listed in allowPropertyKeys', () => {
    expect(propertyRules({ legacy_key: 'x' }, { allowPropertyKeys: ['legacy_key'] })).toEqual([])
  })

  it('refuses ids and timestamps used as property keys', () => {
    expect(propertyRules({ item1234567: 1, '2026-11-28': 1 })).toEqual([
      ['high-cardinality-property-key', 'item1234567'],
      ['high-cardinality-property-key', '2026-11-28'],
    ])
  })

  it('asks for booleans named as questions', () => {
    expect(propertyRules({ isPreview: true, hasLyrics: false, enabled: true })).toEqual([])
    expect(propertyRules({ preview: true })).toEqual([['boolean-property-naming', 'preview']])
  })

  it('checks the keys of identify operations and plain user properties', () => {
    const event = {
      event_type: '$identify',
      user_properties: { $set: { plan_name: 'pro' }, $unset: { old_thing: '-' } },
    }
    expect(rulesFor(event)).toEqual([['property-naming', 'plan_name']])
    expect(rulesFor({ event_type: 'SongPlayed', user_properties: { Plan: 'pro' } })).toEqual([
      ['property-naming', 'Plan'],
    ])
  })

  it('checks keys and values one level down, with dotted names', () => {
    expect(propertyRules({ address: { zip_code: '0150' } })).toEqual([
      ['property-naming', 'address.zip_code'],
    ])
  })
})

describe('value rules', () => {
  it('flags strings longer than 1,024 characters', () => {
    expect(propertyRules({ lyrics: 'a'.repeat(1024) })).toEqual([])
    expect(propertyRules({ lyrics: 'a'.repeat(1025) })).toEqual([['value-string-length', 'lyrics']])
  })

  it('flags values nested more than one level', () => {
    expect(
      propertyRules({ song: { artist: 'x' }, tags: ['a', 'b'], items: [{ sku: 'a' }] }),
    ).toEqual([])
    expect(propertyRules({ song: { artist: { name: 'x' } } })).toEqual([
      ['value-nesting-depth', 'song'],
    ])
  })

  it.each(['price', 'amount', 'count', 'quantity', 'durationMs', 'itemCount', 'playSeconds'])(
    'flags %s sent as a string',
    (key) => {
      expect(propertyRules({ [key]: '9.99' })).toEqual([['value-number-as-string', key]])
      expect(propertyRules({ [key]: 9.99 })).toEqual([])
    },
  )

  it('wants ISO 8601 strings for date-like keys', () => {
    expect(
      propertyRules({ releasedAt: '2026-11-28T10:00:00Z', releaseDate: '2026-11-28' }),
    ).toEqual([])
    expect(propertyRules({ releasedAt: '28/11/2026', releaseDate: 1764324000000 })).toEqual([
      ['value-date-format', 'releasedAt'],
      ['value-date-format', 'releaseDate'],
    ])
  })

  it('recognises ISO 8601 dates and date-times', () => {
    expect(isIso8601('2026-11-28')).toBe(true)
    expect(isIso8601('2026-11-28T10:00:00.123+01:00')).toBe(true)
    expect(isIso8601('2026-13-28')).toBe(false)
    expect(isIso8601('Nov 28 2026')).toBe(false)
  })

  it('measures object levels, not arrays', () => {
    expect(objectDepth('x')).toBe(0)
    expect(objectDepth(['a'])).toBe(0)
    expect(objectDepth([{ a: 1 }])).toBe(1)
    expect(objectDepth({ a: { b: 1 } })).toBe(2)
  })
})

describe('PII detection', () => {
  it.each([
    ['email', 'jane.doe@example.com'],
    ['email', 'write to jane@example.co.uk please'],
    ['phone', '+1 415 555 2671'],
    ['phone', '+14155552671'],
    ['phone', '(415) 555-2671'],
    ['phone', '415-555-2671'],
    ['card-number', '4111 1111 1111 1111'],
    ['card-number', '5500-0000-0000-0004'],
    ['national-id', '123-45-6789'],
    ['national-id', 'AB123456C'],
    ['ip-address', '192.168.10.4'],
    ['ip-address', '2001:db8::8a2e:370:7334'],
    ['ip-address', 'fe80::1ff:fe23:4567:890a'],
  ])('finds %s in %s', (kind, value) => {
    expect(detectPii(value)).toBe(kind)
  })

  it.each([
    'rock',
    'user@',
    '2026-11-28',
    '12.50',
    '1.2.3',
    '10:30:00',
    '4111 1111 1111 1112',
    '12-34-56',
    '1234567890123456',
    'song-12345',
    'Hello world',
  ])('finds nothing in %s', (value) => {
    expect(detectPii(value)).toBeUndefined()
  })

  it('checks card numbers with Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true)
    expect(luhnValid('4111111111111112')).toBe(false)
  })

  it('reports PII values by rule and names the property, never the value', () => {
    const findings = createTaxonomyChecker().check({
      event_type: 'SongShared',
      event_properties: { note: 'mail jane@example.com', card: '4111111111111111' },
    })
    expect(findings.map((f) => f.rule)).toEqual(['pii-email', 'pii-card-number'])
    expect(findings[0]?.message).toMatch(/^pii-email: event "SongShared" property "note": /)
    expect(findings.map((f) => f.message).join('\n')).not.toMatch(/jane|4111/)
  })

  it('finds PII inside arrays and one level down', () => {
    expect(propertyRules({ recipients: ['a@b.co'], contact: { work: '+4722334455' } })).toEqual([
      ['pii-email', 'recipients'],
      ['pii-phone', 'contact.work'],
    ])
  })

  it('flags IP addresses in properties but not in version keys', () => {
    expect(propertyRules({ clientAddress: '10.0.0.1' })).toEqual([
      ['pii-ip-address', 'clientAddress'],
    ])
    expect(propertyRules({ appVersion: '10.0.0.1' })).toEqual([])
  })

  it('flags keys that announce personal data', () => {
    expect(piiKeyKind('email')).toBe('email')
    expect(piiKeyKind('contactPhoneNumber')).toBe('phone')
    expect(piiKeyKind('user_password')).toBe('personal')
    expect(piiKeyKind('microphone')).toBeUndefined()
    expect(piiKeyKind('emailVerified')).toBeUndefined()
    expect(propertyRules({ firstName: 'Jane' })).toEqual([['pii-key', 'firstName']])
  })

  it('skips consented properties listed in allowPii', () => {
    const properties = { email: 'jane@example.com', contact: { phone: '+4722334455' } }
    expect(propertyRules(properties, { allowPii: ['email', 'contact.phone'] })).toEqual([])
  })
})

describe('rule levels', () => {
  it('turns a rule off or changes its severity', () => {
    expect(propertyRules({ song_id: 'x' }, { rules: { 'property-naming': 'off' } })).toEqual([])
    const [found] = createTaxonomyChecker({ rules: { 'property-naming': 'warning' } }).check({
      event_type: 'SongPlayed',
      event_properties: { song_id: 'x' },
    })
    expect(found?.severity).toBe('warning')
  })

  it('returns the same empty array for clean events', () => {
    const checker = createTaxonomyChecker()
    const a = checker.check({ event_type: 'SongPlayed', event_properties: { songId: 's1' } })
    const b = checker.check({ event_type: 'SongPlayed', event_properties: { songId: 's2' } })
    expect(a).toHaveLength(0)
    expect(a).toBe(b)
  })
})

describe('high-cardinality values', () => {
  it('reports a property once when it passes the distinct-value limit within the window', () => {
    let now = 0
    const checker = createTaxonomyChecker({
      cardinality: { maxDistinctValues: 50, windowMs: 60_000 },
      now: () => now,
    })
    const rules: string[] = []
    for (let i = 0; i < 500; i++) {
      const findings = checker.check({
        event_type: 'SearchPerformed',
        event_properties: { query: `query number ${i}`, category: 'music' },
      })
      rules.push(...findings.map((f) => `${f.rule} ${f.property}`))
    }
    expect(rules).toEqual(['high-cardinality-values query'])
    now = 60_000
    const again: string[] = []
    for (let i = 0; i < 500; i++) {
      const findings = checker.check({
        event_type: 'SearchPerformed',
        event_properties: { query: `query number ${i}` },
      })
      again.push(...findings.map((f) => f.rule))
    }
    expect(again).toEqual(['high-cardinality-values'])
  })

  it('does not count id properties, whose values are distinct by nature', () => {
    const checker = createTaxonomyChecker({ cardinality: { maxDistinctValues: 10 } })
    for (let i = 0; i < 200; i++) {
      expect(
        checker.check({ event_type: 'SongPlayed', event_properties: { songId: `s${i}` } }),
      ).toEqual([])
    }
  })

  it('estimates distinct values within a few percent and bounds the tracked properties', () => {
    const counter = new DistinctValueCounter({ maxDistinctValues: 10_000, maxTrackedProperties: 2 })
    for (let i = 0; i < 1000; i++) counter.add('a', `value-${i}`)
    for (let i = 0; i < 1000; i++) counter.add('a', `value-${i}`)
    expect(counter.estimate('a')).toBeGreaterThan(950)
    expect(counter.estimate('a')).toBeLessThan(1050)
    counter.add('b', 'x')
    counter.add('c', 'x')
    expect(counter.trackedProperties).toBe(2)
    expect(counter.estimate('c')).toBe(0)
  })
})

describe('fixes', () => {
  it('redacts PII values by kind without touching the caller event', () => {
    const event = {
      event_type: 'SongShared',
      event_properties: { note: 'jane@example.com', songId: 's1', to: ['+4722334455'] },
    }
    const findings = createTaxonomyChecker().check(event)
    const { event: fixed, redacted } = applyTaxonomyFixes(event, findings, { redactPii: true })
    expect(redacted).toBe(2)
    expect(fixed.event_properties).toEqual({
      note: '[redacted:email]',
      songId: 's1',
      to: ['[redacted:phone]'],
    })
    expect(event.event_properties.note).toBe('jane@example.com')
  })

  it('flattens or stringifies values nested too deep', () => {
    const event = {
      event_type: 'SongPlayed',
      event_properties: { song: { artist: { name: 'A' } } },
    }
    const findings = createTaxonomyChecker().check(event)
    expect(
      applyTaxonomyFixes(event, findings, { nesting: 'flatten' }).event.event_properties,
    ).toEqual({
      song: { 'artist.name': 'A' },
    })
    expect(
      applyTaxonomyFixes(event, findings, { nesting: 'stringify' }).event.event_properties,
    ).toEqual({ song: '{"artist":{"name":"A"}}' })
    expect(applyTaxonomyFixes(event, findings, {}).event).toBe(event)
  })

  it('flattens to dotted keys', () => {
    expect(flattenValue({ a: { b: { c: 1 } }, d: 2 })).toEqual({ 'a.b.c': 1, d: 2 })
  })
})
