import { randomBytes } from 'node:crypto'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import type { ServerApp } from '../../src/app.ts'
import { listen } from '../../src/listen.ts'
import { appWith, basicAuth, PROJECT } from '../helpers/app-fixture.ts'
import { RecordingStore } from '../helpers/recording-store.ts'
import { countingStore } from './export-helpers.ts'
import { recordsByEntry } from './zip-reader.ts'

const NINE = Date.UTC(2024, 6, 14, 9)
const AUTH = { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) }

/** A listening server over a store holding `count` events of PROJECT uploaded at 09:00–09:59. */
async function serverWith(count: number, propertyBytes: number, maxEventsPerPart: number) {
  const inner = await RecordingStore.open(() => NINE)
  const store = countingStore(inner)
  for (let from = 0; from < count; from += 1000) {
    const events = Array.from({ length: Math.min(1000, count - from) }, (_, i) => ({
      event_type: 'Blob',
      user_id: `user-${(from + i) % 50}-0000`,
      insert_id: `ins-${from + i}`,
      // Random text compresses poorly, so the archive outgrows the socket buffers.
      event_properties: { blob: randomBytes(propertyBytes).toString('base64') },
    }))
    await inner.inner.ingestEvents(events, {
      projectId: PROJECT.id,
      receivedAtMs: NINE,
      path: '/batch',
    })
  }
  const { app } = appWith(store, { export: { maxEventsPerPart, readAheadBytes: 1 } })
  const server = await listen(app)
  onTestFinished(() => server.close())
  return { server, store }
}

describe('GET /api/2/export over a real port', () => {
  it('streams the archive chunked, with every event once', async () => {
    const { server } = await serverWith(1200, 16, 500)
    const response = await fetch(`${server.url}/api/2/export?start=20240714T09&end=20240714T09`, {
      headers: AUTH,
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/zip')
    expect(response.headers.get('transfer-encoding')).toBe('chunked')
    const entries = recordsByEntry(Buffer.from(await response.arrayBuffer()))
    expect(entries.map((e) => [e.name, e.records.length])).toEqual([
      ['7/7_2024-07-14_9#0.json.gz', 500],
      ['7/7_2024-07-14_9#1.json.gz', 500],
      ['7/7_2024-07-14_9#2.json.gz', 200],
    ])
    const ids = entries.flatMap((e) =>
      e.records.map((r) => (r as { $insert_id: string }).$insert_id),
    )
    expect(new Set(ids).size).toBe(1200)
  })

  it('stops reading the store when the client disconnects mid-export', async () => {
    const { server, store } = await serverWith(6000, 1500, 100)
    const parts = 60
    const aborter = new AbortController()
    const response = await fetch(`${server.url}/api/2/export?start=20240714T09&end=20240714T09`, {
      headers: AUTH,
      signal: aborter.signal,
    })
    const reader = response.body!.getReader()
    const first = await reader.read()
    expect(first.done).toBe(false)
    aborter.abort()
    // Backpressure holds the export at the socket; the disconnect then cancels it between parts.
    await vi.waitFor(() => expect(store.openReads()).toBe(0), { timeout: 10_000 })
    await server.close()
    expect(store.openReads()).toBe(0)
    expect(store.startedReads()).toBeLessThan(parts)
  })

  it('breaks the connection when a streamed body fails midway, so a short archive never looks complete', async () => {
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1
        if (sent <= 3) controller.enqueue(new Uint8Array(1024).fill(sent))
        else controller.error(new Error('store failed'))
      },
    })
    const server = await listen(appAnswering(new Response(body)))
    onTestFinished(() => server.close())
    // The reset may reach the client before or after the head: either way, never a clean end.
    const read = fetch(`${server.url}/any`).then((response) => response.arrayBuffer())
    await expect(read).rejects.toThrow()
  })

  it('cancels a streamed body when the client goes away', async () => {
    let cancelled = false
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          controller.enqueue(new Uint8Array(64 * 1024))
        },
        cancel() {
          cancelled = true
        },
      },
      { highWaterMark: 0 },
    )
    const server = await listen(appAnswering(new Response(body)))
    onTestFinished(() => server.close())
    const aborter = new AbortController()
    const response = await fetch(`${server.url}/any`, { signal: aborter.signal })
    await response.body!.getReader().read()
    aborter.abort()
    await vi.waitFor(() => expect(cancelled).toBe(true), { timeout: 10_000 })
  })
})

/** An app that answers every request with `response` (the edge's behaviour alone). */
function appAnswering(response: Response): ServerApp {
  return {
    projects: [],
    handle: async () => response,
    close: async () => {},
  }
}
