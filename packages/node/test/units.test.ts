import { describe, expect, it } from 'vitest'
import { backoffDelayMs } from '../src/backoff.ts'
import { buildBody, chunk, createEnvelope, takeBatch } from '../src/batcher.ts'
import { Deque } from '../src/deque.ts'
import { admit, MemoryEventStore } from '../src/queue.ts'
import { createQueuedEvent, type QueuedEvent } from '../src/queued-event.ts'
import { redact } from '../src/redact.ts'
import { DELIVERED, settle, TrackHandle } from '../src/result.ts'
import { networkErrorKind } from '../src/transport.ts'

function record(json: string): QueuedEvent {
  const r = createQueuedEvent()
  r.json = json
  r.bytes = Buffer.byteLength(json) + Buffer.byteLength('{"library":"lib/1",') - 1
  return r
}

describe('Deque', () => {
  it('keeps FIFO order across growth, with pushes and unshifts at both ends', () => {
    const deque = new Deque<number>()
    for (let i = 0; i < 100; i++) deque.push(i)
    for (let i = 0; i < 50; i++) deque.shift()
    deque.unshift(-1)
    for (let i = 100; i < 3000; i++) deque.push(i)
    const out: number[] = []
    for (let v = deque.shift(); v !== undefined; v = deque.shift()) out.push(v)
    expect(out).toEqual([-1, ...Array.from({ length: 2950 }, (_, i) => i + 50)])
    expect(deque.length).toBe(0)
  })
})

describe('batcher', () => {
  const envelope = createEnvelope('key-1234', 3, 'lib/1')

  it('builds the envelope the official SDK sends', () => {
    const body = buildBody(envelope, [record('{"event_type":"a"}'), record('{"event_type":"b"}')])
    expect(JSON.parse(body.toString('utf8'))).toEqual({
      api_key: 'key-1234',
      events: [
        { library: 'lib/1', event_type: 'a' },
        { library: 'lib/1', event_type: 'b' },
      ],
      options: { min_id_length: 3 },
    })
  })

  it('takes batches bounded by count and by body bytes, counting the exact body size', () => {
    const store = new MemoryEventStore()
    for (let i = 0; i < 10; i++) store.push(record(`{"i":"${'é'.repeat(20)}${i}"}`))
    const byCount = takeBatch(store, { maxEvents: 3, maxBodyBytes: 1_000_000 }, envelope)
    expect(byCount).toHaveLength(3)
    const maxBodyBytes = 200
    const byBytes = takeBatch(store, { maxEvents: 100, maxBodyBytes }, envelope)
    expect(buildBody(envelope, byBytes).length).toBeLessThanOrEqual(maxBodyBytes)
    expect(JSON.parse(buildBody(envelope, byBytes).toString('utf8')).events).toHaveLength(
      byBytes.length,
    )
    const next = store.peek() as QueuedEvent
    expect(buildBody(envelope, [...byBytes, next]).length).toBeGreaterThan(maxBodyBytes)
  })

  it('parks held events and takes the others', () => {
    const store = new MemoryEventStore()
    for (const id of ['a', 'held', 'b']) store.push(record(`{"id":"${id}"}`))
    const parked: QueuedEvent[] = []
    const batch = takeBatch(
      store,
      { maxEvents: 10, maxBodyBytes: 10_000 },
      envelope,
      (r) => r.json.includes('held'),
      (r) => parked.push(r),
    )
    expect(batch.map((r) => r.json)).toEqual(['{"id":"a"}', '{"id":"b"}'])
    expect(parked.map((r) => r.json)).toEqual(['{"id":"held"}'])
  })

  it('chunks events in order within the limits', () => {
    const records = Array.from({ length: 7 }, (_, i) => record(`{"i":${i}}`))
    expect(
      chunk(records, { maxEvents: 3, maxBodyBytes: 10_000 }, envelope).map((c) => c.length),
    ).toEqual([3, 3, 1])
  })
})

describe('admit', () => {
  const bound = { maxQueuedEvents: 2, maxQueuedBytes: 100, overflowPolicy: 'dropOldest' as const }

  it('accepts what fits, evicts under dropOldest, refuses under refuseNewest', () => {
    expect(admit(bound, 1, 10, 10, 1)).toBe('accept')
    expect(admit(bound, 2, 10, 10, 2)).toBe('evictOldest')
    expect(admit(bound, 1, 95, 10, 1)).toBe('evictOldest')
    expect(admit({ ...bound, overflowPolicy: 'refuseNewest' }, 2, 10, 10, 2)).toBe('refuse')
  })

  it('refuses when nothing can be evicted (everything is in flight)', () => {
    expect(admit(bound, 2, 10, 10, 0)).toBe('refuse')
  })
})

describe('backoff', () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 30_000 }

  it('doubles up to the cap, with jitter between half and all of it', () => {
    expect([1, 2, 3, 6, 12].map((a) => backoffDelayMs(policy, a, () => 0))).toEqual([
      500, 1000, 2000, 15_000, 15_000,
    ])
    expect(backoffDelayMs(policy, 3, () => 0.999_999)).toBe(4000)
  })

  it('adds up to more than a minute over the default 12 retries even with the lowest jitter', () => {
    let total = 0
    for (let attempt = 1; attempt <= 12; attempt++)
      total += backoffDelayMs(policy, attempt, () => 0)
    expect(total).toBeGreaterThan(60_000)
  })
})

describe('redact', () => {
  it('removes every occurrence of the key', () => {
    expect(redact('Invalid API key: abcd1234 (abcd1234)', 'abcd1234')).toBe(
      'Invalid API key: <redacted> (<redacted>)',
    )
  })
})

describe('TrackHandle', () => {
  it('creates its promise lazily and resolves it at settlement', async () => {
    const r = record('{"event_type":"a","insert_id":"id-1"}')
    const handle = new TrackHandle(r, 'id-1')
    expect(r.resolve).toBeUndefined()
    const promise = handle.promise
    expect(handle.promise).toBe(promise)
    settle(r, DELIVERED)
    expect(await promise).toEqual({
      event: { event_type: 'a', insert_id: 'id-1', library: 'ampkit-node/0.1.0' },
      code: 200,
      message: 'Event tracked successfully',
      insertId: 'id-1',
    })
  })

  it('resolves at once when read after settlement', async () => {
    const r = record('{"event_type":"a"}')
    settle(r, DELIVERED)
    expect((await new TrackHandle(r, undefined).promise).code).toBe(200)
  })
})

describe('networkErrorKind', () => {
  const fetchError = (code: string) =>
    Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error(code), { code }),
    })

  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ENOTFOUND', 'network'],
  ])('maps %s to %s', (code, kind) => {
    expect(networkErrorKind(fetchError(code))).toBe(kind)
  })

  it('finds the code inside an AggregateError', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const error = Object.assign(new TypeError('fetch failed'), {
      cause: new AggregateError([inner]),
    })
    expect(networkErrorKind(error)).toBe('refused')
  })
})
