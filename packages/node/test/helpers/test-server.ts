/**
 * A small Amplitude-like HTTP sink on 127.0.0.1 for end-to-end tests, with fault injection:
 * any status and body, a request that hangs past the client's deadline, a reset connection, and
 * refused connections for a while (`stop()` closes the listener, `restart()` reopens the same port).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { successBody, type WireEvent } from '@ampkit/protocol'

/** What the server does with one request. */
export type Action =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | 'ok'
  | { okAfterMs: number }
  | 'hang'
  | 'reset'
  /** Stores the events, then drops the connection before answering (the client must resend). */
  | 'acceptThenReset'

/** One request as received. */
export interface Received {
  path: string
  apiKey: string | undefined
  events: WireEvent[]
  gzip: boolean
  body: Record<string, unknown>
}

/** Decides the action for a request; `undefined` means 200. */
export type Responder = (request: Received, index: number) => Action | undefined

export class TestServer {
  readonly requests: Received[] = []
  /** Events of requests answered 200, in arrival order. */
  readonly accepted: WireEvent[] = []
  port = 0
  /** Most requests handled at the same time. */
  maxConcurrent = 0
  #concurrent = 0
  #server: Server | undefined
  readonly #sockets = new Set<Socket>()
  #faults: Action[] = []
  #responder: Responder | undefined

  static async start(): Promise<TestServer> {
    const server = new TestServer()
    await server.#listen(0)
    return server
  }

  /** The HTTP V2 URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/2/httpapi`
  }

  /** Actions for the next requests, in order; after them, the responder or 200. */
  enqueue(...actions: Action[]): void {
    this.#faults.push(...actions)
  }

  /** Sets the responder used when no queued action is left. */
  respond(responder: Responder | undefined): void {
    this.#responder = responder
  }

  /** Closes the listener and every connection: clients get ECONNREFUSED until `restart()`. */
  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (server === undefined) return
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    await this.#listen(this.port)
  }

  async close(): Promise<void> {
    await this.stop()
  }

  #listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      void this.#handle(req, res)
    })
    server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
    })
    this.#server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port
        resolve()
      })
    })
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    let raw = Buffer.concat(chunks)
    const gzip = req.headers['content-encoding'] === 'gzip'
    if (gzip) raw = gunzipSync(raw)
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
    } catch {
      body = {}
    }
    const received: Received = {
      path: req.url ?? '',
      apiKey: typeof body.api_key === 'string' ? body.api_key : undefined,
      events: Array.isArray(body.events) ? (body.events as WireEvent[]) : [],
      gzip,
      body,
    }
    const index = this.requests.length
    this.requests.push(received)
    const action = this.#faults.shift() ?? this.#responder?.(received, index) ?? 'ok'
    if (action === 'hang') return
    if (action === 'reset') {
      req.socket.destroy()
      return
    }
    if (action === 'acceptThenReset') {
      this.accepted.push(...received.events)
      req.socket.destroy()
      return
    }
    if (typeof action === 'object' && 'okAfterMs' in action) {
      this.#concurrent++
      this.maxConcurrent = Math.max(this.maxConcurrent, this.#concurrent)
      await new Promise((resolve) => setTimeout(resolve, action.okAfterMs))
      this.#concurrent--
    }
    if (action === 'ok' || 'okAfterMs' in action) {
      this.accepted.push(...received.events)
      const answer = successBody(received.events.length, raw.length, Date.now())
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer))
      return
    }
    res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers })
    res.end(
      typeof action.body === 'string'
        ? action.body
        : JSON.stringify(action.body ?? { code: action.status }),
    )
  }
}
