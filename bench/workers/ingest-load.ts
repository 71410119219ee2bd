/**
 * @module Worker: the load process of the server scenario. POSTs `/batch` requests of 2,000 realistic
 * events, `concurrency` in flight over fetch keep-alive, for a fixed duration. Every event has a new
 * insert_id, so the server's de-duplication never short-cuts the work. Bodies are assembled from
 * pre-serialised event fragments, so this process stays cheap next to the server it measures.
 */
import { failWorker, finishWorker, workerInput } from '../lib/child.ts'
import { eventStream } from '../lib/events.ts'

export interface IngestLoadInput {
  url: string
  apiKey: string
  seconds: number
  concurrency: number
  batchEvents: number
  /** Makes insert_ids unique across runs against the same data directory. */
  runId: string
}

export interface IngestLoadResult {
  elapsedMs: number
  requests: number
  acceptedEvents: number
  statusCounts: Record<string, number>
  networkErrors: number
  latencyMs: { p50: number; p90: number; p99: number; max: number }
  /** Accepted events per second, in 5-second windows, to show a trend. */
  windows: number[]
  firstError?: string
  error?: string
}

const fragmentPoolSize = 8_192
const windowMs = 5_000

function buildFragments(): string[] {
  const next = eventStream(99)
  const baseTimeMs = Date.now()
  const fragments: string[] = []
  for (let index = 0; index < fragmentPoolSize; index++) {
    const event = next(index)
    // Everything after the insert_id: `,"event_type":...}`.
    const json = JSON.stringify({
      event_type: event.eventType,
      user_id: event.userId,
      device_id: event.deviceId,
      time: baseTimeMs + index,
      event_properties: event.properties,
      platform: 'Node.js',
      library: 'ampkit-bench/1.0',
    })
    fragments.push(`,${json.slice(1)}`)
  }
  return fragments
}

function percentile(sorted: number[], share: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0
}

async function main(): Promise<void> {
  const input = workerInput<IngestLoadInput>()
  const fragments = buildFragments()
  const endpoint = `${input.url}/batch`
  const prefix = `{"api_key":${JSON.stringify(input.apiKey)},"events":[`
  let counter = 0
  const body = (): string => {
    const parts: string[] = new Array(input.batchEvents)
    for (let index = 0; index < input.batchEvents; index++) {
      const n = counter++
      parts[index] = `{"insert_id":"${input.runId}-${n}"${fragments[n % fragmentPoolSize]}`
    }
    return `${prefix}${parts.join(',')}]}`
  }

  const statusCounts: Record<string, number> = {}
  const latencies: number[] = []
  const windows: number[] = []
  let acceptedEvents = 0
  let networkErrors = 0
  let firstError: string | undefined
  const startedAt = performance.now()
  const deadline = startedAt + input.seconds * 1_000

  const lane = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const payload = body()
      const sentAt = performance.now()
      try {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: payload,
        })
        const text = await response.text()
        const doneAt = performance.now()
        latencies.push(doneAt - sentAt)
        statusCounts[response.status] = (statusCounts[response.status] ?? 0) + 1
        if (response.status === 200) {
          acceptedEvents += input.batchEvents
          const window = Math.floor((doneAt - startedAt) / windowMs)
          windows[window] = (windows[window] ?? 0) + input.batchEvents
        } else {
          firstError ??= `${response.status} ${text.slice(0, 200)}`
        }
      } catch (error) {
        networkErrors++
        firstError ??=
          error instanceof Error ? `${error.message} ${String(error.cause)}` : String(error)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }
  await Promise.all(Array.from({ length: input.concurrency }, lane))
  const elapsedMs = performance.now() - startedAt
  latencies.sort((a, b) => a - b)
  const result: IngestLoadResult = {
    elapsedMs,
    requests: latencies.length,
    acceptedEvents,
    statusCounts,
    networkErrors,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? 0,
    },
    // A trailing window shorter than `windowMs` holds only the drain of the requests still in
    // flight at the deadline (a few completions over a short span), so its rate says nothing
    // about the trend: it is left out.
    windows: Array.from(windows, (value, index) => {
      const span = Math.min(windowMs, elapsedMs - index * windowMs)
      return span >= windowMs ? ((value ?? 0) / span) * 1_000 : Number.NaN
    }).filter((rate) => !Number.isNaN(rate)),
    ...(firstError === undefined ? {} : { firstError }),
  }
  finishWorker(result)
}

main().catch(failWorker)
