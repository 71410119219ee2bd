import { request as httpRequest } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createServerApp, type ServerAppOptions } from '../src/app.ts'
import { type ListeningServer, listen } from '../src/listen.ts'
import { event, OTHER_PROJECT, PROJECT } from './helpers/app-fixture.ts'
import { postHead, rawExchange } from './helpers/raw-http.ts'
import { RecordingStore } from './helpers/recording-store.ts'

const KEY = PROJECT.apiKey
let server: ListeningServer | undefined

async function start(options: Partial<ServerAppOptions> = {}) {
  const store = await RecordingStore.open()
  const app = createServerApp({ store, projects: [PROJECT, OTHER_PROJECT], ...options })
  server = await listen(app)
  return { server, store }
}

afterEach(async () => {
  await server?.close()
  server = undefined
})

async function upload(url: string, path = '/2/httpapi') {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: KEY, events: [event()] }),
  })
}

describe('the listening server', () => {
  it('binds 127.0.0.1 on a free port and answers over HTTP', async () => {
    const { server, store } = await start()
    expect(server.host).toBe('127.0.0.1')
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
    const response = await upload(server.url)
    expect(await response.json()).toMatchObject({ code: 200, events_ingested: 1 })
    expect(store.events[0]?.context.sourceIp).toBe('127.0.0.1')
  })

  it('answers a body truncated by a half-closed socket with 400 and keeps serving', async () => {
    const { server, store } = await start()
    const exchange = await rawExchange(server.port, `${postHead('/2/httpapi', 200)}{"api_key":`, {
      halfClose: true,
    })
    expect(exchange.status).toBe(400)
    expect(JSON.parse(exchange.body)).toEqual({ code: 400, error: 'Invalid JSON request body' })
    expect((await upload(server.url)).status).toBe(200)
    expect(store.events).toHaveLength(1)
  })

  it('answers a body shorter than its Content-Length once the body deadline passes', async () => {
    const { server } = await start({ bodyTimeoutMs: 100 })
    const exchange = await rawExchange(server.port, `${postHead('/batch', 500)}{"api_key":"`)
    expect(exchange.status).toBe(400)
    expect(JSON.parse(exchange.body)).toEqual({ code: 400, error: 'Invalid JSON request body' })
    expect((await upload(server.url)).status).toBe(200)
  })

  it('reads only the declared length of a body longer than its Content-Length, then closes', async () => {
    const { server, store } = await start()
    const body = JSON.stringify({ api_key: KEY, events: [event()] })
    const exchange = await rawExchange(server.port, `${postHead('/2/httpapi', 10)}${body}`)
    expect(exchange.status).toBe(400)
    expect(JSON.parse(exchange.body)).toEqual({ code: 400, error: 'Invalid JSON request body' })
    expect(exchange.received).toMatch(/connection: close/i)
    expect(store.events).toHaveLength(0)
    expect((await upload(server.url)).status).toBe(200)
  })

  it('answers a declared length over the cap with 413 without reading the body', async () => {
    const { server } = await start()
    const exchange = await rawExchange(server.port, `${postHead('/2/httpapi', 50_000_000)}{"a":`)
    expect(exchange.status).toBe(413)
    expect(JSON.parse(exchange.body)).toEqual({ code: 413, error: 'Payload too large' })
  })

  it('cuts off a streamed body past the Batch cap and keeps serving', async () => {
    const { server } = await start()
    const status = await new Promise<number | string>((resolve) => {
      const req = httpRequest(
        `${server.url}/batch`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', (error) => resolve(`error: ${error.message}`))
      const chunk = Buffer.alloc(1024 * 1024, 0x20)
      let sent = 0
      const pump = () => {
        while (sent < 40 && !req.destroyed) {
          sent++
          if (!req.write(chunk)) {
            req.once('drain', pump)
            return
          }
        }
        req.end()
      }
      pump()
    })
    // The server answers 413 as soon as the cap is passed; a client still writing may instead see
    // the connection close under it. Either way nothing is buffered past the cap.
    expect([
      413,
      'error: write EPIPE',
      'error: socket hang up',
      'error: read ECONNRESET',
    ]).toContain(status)
    expect((await upload(server.url)).status).toBe(200)
  })

  it('answers a method fetch cannot represent (TRACE) with 405 and keeps serving', async () => {
    const { server } = await start()
    const exchange = await rawExchange(server.port, 'TRACE /2/httpapi HTTP/1.1\r\nhost: x\r\n\r\n')
    expect(exchange.status).toBe(405)
    expect(JSON.parse(exchange.body)).toEqual({ code: 405, error: 'Method Not Allowed' })
    expect((await upload(server.url)).status).toBe(200)
  })

  it('answers garbage that is not HTTP with 400 and keeps serving', async () => {
    const { server } = await start()
    const exchange = await rawExchange(server.port, 'HELLO THERE\r\n\r\n')
    expect(exchange.status).toBe(400)
    expect(JSON.parse(exchange.body)).toMatchObject({ code: 400 })
    expect((await upload(server.url)).status).toBe(200)
  })

  it('resets the connection for a reset fault', async () => {
    const { server, store } = await start({ faults: true })
    await fetch(`${server.url}/_ampkit/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'reset', path: '/2/httpapi' }),
    })
    await expect(upload(server.url)).rejects.toThrow()
    expect(store.events).toHaveLength(0)
    expect((await upload(server.url)).status).toBe(200)
  })

  it('holds a request past a client timeout for a hang fault, then drops it', async () => {
    const { server, store } = await start({ faults: true })
    await fetch(`${server.url}/_ampkit/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'hang', delayMs: 2000 }),
    })
    const timedOut = fetch(`${server.url}/2/httpapi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: KEY, events: [event()] }),
      signal: AbortSignal.timeout(100),
    })
    await expect(timedOut).rejects.toThrow(/aborted|timeout/i)
    expect(store.events).toHaveLength(0)
    expect((await upload(server.url)).status).toBe(200)
  })

  it('closes while a request is held, dropping it instead of waiting out the delay', async () => {
    const { server } = await start({ faults: true })
    await fetch(`${server.url}/_ampkit/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'hang', delayMs: 600_000, afterDelay: 'answer' }),
    })
    const held = upload(server.url).then(
      (response) => response.status,
      () => 'dropped',
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    await server.close()
    expect(await held).toBe('dropped')
  })
})
