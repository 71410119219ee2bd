/**
 * @module Memory per queued event (issue 2): N events queued in `@ampkit/node` with the endpoint
 * unreachable, (heap + external) growth / N after forced GC. The official SDK is measured the same way
 * for reference (it has no target).
 */
import type { ClientName } from '../clients/bench-client.ts'
import { probeExport } from '../lib/availability.ts'
import { runChild } from '../lib/child.ts'
import { closedPort } from '../lib/free-port.ts'
import { fmt, type Table } from '../lib/table.ts'
import type { MemoryInput, MemoryResult } from '../workers/memory-worker.ts'
import { atMost, type BenchContext, type Scenario, type ScenarioOutcome } from './scenario.ts'

/** Longer than any run: no timer-driven flush happens while the events are being counted. */
const neverFlushIntervalMs = 3_600_000

interface MemoryRun {
  client: ClientName
  result?: MemoryResult
  failure?: string
}

/**
 * Options that make ampkit keep every event queued: its queue bounds raised above N (the defaults may
 * be lower, and an overflow drop would make the per-event figure meaningless).
 */
function ampkitQueueOptions(events: number): Record<string, unknown> {
  return { maxQueuedEvents: events * 2, maxQueuedBytes: events * 4_096 }
}

async function measure(
  context: BenchContext,
  client: ClientName,
  extraOptions: Record<string, unknown> | undefined,
): Promise<MemoryRun> {
  const { settings } = context
  const port = await closedPort()
  const input: MemoryInput = {
    client,
    events: settings.memoryEvents,
    serverUrl: `http://127.0.0.1:${port}/2/httpapi`,
    apiKey: settings.apiKey,
    batchSize: settings.batchSize,
    flushIntervalMs: neverFlushIntervalMs,
    ...(extraOptions === undefined ? {} : { extraOptions }),
  }
  context.progress(`memory: ${client} × ${settings.memoryEvents.toLocaleString('en-US')} queued …`)
  const outcome = await runChild<MemoryResult>('workers/memory-worker.ts', input, {
    nodeFlags: ['--expose-gc'],
    timeoutMs: 300_000,
  }).done
  const result = outcome.result
  if (result === undefined || result.error !== undefined) {
    return {
      client,
      failure:
        result?.error ??
        `worker exited ${outcome.exitCode ?? outcome.signal}: ${outcome.outputTail.slice(-300)}`,
    }
  }
  return { client, result }
}

export const memoryScenario: Scenario = {
  name: 'memory',
  title: 'Memory per queued event (endpoint unreachable)',
  async unavailable() {
    return probeExport('@ampkit/node', 'createInstance')
  },
  async run(context): Promise<ScenarioOutcome> {
    const runs = [
      await measure(context, 'ampkit', ampkitQueueOptions(context.settings.memoryEvents)),
      await measure(context, 'official', { flushQueueSize: context.settings.memoryEvents * 2 }),
    ]
    const table: Table = {
      title: 'Memory per queued event',
      columns: [
        'client',
        'events',
        'heap Δ',
        'external Δ',
        'bytes/event',
        'marginal B/event',
        'note',
      ],
      rows: runs.map((run) =>
        run.result === undefined
          ? [run.client, '—', '—', '—', '—', '—', run.failure ?? '']
          : [
              run.client,
              fmt.count(run.result.events),
              fmt.megabytes(run.result.heapUsedDeltaBytes),
              fmt.megabytes(run.result.externalDeltaBytes),
              fmt.count(run.result.bytesPerEvent),
              fmt.count(run.result.marginalBytesPerEvent),
              run.client === 'ampkit'
                ? `stats: ${JSON.stringify(pickQueued(run.result.clientStats))}`
                : 'reference only',
            ],
      ),
      notes: [
        'endpoint: a closed loopback port (connection refused); flush interval 1 h; GC forced before, halfway and after.',
        'bytes/event = (heap + external) growth / N, fixed overheads included; marginal = growth over the second half / (N/2):',
        '  what each further queued event costs. The target is judged on bytes/event, the stricter reading.',
        `ampkit config: ${JSON.stringify(runs[0]?.result?.config ?? 'n/a')}`,
      ],
    }
    const ampkit = runs[0]?.result
    return {
      tables: [table],
      targets: [
        atMost(
          'ampkit ≤ 600 bytes of memory per queued event',
          2,
          ampkit?.bytesPerEvent,
          600,
          (value) => `${Math.round(value)} B`,
          context.settings.quick ? 'BENCH_QUICK sizes' : undefined,
        ),
      ],
      raw: { runs },
    }
  },
}

/** The queue-related part of ampkit's stats, whatever its exact shape. */
function pickQueued(stats: unknown): unknown {
  if (typeof stats !== 'object' || stats === null) return stats
  const entries = Object.entries(stats).filter(([key]) => /queue|track|drop|inFlight/i.test(key))
  return Object.fromEntries(entries)
}
