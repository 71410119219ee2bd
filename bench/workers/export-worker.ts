/**
 * @module Worker: one streaming export through `@ampkit/api` from a running `ampkit serve`, timed
 * from the request to the last record, counting records (parsed objects, or raw NDJSON lines), with
 * this process's RSS and the server's sampled every 250 ms so flat memory shows as a flat line.
 */
import { createAmplitudeApi } from '@ampkit/api'
import { failWorker, finishWorker, workerInput } from '../lib/child.ts'
import { rssOf } from '../lib/server-process.ts'

export interface ExportWorkerInput {
  url: string
  apiKey: string
  secretKey: string
  serverPid: number
  start: string
  end: string
  mode: 'parsed' | 'lines'
}

export interface ExportWorkerResult {
  events: number
  bytes: number
  wallMs: number
  /** RSS samples (bytes) of this process and of the server. */
  clientRss: number[]
  serverRss: number[]
}

try {
  const input = workerInput<ExportWorkerInput>()
  const api = createAmplitudeApi({
    apiKey: input.apiKey,
    secretKey: input.secretKey,
    baseUrl: input.url,
  })
  const clientRss: number[] = []
  const serverRss: number[] = []
  const sample = () => {
    clientRss.push(process.memoryUsage.rss())
    const server = rssOf(input.serverPid)
    if (server !== undefined) serverRss.push(server)
  }
  const timer = setInterval(sample, 250)
  let events = 0
  let bytes = 0
  let checksum = 0
  const started = performance.now()
  const options = { start: input.start, end: input.end }
  if (input.mode === 'parsed') {
    for await (const event of api.exportEvents(options)) {
      events++
      // Touch the record, as a consumer would, so the parse cannot be optimised away.
      checksum += event.event_type.length
    }
  } else {
    for await (const line of api.exportLines(options)) {
      events++
      bytes += line.length
    }
  }
  const wallMs = performance.now() - started
  clearInterval(timer)
  sample()
  finishWorker({
    events,
    bytes,
    wallMs,
    clientRss,
    serverRss,
    checksum,
  } satisfies ExportWorkerResult & {
    checksum: number
  })
} catch (error) {
  failWorker(error)
}
