/** A small real HTTP server on 127.0.0.1:0 for the transport, export and cohort tests. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  body: string
}

export interface TestServer {
  url: string
  requests: RecordedRequest[]
  /** Requests being answered right now, and the most seen at once. */
  inFlight: number
  maxInFlight: number
  close(): Promise<void>
}

export type Handler = (
  request: RecordedRequest,
  response: ServerResponse,
  raw: IncomingMessage,
) => unknown

export async function startTestServer(handler: Handler): Promise<TestServer> {
  const state: TestServer = {
    url: '',
    requests: [],
    inFlight: 0,
    maxInFlight: 0,
    close: async () => {},
  }
  const server = createServer(async (raw, response) => {
    state.inFlight++
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
    response.on('close', () => state.inFlight--)
    const chunks: Buffer[] = []
    for await (const chunk of raw) chunks.push(chunk as Buffer)
    const url = new URL(raw.url ?? '/', 'http://127.0.0.1')
    const request: RecordedRequest = {
      method: raw.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: raw.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }
    state.requests.push(request)
    try {
      await handler(request, response, raw)
    } catch (error) {
      if (!response.headersSent) response.writeHead(500)
      response.end(String(error))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  state.url = `http://127.0.0.1:${port}`
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return state
}

/** Answers JSON. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}
