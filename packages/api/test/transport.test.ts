import { afterEach, describe, expect, it } from 'vitest'
import { Transport } from '../src/http/transport.ts'
import {
  type ApiOptions,
  AuthError,
  BadRequestError,
  NetworkError,
  RateLimitError,
  resolveApiOptions,
  ServerError,
  TimeoutError,
} from '../src/index.ts'
import { sendJson, startTestServer, type TestServer } from './helpers/http-server.ts'

const SECRET = 'super-secret-key-123'
const servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function serve(handler: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer(handler)
  servers.push(server)
  return server
}

function transportFor(server: TestServer, extra: Partial<ApiOptions> = {}) {
  const sleeps: number[] = []
  const transport = new Transport(
    resolveApiOptions({
      apiKey: 'api-key-1',
      secretKey: SECRET,
      baseUrl: server.url,
      hooks: {
        sleep: async (ms) => {
          sleeps.push(ms)
        },
        random: () => 0,
        now: () => Date.UTC(2024, 6, 14, 10, 0, 0),
      },
      ...extra,
    }),
  )
  return { transport, sleeps }
}

describe('transport', () => {
  it('sends HTTP Basic credentials of api key and secret key', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { ok: true }))
    const { transport } = transportFor(server)
    const { body } = await transport.json<{ ok: boolean }>({ method: 'GET', path: '/api/2/x' })
    expect(body.ok).toBe(true)
    const expected = `Basic ${Buffer.from(`api-key-1:${SECRET}`).toString('base64')}`
    expect(server.requests[0]?.headers.authorization).toBe(expected)
  })

  it('keeps at most 5 requests in flight when 12 are made at once, and answers all 12', async () => {
    // The server holds answers until 5 requests wait (or all 12 arrived), so a client that let a
    // sixth through would be seen with 6 in flight.
    let held: (() => void)[] = []
    let arrived = 0
    const server = await serve(async (req, res) => {
      arrived++
      await new Promise<void>((resolve) => {
        held.push(resolve)
        if (held.length >= 5 || arrived === 12) {
          const release = held
          held = []
          setTimeout(() => {
            for (const r of release) r()
          }, 10)
        }
      })
      sendJson(res, 200, { n: Number(req.query.get('n')) })
    })
    const { transport } = transportFor(server)
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        transport.json<{ n: number }>({ method: 'GET', path: '/q', query: [['n', String(n)]] }),
      ),
    )
    expect(answers.map((a) => a.body.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(server.requests).toHaveLength(12)
    expect(server.maxInFlight).toBe(5)
  })

  it('retries a 429 after the Retry-After seconds, then returns the answer', async () => {
    let calls = 0
    const server = await serve((_req, res) => {
      calls++
      if (calls < 3) sendJson(res, 429, { error: 'too many' }, { 'retry-after': '2' })
      else sendJson(res, 200, { ok: calls })
    })
    const { transport, sleeps } = transportFor(server)
    const { body } = await transport.json<{ ok: number }>({ method: 'GET', path: '/q' })
    expect(body.ok).toBe(3)
    expect(sleeps).toEqual([2000, 2000])
  })

  it('honours a Retry-After given as an HTTP date', async () => {
    let calls = 0
    const server = await serve((_req, res) => {
      calls++
      if (calls === 1) sendJson(res, 429, {}, { 'retry-after': 'Sun, 14 Jul 2024 10:00:05 GMT' })
      else sendJson(res, 200, {})
    })
    const { transport, sleeps } = transportFor(server)
    await transport.json({ method: 'GET', path: '/q' })
    expect(sleeps).toEqual([5000])
  })

  it('gives up on a 429 after maxAttempts with a RateLimitError carrying the attempts', async () => {
    const server = await serve((_req, res) =>
      sendJson(res, 429, { error: 'limit' }, { 'retry-after': '1' }),
    )
    const { transport, sleeps } = transportFor(server, { retry: { maxAttempts: 3 } })
    const error = await transport.json({ method: 'GET', path: '/q' }).catch((e) => e)
    expect(error).toBeInstanceOf(RateLimitError)
    expect(error).toMatchObject({
      code: 'E_RATE_LIMITED',
      status: 429,
      attempts: 3,
      retryAfterMs: 1000,
    })
    expect(sleeps).toHaveLength(2)
    expect(server.requests).toHaveLength(3)
  })

  it('retries a 503 for a GET but not for a POST', async () => {
    let calls = 0
    const server = await serve((_req, res) => {
      calls++
      if (calls === 1) sendJson(res, 503, { error: 'busy' })
      else sendJson(res, 200, { calls })
    })
    const { transport } = transportFor(server)
    expect(
      (await transport.json<{ calls: number }>({ method: 'GET', path: '/q' })).body.calls,
    ).toBe(2)
    calls = 0
    const error = await transport
      .json({ method: 'POST', path: '/q', body: { json: { a: 1 } } })
      .catch((e) => e)
    expect(error).toBeInstanceOf(ServerError)
    expect(error.message).toBe('POST /q failed: 503 busy')
  })

  it('retries a reset connection for a GET and fails with a NetworkError when it persists', async () => {
    let calls = 0
    const server = await serve((_req, res) => {
      calls++
      if (calls === 1) res.socket?.destroy()
      else sendJson(res, 200, { calls })
    })
    const { transport } = transportFor(server)
    expect(
      (await transport.json<{ calls: number }>({ method: 'GET', path: '/q' })).body.calls,
    ).toBe(2)
    const broken = await serve((_req, res) => {
      res.socket?.destroy()
    })
    const { transport: other } = transportFor(broken, { retry: { maxAttempts: 2 } })
    const error = await other.json({ method: 'GET', path: '/q' }).catch((e) => e)
    expect(error).toBeInstanceOf(NetworkError)
    expect(broken.requests).toHaveLength(2)
  })

  it('times out a request that gets no answer', async () => {
    const server = await serve(() => {
      // Never answers.
    })
    const { transport } = transportFor(server, { timeoutMs: 50, retry: { maxAttempts: 1 } })
    const error = await transport.json({ method: 'GET', path: '/slow' }).catch((e) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.message).toContain('GET /slow failed')
  })

  it('maps 403 to an AuthError whose message, fields and JSON hold no credential', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(403)
      res.end('Invalid API Key')
    })
    const { transport } = transportFor(server)
    const error = await transport.json({ method: 'GET', path: '/api/2/export' }).catch((e) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ name: 'AuthError', code: 'E_AUTH', status: 403, method: 'GET' })
    expect(error.message).toBe('GET /api/2/export failed: 403 Invalid API Key')
    const everything = `${error.message} ${JSON.stringify(error)} ${error.stack} ${error.url}`
    expect(everything).not.toContain(SECRET)
    expect(everything).not.toContain(Buffer.from(`api-key-1:${SECRET}`).toString('base64'))
  })

  it('maps the cohort error body to a BadRequestError with its type and metadata', async () => {
    const server = await serve((_req, res) =>
      sendJson(res, 400, {
        error: {
          http_code: 400,
          type: 'invalid_ids',
          message: 'Bad ids',
          metadata: { cohort_id: 'c1' },
        },
      }),
    )
    const { transport } = transportFor(server)
    const error = await transport
      .json({ method: 'POST', path: '/api/3/cohorts/membership', body: { json: {} } })
      .catch((e) => e)
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error).toMatchObject({ errorType: 'invalid_ids', metadata: { cohort_id: 'c1' } })
    expect(error.message).toBe('POST /api/3/cohorts/membership failed: 400 Bad ids')
  })

  it('follows a redirect to another origin without sending the credentials there', async () => {
    const target = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' })
      res.end('a,b\n')
    })
    const origin = await serve((_req, res) => {
      res.writeHead(302, { location: `${target.url}/bucket/file.csv?X-Amz-Signature=abc` })
      res.end()
    })
    const { transport } = transportFor(origin)
    const { text } = await transport.text({ method: 'GET', path: '/file' })
    expect(text).toBe('a,b\n')
    expect(origin.requests[0]?.headers.authorization).toMatch(/^Basic /)
    expect(target.requests[0]?.headers.authorization).toBeUndefined()
  })

  it('sends the Profile API secret as an Api-Key header', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}))
    const { transport } = transportFor(server)
    await transport.json({ method: 'GET', path: '/v1/userprofile', api: 'profile' })
    expect(server.requests[0]?.headers.authorization).toBe(`Api-Key ${SECRET}`)
  })
})
