/**
 * @module The edge: binds a `ServerApp` to a TCP port with node:http. Only this file knows sockets.
 * The request body is handed to the app as a web stream that pulls from the socket on demand, so
 * the app's byte caps bound memory; a `reset` fault destroys the connection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { ERROR_MESSAGES, serverErrorBody } from '@ampkit/protocol'
import { isConnectionReset, type ServerApp } from './app.ts'

/** Options of `listen`. */
export interface ListenOptions {
  /** Interface to bind. @default '127.0.0.1' (loopback only) */
  host?: string
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number
}

/** A listening server. */
export interface ListeningServer {
  /** Base URL, e.g. `http://127.0.0.1:51234`. */
  url: string
  host: string
  port: number
  /** Stops accepting connections, waits for in-flight requests, closes the app (and its store). */
  close(): Promise<void>
}

/** Largest request head node accepts, in bytes; above it node itself answers 431. */
const MAX_HEADER_BYTES = 64 * 1024

function toWebRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let index = 0; index + 1 < raw.length; index += 2) {
    try {
      headers.append(raw[index]!, raw[index + 1]!)
    } catch {
      // A header value the Fetch API refuses (e.g. non-Latin-1) is dropped, not fatal.
    }
  }
  const method = req.method ?? 'GET'
  let target = req.url ?? '/'
  // Absolute-form targets (`POST http://host/batch`) keep only their path; anything unparsable
  // becomes a path the router answers with `Invalid request path`.
  if (!target.startsWith('/')) {
    try {
      const parsed = new URL(target)
      target = `${parsed.pathname}${parsed.search}`
    } catch {
      target = '/<invalid>'
    }
  }
  const init: RequestInit & { duplex?: 'half' } = { method, headers }
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = bodyStream(req)
    init.duplex = 'half'
  }
  return new Request(`${origin}${target}`, init)
}

/**
 * A pull-based stream over the request: data is read from the socket only when the app asks for
 * more, so a client cannot push more than the app's cap plus one chunk into memory.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.pause()
        req.on('data', (chunk: Buffer) => {
          if (settled) return
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
          if ((controller.desiredSize ?? 0) <= 0) req.pause()
        })
        req.on('end', () => {
          if (settled) return
          settled = true
          controller.close()
        })
        const abort = () => {
          if (settled) return
          settled = true
          controller.error(new Error('request body ended before its declared length'))
        }
        req.on('aborted', abort)
        req.on('error', abort)
        req.on('close', () => {
          if (!req.complete) abort()
        })
      },
      pull() {
        req.resume()
      },
      cancel() {
        // The app stopped reading (a cap was hit): stop pulling; node discards the rest once the
        // response is written, and the 413 carries `Connection: close`.
        settled = true
        req.pause()
      },
    },
    { highWaterMark: 0 },
  )
}

async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  closeConnection: boolean,
): Promise<void> {
  if (isConnectionReset(response)) {
    destroySocket(req.socket)
    return
  }
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  // A request whose body was not read to its end (refused early, or capped) leaves unread bytes on
  // the connection; closing it after the answer is the only safe way to resynchronise.
  if (!req.complete || closeConnection) headers.connection = 'close'
  const reader = response.body?.getReader()
  const first = reader === undefined ? undefined : await readChunk(reader, res)
  const second = first === undefined ? undefined : await readChunk(reader!, res)
  if (second === undefined) {
    // A body of at most one chunk (every JSON or text answer) goes out with its length.
    headers['content-length'] = String(first?.byteLength ?? 0)
    res.writeHead(response.status, headers)
    res.end(first)
  } else {
    await streamBody(reader!, res, response.status, headers, [first!, second])
  }
  if (closeConnection) res.once('finish', () => req.socket.end())
}

/** The next chunk of a body, or `undefined` at its end. A body that fails is rethrown. */
async function readChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
): Promise<Uint8Array | undefined> {
  if (res.destroyed) {
    reader.cancel().catch(() => {})
    return undefined
  }
  const { done, value } = await reader.read()
  return done ? undefined : value
}

