/**
 * @module Outage (issue 2): the endpoint refuses connections (listener closed, open sockets dropped) for
 * `BENCH_OUTAGE_SECONDS` (60 s in the full run), 2,000 events are tracked during it, then the endpoint
 * comes back. Counts what arrived, what was lost, and whether any repeat came with a new insert_id.
 * ampkit and the official SDK run at the same time, each with its own sink.
 */
import type { ClientName } from '../clients/bench-client.ts'
import { probeExport } from '../lib/availability.ts'
import { runChild } from '../lib/child.ts'
import type { SinkStats } from '../lib/sink-control.ts'
import { startSink } from '../lib/sink-process.ts'
import { fmt, type Table } from '../lib/table.ts'
import type { OutageInput, OutageResult } from '../workers/outage-worker.ts'
import type { BenchContext, Scenario, ScenarioOutcome, TargetCheck } from './scenario.ts'

interface OutageRun {
  client: ClientName
  outageMs: number
  /** What the sink holds at the end. */
  sink?: SinkStats
  /** ms after the endpoint came back until the last distinct event arrived. */
  recoveredAfterMs?: number
  firstFlushMs?: number
  result?: OutageResult
  failure?: string
  lost?: number
}

async function runOutage(context: BenchContext, client: ClientName): Promise<OutageRun> {
  const { settings } = context
  const outageMs = settings.outageMs
  const sink = await startSink()
  try {
    await sink.control.reset(true)
    const input: OutageInput = {
      client,
      events: settings.outageEvents,
      serverUrl: `${sink.baseUrl}/2/httpapi`,
      apiKey: settings.apiKey,
      batchSize: settings.batchSize,
      trackSpreadMs: Math.min(1_000, outageMs / 2),
    }
    let firstFlushMs: number | undefined
    let workerReady: () => void = () => {}
    const ready = new Promise<void>((resolve) => {
      workerReady = resolve
    })
    const { child, done } = runChild<OutageResult>('workers/outage-worker.ts', input, {
      timeoutMs: outageMs + 300_000,
      onMessage: (message) => {
        const type = (message as { type?: unknown }).type
        if (type === 'ready') workerReady()
        if (type === 'flushed') firstFlushMs = (message as { firstFlushMs: number }).firstFlushMs
      },
    })
    await Promise.race([ready, done])
    const { refusingUntilMs } = await sink.control.outage(outageMs)
    if (child.connected) child.send({ type: 'start' })
    // After the endpoint is back, give the client's own retries a fair window to deliver before
    // the final flush: until everything arrived, or 30 s (or half the outage when longer).
    const graceMs = Math.max(30_000, outageMs / 2)
    await sleep(Math.max(0, refusingUntilMs - Date.now()))
    await sink.control.waitFor(settings.outageEvents, graceMs)
    if (child.connected) child.send({ type: 'finish' })
    const outcome = await done
    await sleep(500)
    const stats = await sink.control.stats()
    const recoveredAfterMs =
      stats.distinctSeqs === settings.outageEvents && stats.lastEventAtMs !== undefined
        ? Math.max(0, stats.lastEventAtMs - refusingUntilMs)
        : undefined
    const run: OutageRun = {
      client,
      outageMs,
      sink: stats,
      lost: settings.outageEvents - stats.distinctSeqs,
      ...(recoveredAfterMs === undefined ? {} : { recoveredAfterMs }),
      ...(firstFlushMs === undefined ? {} : { firstFlushMs }),
    }
    if (outcome.result === undefined || outcome.result.error !== undefined) {
      run.failure =
        outcome.result?.error ??
        `worker ${outcome.timedOut ? 'timed out' : `exited ${outcome.exitCode}`}: ${outcome.outputTail.slice(-300)}`
    } else run.result = outcome.result
    context.progress(`outage: ${client}: ${stats.distinctSeqs} of ${settings.outageEvents} arrived`)
    return run
  } finally {
    await sink.stop()
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export const outageScenario: Scenario = {
  name: 'outage',
  title: 'Outage: endpoint refusing connections, then back',
  async unavailable() {
    return undefined
  },
  async run(context): Promise<ScenarioOutcome> {
    const { settings } = context
    const ampkitMissing = await probeExport('@ampkit/node', 'createInstance')
    context.progress(
      `outage: ${fmt.seconds(settings.outageMs)} s refusing connections, ${settings.outageEvents} events per client …`,
    )
    const runs = await Promise.all([
      ampkitMissing === undefined
        ? runOutage(context, 'ampkit')
        : Promise.resolve<OutageRun>({
            client: 'ampkit',
            outageMs: settings.outageMs,
            failure: `skipped: ${ampkitMissing}`,
          }),
      runOutage(context, 'official'),
    ])
    const table: Table = {
      title: `Outage: ${fmt.seconds(settings.outageMs)} s of connection refused, ${settings.outageEvents} events tracked during it`,
      columns: [
        'client',
        'delivered',
        'lost',
        'duplicates',
        'repeat w/ new insert_id',
        'first flush() s',
        'last arrival after recovery s',
        'note',
      ],
      rows: runs.map((run) => [
        run.client,
        fmt.count(run.sink?.distinctSeqs),
        fmt.count(run.lost),
        fmt.count(run.sink?.duplicates),
        fmt.count(run.sink?.seqRepeatsWithNewInsertId),
        fmt.seconds(run.firstFlushMs),
        fmt.seconds(run.recoveredAfterMs),
        run.failure ?? '',
      ]),
      notes: [
        'each client tracks its events over the first second of the outage, awaits flush(), and after the endpoint is back',
        'and its retries had their window (all arrived, or max(30 s, outage/2)) calls flush() again and closes (shutdown() for ampkit).',
      ],
    }
    const ampkit = runs[0]
    const quickNote = settings.quick
      ? `BENCH_QUICK: ${fmt.seconds(settings.outageMs)} s outage`
      : undefined
    const check: TargetCheck = {
      id: `ampkit loses nothing in a ${fmt.seconds(settings.outageMs)} s outage (repeats keep their insert_id)`,
      issue: 2,
      target: '0 lost, 0 new ids',
      measured:
        ampkit?.sink === undefined
          ? '—'
          : `${ampkit.lost} lost, ${ampkit.sink.seqRepeatsWithNewInsertId} new ids`,
      status:
        ampkit?.sink === undefined || ampkit.failure !== undefined
          ? 'N/A'
          : ampkit.lost === 0 && ampkit.sink.seqRepeatsWithNewInsertId === 0
            ? 'PASS'
            : 'FAIL',
      ...(quickNote === undefined ? {} : { note: quickNote }),
    }
    return { tables: [table], targets: [check], raw: { runs } }
  },
}
