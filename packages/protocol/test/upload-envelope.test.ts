import { exceedsEventCount, readUploadEnvelope } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'

describe('readUploadEnvelope', () => {
  it('reads the key, the events and min_id_length, ignoring unknown keys', () => {
    const outcome = readUploadEnvelope({
      api_key: 'key',
      events: [{ event_type: 'A' }],
      options: { min_id_length: 3 },
      client_upload_time: '2024-01-01T00:00:00.000Z',
      request_metadata: { sdk: {} },
    })
    expect(outcome).toEqual({
      ok: true,
      envelope: { apiKey: 'key', events: [{ event_type: 'A' }], minIdLength: 3 },
    })
  })

  it('answers a missing api_key with missing_field', () => {
    expect(readUploadEnvelope({ events: [{}] })).toEqual({
      ok: false,
      body: { code: 400, error: 'Request missing required field', missing_field: 'api_key' },
    })
  })

  it('answers missing or empty events with missing_field events', () => {
    for (const body of [
      { api_key: 'k' },
      { api_key: 'k', events: [] },
      { api_key: 'k', events: {} },
    ])
      expect(readUploadEnvelope(body)).toMatchObject({
        ok: false,
        body: { code: 400, missing_field: 'events' },
      })
  })

  it('refuses a min_id_length that is not a positive integer', () => {
    expect(
      readUploadEnvelope({ api_key: 'k', events: [{}], options: { min_id_length: 0 } }),
    ).toMatchObject({ ok: false, body: { code: 400 } })
  })

  it('counts more than 2,000 events as too many', () => {
    expect(exceedsEventCount(new Array(2000).fill({}))).toBe(false)
    expect(exceedsEventCount(new Array(2001).fill({}))).toBe(true)
  })
})
