/**
 * @module The sink: a minimal Amplitude-shaped ingestion endpoint in its own process. It accepts
 * `POST /2/httpapi` and `POST /batch` (plain or gzip JSON), counts events and distinct `insert_id`s,
 * and answers Amplitude's 200 body. A second listener (the control port) resets and reports the counts,
 * long-polls until a count is reached, and simulates an outage by closing the data listener (clients
 * get connection refused) and reopening it on the same port later.
 *
 * It validates nothing beyond "is JSON with an events array": it stands for the fastest possible
 * Amplitude, so that what the bench measures is the client.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gunzipSync } from 'node:zlib'

interface Waiter {
  distinct: number
  resolve: () => void
}

/** High-resolution wall clock in ms since the epoch, comparable across processes on one machine. */
const wallNowMs = (): number => performance.timeOrigin + performance.now()

class Counts {
  requests = 0
  events = 0
  bodyBytes = 0
  rejectedRequests = 0
  insertIds = new Set<string>()
  eventsWithoutInsertId = 0
  /** When `bench_seq` tracking is on: seq → the insert_id it first arrived with. */
  seqToInsertId = new Map<number, string>()
  /** Repeats of a `bench_seq` that arrived with a different insert_id (a client bug: Amplitude would count both). */
  seqRepeatsWithNewInsertId = 0
  firstEventAtMs: number | undefined
  lastEventAtMs: number | undefined
  /** When the distinct count last grew (a new insert_id arrived). */
  lastNewDistinctAtMs: number | undefined
  /** When the distinct count reached the current wait target. */
  reachedAtMs: number | undefined
  /** The sink's own CPU since the last reset: shows whether the sink, not the client, was the limit. */
  readonly cpuAtReset = process.cpuUsage()

  get distinct(): number {
    return this.insertIds.size + this.eventsWithoutInsertId
  }

  snapshot(): Record<string, unknown> {
    return {
      requests: this.requests,
      events: this.events,
      distinct: this.distinct,
      duplicates: this.events - this.distinct,
      bodyBytes: this.bodyBytes,
      rejectedRequests: this.rejectedRequests,
      eventsWithoutInsertId: this.eventsWithoutInsertId,
      distinctSeqs: this.seqToInsertId.size,
      seqRepeatsWithNewInsertId: this.seqRepeatsWithNewInsertId,
      firstEventAtMs: this.firstEventAtMs,
      lastEventAtMs: this.lastEventAtMs,
      reachedAtMs: this.reachedAtMs,
      cpuMs: cpuMsSince(this.cpuAtReset),
    }
  }
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1_000
}

let counts = new Counts()
let trackSeq = false
let waiters: Waiter[] = []

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  })
  response.end(text)
}

function record(events: unknown[]): void {
  const now = wallNowMs()
  counts.firstEventAtMs ??= now
  counts.lastEventAtMs = now
  counts.events += events.length
  const distinctBefore = counts.distinct
  for (const event of events) {
    const insertId = (event as { insert_id?: unknown }).insert_id
    if (typeof insertId === 'string') counts.insertIds.add(insertId)
    else counts.eventsWithoutInsertId++
    if (trackSeq) {
      const seq = (event as { event_properties?: { bench_seq?: unknown } }).event_properties
        ?.bench_seq
      if (typeof seq === 'number' && typeof insertId === 'string') {
        const first = counts.seqToInsertId.get(seq)
        if (first === undefined) counts.seqToInsertId.set(seq, insertId)
        else if (first !== insertId) counts.seqRepeatsWithNewInsertId++
      }
    }
  }
  if (counts.distinct > distinctBefore) counts.lastNewDistinctAtMs = now
  if (waiters.length > 0) {
    const distinct = counts.distinct
    const still: Waiter[] = []
    for (const waiter of waiters) {
      if (distinct >= waiter.distinct) {
        counts.reachedAtMs ??= now
        waiter.resolve()
      } else still.push(waiter)
    }
    waiters = still
  }
}

async function handleData(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]
  if (request.method !== 'POST' || (path !== '/2/httpapi' && path !== '/batch')) {
    send(response, 404, { code: 404, error: 'Invalid request path' })
    return
  }
  let raw = await readBody(request)
  const payloadBytes = raw.length
  try {
    if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw)
    const body = JSON.parse(raw.toString('utf8')) as { events?: unknown }
    if (!Array.isArray(body.events)) throw new Error('no events array')
    counts.requests++
    counts.bodyBytes += payloadBytes
    record(body.events)
    send(response, 200, {
      code: 200,
      events_ingested: body.events.length,
      payload_size_bytes: payloadBytes,
      server_upload_time: Date.now(),
    })
  } catch {
    counts.rejectedRequests++
    send(response, 400, { code: 400, error: 'Invalid JSON request body' })
  }
}

