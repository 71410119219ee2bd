/**
 * @module Memory per queued event (issue 2): N events queued in `@ampkit/node` with the endpoint
 * unreachable, (heap + external) growth / N after forced GC. The official SDK is measured the same way
 * for reference (it has no target).
 *
 * Workers run with `--no-concurrent-array-buffer-sweeping`. While the endpoint refuses, the client
 * keeps retrying: each attempt builds a request body (a ~350 KB Buffer per 1,000 events) that is
 * garbage once the attempt fails. By default V8 frees such ArrayBuffers on a background thread after
 * a GC and lowers its `external` counter only when that sweep is finalized, later; so right after a
 * forced GC, `external` still counted 3–20 MB of bodies already dead (or already freed: `external`
 * minus `arrayBuffers` jumped while `arrayBuffers` did not), depending on how many attempts had just
 * failed. That made bytes/event vary 490–670 between identical runs. Sweeping synchronously, the forced
 * GC leaves exactly what is still reachable in `external`: the body of a request in flight still
 * counts, as does everything the queue holds; only memory already dead stops counting. Measured with
 * the flag, non-ArrayBuffer external stays flat (the HTTP client's fixed setup) across runs and sizes.
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
    // Synchronous ArrayBuffer sweeping: a forced GC then frees the bodies of failed attempts before
    // the reading, instead of leaving them counted in `external` (see the module comment).
    nodeFlags: ['--expose-gc', '--no-concurrent-array-buffer-sweeping'],
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
        'of which ArrayBuffers',
        'bytes/event',
        'marginal B/event',
        'note',
      ],
      rows: runs.map((run) =>
        run.result === undefined
          ? [run.client, '—', '—', '—', '—', '—', '—', run.failure ?? '']
          : [
              run.client,
              fmt.count(run.result.events),
              fmt.megabytes(run.result.heapUsedDeltaBytes),
              fmt.megabytes(run.result.externalDeltaBytes),
              fmt.megabytes(run.result.arrayBuffersDeltaBytes),
              fmt.count(run.result.bytesPerEvent),
              fmt.count(run.result.marginalBytesPerEvent),
              run.client === 'ampkit'
                ? `stats: ${JSON.stringify(pickQueued(run.result.clientStats))}`
                : 'reference only',
            ],
      ),
      notes: [
        'endpoint: a closed loopback port (connection refused); flush interval 1 h; GC forced before, halfway and after,',
        '  with ArrayBuffers swept synchronously, so bodies of failed attempts that are already dead do not count.',
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
