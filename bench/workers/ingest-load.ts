/**
 * @module Worker: the load process of the server scenario. POSTs `/batch` requests of 2,000 realistic
 * events, `concurrency` in flight over fetch keep-alive, for a fixed duration. Every event has a new
 * insert_id, so the server's de-duplication never short-cuts the work. Bodies are built once per
 * lane as bytes, from pre-serialised event fragments, with a fixed-width counter in each insert_id
 * that is rewritten in place before each request: this process shares the machine's cores with the
 * server it measures, so it must cost next to nothing per event.
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
  /** CPU time of this load process per accepted event, in µs (it shares the machine's cores). */
  cpuUsPerEvent?: number
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

/** Digits of the per-event counter in each insert_id (unique across 10^12 events of one run). */
const counterDigits = 12

/** A request body as bytes, with the byte offset of each event's insert_id counter. */
interface BodyTemplate {
  bytes: Buffer
  counterOffsets: Int32Array
}

function buildTemplate(
  prefix: string,
  runId: string,
  fragments: readonly string[],
  first: number,
  count: number,
): BodyTemplate {
  const parts: Buffer[] = [Buffer.from(prefix)]
  let length = parts[0]!.byteLength
  const counterOffsets = new Int32Array(count)
  const placeholder = Buffer.from('0'.repeat(counterDigits))
  for (let index = 0; index < count; index++) {
    const head = Buffer.from(`${index === 0 ? '' : ','}{"insert_id":"${runId}-`)
    parts.push(head)
    length += head.byteLength
    counterOffsets[index] = length
    parts.push(placeholder)
    length += placeholder.byteLength
    const tail = Buffer.from(`"${fragments[(first + index) % fragmentPoolSize]}`)
    parts.push(tail)
    length += tail.byteLength
  }
  parts.push(Buffer.from(']}'))
  return { bytes: Buffer.concat(parts), counterOffsets }
}

/** Writes `value` as `counterDigits` zero-padded decimal digits at `offset`. */
function writeCounter(bytes: Buffer, offset: number, value: number): void {
  let rest = value
  for (let digit = counterDigits - 1; digit >= 0; digit--) {
    bytes[offset + digit] = 0x30 + (rest % 10)
    rest = Math.floor(rest / 10)
  }
}

/** Templates each lane rotates through, so consecutive requests carry different events. */
const templatesPerLane = 4

async function main(): Promise<void> {
  const input = workerInput<IngestLoadInput>()
  const fragments = buildFragments()
  const endpoint = `${input.url}/batch`
  const prefix = `{"api_key":${JSON.stringify(input.apiKey)},"events":[`
  let counter = 0
  let nextTemplate = 0
  const laneTemplates = Array.from({ length: input.concurrency }, () =>
    Array.from({ length: templatesPerLane }, () =>
      buildTemplate(
        prefix,
        input.runId,
        fragments,
        (nextTemplate++ * input.batchEvents) % fragmentPoolSize,
        input.batchEvents,
      ),
    ),
  )
  /** The next body of a lane; a lane sends one request at a time, so its bytes are free again. */
  const body = (lane: number, round: number): Buffer => {
    const template = laneTemplates[lane]![round % templatesPerLane]!
    for (const offset of template.counterOffsets) writeCounter(template.bytes, offset, counter++)
    return template.bytes
  }

  const statusCounts: Record<string, number> = {}
  const latencies: number[] = []
  const windows: number[] = []
  let acceptedEvents = 0
  let networkErrors = 0
  let firstError: string | undefined
  const startedAt = performance.now()
  const cpuAt = process.cpuUsage()
  const deadline = startedAt + input.seconds * 1_000

  const lane = async (laneIndex: number): Promise<void> => {
    for (let round = 0; performance.now() < deadline; round++) {
      const payload = body(laneIndex, round)
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
  await Promise.all(Array.from({ length: input.concurrency }, (_, index) => lane(index)))
  const elapsedMs = performance.now() - startedAt
  const cpu = process.cpuUsage(cpuAt)
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
    ...(acceptedEvents === 0 ? {} : { cpuUsPerEvent: (cpu.user + cpu.system) / acceptedEvents }),
    ...(firstError === undefined ? {} : { firstError }),
  }
  finishWorker(result)
}

main().catch(failWorker)