// --- the data listener, which an outage closes and reopens on the same port ---

let dataServer: Server
let dataPort = 0
const dataSockets = new Set<Socket>()
let reopenTimer: NodeJS.Timeout | undefined
let refusingUntilMs: number | undefined

function createDataServer(): Server {
  const server = createServer((request, response) => {
    handleData(request, response).catch(() => send(response, 500, { code: 500, error: 'sink' }))
  })
  // Longer than undici's and the official SDK's idle timeouts, so the sink never closes a kept-alive
  // socket under a client mid-request (which would show up as a spurious retry).
  server.keepAliveTimeout = 65_000
  server.on('connection', (socket) => {
    dataSockets.add(socket)
    socket.on('close', () => dataSockets.delete(socket))
  })
  return server
}

function listenData(port: number): Promise<number> {
  dataServer = createDataServer()
  return new Promise((resolve, reject) => {
    dataServer.once('error', reject)
    dataServer.listen(port, '127.0.0.1', () => {
      dataServer.off('error', reject)
      resolve((dataServer.address() as AddressInfo).port)
    })
  })
}

/** Stops accepting (new connects are refused) and drops open sockets, as a crashed endpoint would. */
async function startOutage(durationMs: number): Promise<void> {
  if (reopenTimer !== undefined) clearTimeout(reopenTimer)
  refusingUntilMs = Date.now() + durationMs
  if (dataServer.listening) {
    const closed = new Promise<void>((resolve) => dataServer.close(() => resolve()))
    for (const socket of dataSockets) socket.destroy()
    await closed
  }
  reopenTimer = setTimeout(() => {
    endOutage().catch((error: unknown) => {
      console.error('sink: reopening the data port failed', error)
      process.exit(1)
    })
  }, durationMs)
}

async function endOutage(): Promise<void> {
  if (reopenTimer !== undefined) clearTimeout(reopenTimer)
  reopenTimer = undefined
  refusingUntilMs = undefined
  if (!dataServer.listening) await listenData(dataPort)
}

// --- the control listener ---

async function handleControl(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1')
  const param = (name: string, fallback: number): number => {
    const value = url.searchParams.get(name)
    return value === null ? fallback : Number(value)
  }
  switch (url.pathname) {
    case '/control/reset':
      counts = new Counts()
      trackSeq = url.searchParams.get('trackSeq') === '1'
      for (const waiter of waiters) waiter.resolve()
      waiters = []
      send(response, 200, { ok: true })
      return
    case '/control/stats':
      send(response, 200, counts.snapshot())
      return
    case '/control/wait': {
      // Long poll: answers once `distinct` distinct events have arrived, or at the timeout.
      const target = param('distinct', 0)
      const timeoutMs = param('timeoutMs', 60_000)
      let timedOut = false
      if (counts.distinct < target) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timedOut = true
            waiters = waiters.filter((waiter) => waiter.resolve !== done)
            resolve()
          }, timeoutMs)
          const done = (): void => {
            clearTimeout(timer)
            resolve()
          }
          waiters.push({ distinct: target, resolve: done })
        })
      } else {
        // Reached before the wait began (a client whose flush() waits for every response): the
        // moment is when the last new event arrived, not now.
        counts.reachedAtMs ??= counts.lastNewDistinctAtMs ?? wallNowMs()
      }
      send(response, 200, { ...counts.snapshot(), timedOut })
      return
    }
    case '/control/outage':
      await startOutage(param('ms', 60_000))
      send(response, 200, { refusingUntilMs })
      return
    case '/control/up':
      await endOutage()
      send(response, 200, { ok: true })
      return
    default:
      send(response, 404, { error: 'unknown control route' })
  }
}

async function main(): Promise<void> {
  dataPort = await listenData(0)
  const control = createServer((request, response) => {
    handleControl(request, response).catch((error: unknown) =>
      send(response, 500, { error: String(error) }),
    )
  })
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve))
  const controlPort = (control.address() as AddressInfo).port
  // The parent owns this process: when it goes away, so does the sink.
  process.on('disconnect', () => process.exit(0))
  process.send?.({ type: 'ready', dataPort, controlPort, pid: process.pid })
}

main().catch((error: unknown) => {
  console.error('sink failed to start', error)
  process.exit(1)
})