/**
 * Sends a longer body (the export zip) chunked, pulling the next chunk only when the socket has
 * taken the previous one, so memory holds one chunk per response whatever the body's size. A
 * client that disconnects cancels the body (its producer stops and frees what it holds); a body
 * that fails midway destroys the connection, so the client sees a broken response rather than a
 * short one that looks complete.
 */
async function streamBody(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  firstChunks: Uint8Array[],
): Promise<void> {
  let gone = false
  const onClose = () => {
    if (res.writableFinished) return
    gone = true
    reader.cancel().catch(() => {})
  }
  res.once('close', onClose)
  try {
    res.writeHead(status, headers)
    let pending: Uint8Array[] = firstChunks
    for (;;) {
      for (const chunk of pending) {
        if (gone) return
        if (!res.write(chunk)) await drained(res)
      }
      if (gone) return
      const { done, value } = await reader.read()
      if (done) break
      pending = [value]
    }
    if (!gone) res.end()
  } catch {
    const socket = res.socket
    if (!gone && socket !== null) destroySocket(socket)
    reader.cancel().catch(() => {})
  } finally {
    res.off('close', onClose)
  }
}

/** Resolves when the socket wants more, or when the connection is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
  })
}

/** Answers with a JSON body and closes the connection (used outside the app's own rendering). */
function endWithJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
  })
  res.end(text)
}

/** A complete HTTP/1.1 response for a socket node's parser has given up on. */
function rawResponse(statusLine: string, body: Record<string, unknown>): string {
  const text = JSON.stringify(body)
  return [
    `HTTP/1.1 ${statusLine}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(text)}`,
    'connection: close',
    '',
    text,
  ].join('\r\n')
}

function destroySocket(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy()
  else socket.destroy()
}

/** Binds the app. Resolves once the port is open. */
export async function listen(
  app: ServerApp,
  options: ListenOptions = {},
): Promise<ListeningServer> {
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 0
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    void serve(req, res)
  })
  let origin = ''
  /** Requests being answered per connection, and connections to close once answered. */
  const busySockets = new WeakMap<Socket, number>()
  const closeAfterResponse = new WeakSet<Socket>()

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket
    busySockets.set(socket, (busySockets.get(socket) ?? 0) + 1)
    try {
      let request: Request
      try {
        request = toWebRequest(req, origin)
      } catch {
        // A method the Fetch API refuses to represent (TRACE, TRACK): no route takes it.
        endWithJson(res, 405, { code: 405, error: 'Method Not Allowed' })
        return
      }
      const response = await app.handle(request, { remoteAddress: socket.remoteAddress })
      if (socket.destroyed || !socket.writable) {
        // Nobody will read the body: cancelling it lets a streamed one (an export) stop at once.
        response.body?.cancel().catch(() => {})
        return
      }
      await writeResponse(req, res, response, closeAfterResponse.has(socket))
    } catch {
      // Nothing above should throw (the app renders its own errors); if it does, answer 500 and
      // keep serving.
      if (!res.headersSent && !req.socket.destroyed) {
        endWithJson(res, 500, serverErrorBody(500))
      }
    } finally {
      busySockets.set(socket, (busySockets.get(socket) ?? 1) - 1)
    }
  }

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) {
      socket.destroy()
      return
    }
    if (error.code === 'HPE_INVALID_EOF_STATE') {
      // The client closed its side before the declared Content-Length arrived: a truncated body,
      // which is not a JSON document. Answered here, as node ends the socket right after.
      socket.end(rawResponse('400 Bad Request', { code: 400, error: ERROR_MESSAGES.invalidJson }))
      return
    }
    if ((busySockets.get(socket) ?? 0) > 0) {
      // Bytes after a complete request could not be parsed (a body longer than its declared
      // length). The request in flight is answered first; the connection closes after it.
      closeAfterResponse.add(socket)
      return
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
    const reason = status === 431 ? '431 Request Header Fields Too Large' : '400 Bad Request'
    socket.end(rawResponse(reason, { code: status, error: reason.slice(4) }))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  origin = `http://${urlHost}:${address.port}`

  let closed: Promise<void> | undefined
  return {
    url: origin,
    host: address.address,
    port: address.port,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        await app.close()
        server.closeAllConnections()
        await stopped
      })()
      return closed
    },
  }
}
