import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  defineTrackingPlan,
  pullTrackingPlan,
  syncTrackingPlan,
  TaxonomySyncError,
} from '@ampkit/node'
import { afterEach, describe, expect, it } from 'vitest'

const KEYS = { apiKey: 'a'.repeat(32), secretKey: 'b'.repeat(32) }

interface FakeTaxonomy {
  url: string
  requests: Array<{ method: string; path: string; form: Record<string, string> }>
  events: Map<string, Record<string, string>>
  properties: Map<string, Record<string, string>>
}

let server: Server | undefined
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})

/** A Taxonomy API stand-in: form-encoded POST/PUT, 409 on duplicates, Basic auth. */
async function startFake(): Promise<FakeTaxonomy> {
  const fake: FakeTaxonomy = { url: '', requests: [], events: new Map(), properties: new Map() }
  const expected = `Basic ${Buffer.from(`${KEYS.apiKey}:${KEYS.secretKey}`).toString('base64')}`
  server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const url = new URL(req.url ?? '/', 'http://x')
    const form = Object.fromEntries(new URLSearchParams(body))
    fake.requests.push({ method: req.method ?? '', path: url.pathname, form })
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(json))
    }
    if (req.headers.authorization !== expected)
      return send(401, { success: false, errors: [{ message: 'Unauthorized' }] })
    const [, , , , resource, name] = url.pathname.split('/')
    if (resource === 'event') {
      if (req.method === 'GET') return send(200, { success: true, data: [...fake.events.values()] })
      if (req.method === 'POST') {
        if (fake.events.has(form.event_type ?? '')) {
          return send(409, { success: false, errors: [{ message: 'Event type already exists' }] })
        }
        fake.events.set(form.event_type ?? '', form)
        return send(200, { success: true })
      }
      if (req.method === 'PUT') {
        const key = decodeURIComponent(name ?? '')
        fake.events.set(key, { ...fake.events.get(key), ...form })
        return send(200, { success: true })
      }
    }
    if (resource === 'event-property') {
      if (req.method === 'GET') {
        const type = url.searchParams.get('event_type')
        return send(200, {
          success: true,
          data: [...fake.properties.values()].filter((p) => p.event_type === type),
        })
      }
      const key = `${form.event_type}.${form.event_property ?? decodeURIComponent(name ?? '')}`
      if (req.method === 'POST') {
        if (fake.properties.has(key))
          return send(409, { success: false, errors: [{ message: 'exists' }] })
        fake.properties.set(key, form)
        return send(200, { success: true })
      }
      if (req.method === 'PUT') {
        fake.properties.set(key, {
          ...fake.properties.get(key),
          ...form,
          event_property: name ?? '',
        })
        return send(200, { success: true })
      }
    }
    send(404, { success: false, errors: [{ message: 'Not found' }] })
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`
  return fake
}

const plan = defineTrackingPlan({
  events: {
    SongPlayed: {
      category: 'Playback',
      properties: {
        songId: { type: 'string', required: true },
        genre: { type: 'string', enum: ['rock', 'jazz'] },
      },
    },
  },
})

describe('syncing a plan with the Taxonomy API', () => {
  it('creates events and properties, then updates them on a second push', async () => {
    const fake = await startFake()
    const first = await syncTrackingPlan(plan, { ...KEYS, serverUrl: fake.url })
    expect(first).toEqual({
      created: [
        'event SongPlayed',
        'event-property SongPlayed.songId',
        'event-property SongPlayed.genre',
      ],
      updated: [],
      failed: [],
    })
    expect(fake.requests[0]).toEqual({
      method: 'POST',
      path: '/api/2/taxonomy/event',
      form: { event_type: 'SongPlayed', category: 'Playback' },
    })
    const second = await syncTrackingPlan(plan, { ...KEYS, serverUrl: fake.url })
    expect(second.updated).toEqual(first.created)
    expect(fake.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
      '/api/2/taxonomy/event/SongPlayed',
      '/api/2/taxonomy/event-property/songId',
      '/api/2/taxonomy/event-property/genre',
    ])
  })

  it('lists failures with the server message and never the keys', async () => {
    const fake = await startFake()
    const report = await syncTrackingPlan(plan, {
      ...KEYS,
      secretKey: 'wrong'.repeat(7),
      serverUrl: fake.url,
    })
    expect(report.created).toEqual([])
    expect(report.failed[0]).toEqual({
      item: 'event SongPlayed',
      status: 401,
      message: 'POST /api/2/taxonomy/event failed: 401 Unauthorized',
    })
    expect(JSON.stringify(report)).not.toContain(KEYS.apiKey)
  })

  it('pulls the pushed plan back, validating the same way', async () => {
    const fake = await startFake()
    await syncTrackingPlan(plan, { ...KEYS, serverUrl: fake.url })
    const pulled = await pullTrackingPlan({ ...KEYS, serverUrl: fake.url })
    expect(pulled.eventTypes).toEqual(['SongPlayed'])
    expect(pulled.validate('SongPlayed', { songId: 's1', genre: 'rock' })).toEqual([])
    expect(pulled.validate('SongPlayed', { genre: 'polka' }).map((f) => f.rule)).toEqual([
      'plan-property-type',
      'plan-missing-property',
    ])
  })

  it('throws a TaxonomySyncError when a pull fails', async () => {
    const fake = await startFake()
    const error = await pullTrackingPlan({
      ...KEYS,
      secretKey: 'x'.repeat(32),
      serverUrl: fake.url,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TaxonomySyncError)
    expect((error as TaxonomySyncError).message).toBe(
      'GET /api/2/taxonomy/event failed: 401 Unauthorized',
    )
  })
})
