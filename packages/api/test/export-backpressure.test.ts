import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { AbortedError, createAmplitudeApi, TimeoutError } from '../src/index.ts'
import { startTestServer, type TestServer } from './helpers/http-server.ts'
import { exportArchive } from './helpers/zip-writer.ts'

const servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

/** ~4.5 MB of barely compressible events in 4 files, built once. */
let built: Buffer | undefined
function bigArchive(): Buffer {
  if (built !== undefined) return built
  const pool = randomBytes(4_500_000).toString('base64')
  const files = []
  for (let f = 0; f < 4; f++) {
    const events = []
    for (let n = 0; n < 2000; n++) {
      const at = (f * 2000 + n) * 750
      events.push({ event_id: f * 2000 + n, payload: pool.slice(at, at + 750) })
    }
    files.push({ hour: f, events })
  }
  built = exportArchive(files)
  return built
}

async function serveArchive(archive: Buffer) {
  const server = await startTestServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/zip' })
    res.end(archive)
  })
  servers.push(server)
  return server
}

/** A fetch whose response body counts the bytes the client pulled out of it. */
function countingFetch() {
  const state = { pulled: 0 }
  const fetchFn = async (url: string, init: RequestInit): Promise<Response> => {
    const response = await fetch(url, init)
    if (response.body === null) return response
    const reader = response.body.getReader()
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { done, value } = await reader.read()
          if (done) controller.close()
          else {
            state.pulled += value.byteLength
            controller.enqueue(value)
          }
        },
        cancel(reason) {
          return reader.cancel(reason)
        },
      },
      { highWaterMark: 0 },
    )
    return new Response(body, { status: response.status, headers: response.headers })
  }
  return { state, fetchFn }
}

describe('export streaming', () => {
  it('reads the body ahead of a consumer that has stopped by a bounded amount only', async () => {
    const archive = bigArchive()
    const server = await serveArchive(archive)
    const { state, fetchFn } = countingFetch()
    const api = createAmplitudeApi({
      apiKey: 'k',
      secretKey: 's',
      baseUrl: server.url,
      hooks: { fetch: fetchFn },
    })
    const iterator = api.exportEvents({ start: '20240714T00', end: '20240714T05' })
    const first = await iterator.next()
    expect(first.value?.event_id).toBe(0)
    // Give the reader time to run ahead: it reads up to 16 MiB (read-ahead.ts), here the whole
    // 4.5 MB archive, and no more — the bound itself is pinned by read-ahead.test.ts.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5))
    expect(archive.length).toBeGreaterThan(4_000_000)
    expect(state.pulled).toBe(archive.length)
    let count = 1
    for (;;) {
      const next = await iterator.next()
      if (next.done) break
      count++
    }
    expect(count).toBe(8000)
    expect(state.pulled).toBe(archive.length)
  })

  it('aborts a running export when the caller’s signal fires, and frees its permit', async () => {
    const server = await serveArchive(bigArchive())
    const api = createAmplitudeApi({ apiKey: 'k', secretKey: 's', baseUrl: server.url })
    const controller = new AbortController()
    const run = async () => {
      let n = 0
      for await (const _ of api.exportEvents({
        start: '20240714T00',
        end: '20240714T05',
        signal: controller.signal,
      })) {
        if (++n === 10) controller.abort(new Error('user stopped'))
      }
    }
    await expect(run()).rejects.toThrow(AbortedError)
    expect(api.pending).toEqual({ inFlight: 0, queued: 0 })
  })

  it('fails with a TimeoutError when the body stalls longer than timeoutMs', async () => {
    const archive = bigArchive()
    const server = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip' })
      res.write(archive.subarray(0, 100_000))
      // …and never more.
    })
    servers.push(server)
    const api = createAmplitudeApi({
      apiKey: 'k',
      secretKey: 's',
      baseUrl: server.url,
      timeoutMs: 200,
    })
    const run = async () => {
      for await (const _ of api.exportEvents({ start: '20240714T00', end: '20240714T05' })) {
      }
    }
    await expect(run()).rejects.toThrow(TimeoutError)
    expect(api.pending).toEqual({ inFlight: 0, queued: 0 })
  })
})
