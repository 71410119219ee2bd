/**
 * @module Outbox (issue 4): the 200,000-event burst through `@ampkit/node` in memory, with the
 * durable outbox at `durability: 'os'` and at `durability: 'fsync'` (each in a fresh temporary
 * directory, runs alternating, fastest of `BENCH_REPEATS` counts); and a real outage with the outbox
 * (`BENCH_OUTBOX_OUTAGE_SECONDS`, 120 s in the full run, off in quick mode): events tracked while the
 * sink refuses connections, bytes on disk per event, then everything must arrive with its insert_id.
 * Target (issue 4): the OS-buffered outbox at most 2x the in-memory burst's time.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { probeExport } from '../lib/availability.ts'
import { runChild } from '../lib/child.ts'
import type { SinkStats } from '../lib/sink-control.ts'
import { startSink } from '../lib/sink-process.ts'
import { fmt, type Table } from '../lib/table.ts'
import type { OutboxOutageInput, OutboxOutageResult } from '../workers/outbox-outage-worker.ts'
import { type BurstRun, runBurst } from './burst.ts'
import { atMost, type BenchContext, type Scenario, type ScenarioOutcome } from './scenario.ts'

type Variant = 'memory' | 'outbox-os' | 'outbox-fsync'
const VARIANTS: readonly Variant[] = ['memory', 'outbox-os', 'outbox-fsync']

interface OutboxStatsShape {
  diskBytes?: number
  diskEvents?: number
  memoryEvents?: number
  segments?: number
  commits?: number
}

interface OutageRaw {
  outageMs: number
  events: number
  sink?: SinkStats
  lost?: number
  duringOutage?: { tracked?: number; outbox?: OutboxStatsShape }
  heapUsedDuringBytes?: number
  failure?: string
}

function outageSeconds(context: BenchContext): number {
  const raw = process.env.BENCH_OUTBOX_OUTAGE_SECONDS
  if (raw !== undefined && raw !== '') return Number(raw)
  return context.settings.quick ? 0 : 120
}

async function burst(context: BenchContext, variant: Variant): Promise<BurstRun> {
  const { settings } = context
  if (variant === 'memory') {
    return runBurst(context, 'ampkit', settings.burstSmallEvents, settings.ampkitDeliveryTimeoutMs)
  }
  const dir = mkdtempSync(join(tmpdir(), 'ampkit-bench-outbox-'))
  try {
    return await runBurst(
      context,
      'ampkit',
      settings.burstSmallEvents,
      settings.ampkitDeliveryTimeoutMs,
      { persistence: { dir, durability: variant === 'outbox-os' ? 'os' : 'fsync' } },
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function outage(context: BenchContext, outageMs: number): Promise<OutageRaw> {
  const { settings } = context
  const events = 100_000
  const dir = mkdtempSync(join(tmpdir(), 'ampkit-bench-outbox-outage-'))
  const sink = await startSink()
  try {
    await sink.control.reset(true)
    const input: OutboxOutageInput = {
      events,
      serverUrl: `${sink.baseUrl}/2/httpapi`,
      apiKey: settings.apiKey,
      batchSize: settings.batchSize,
      trackSpreadMs: Math.min(5_000, outageMs / 4),
      persistence: { dir, durability: 'os' },
    }
    let ready: () => void = () => {}
    const readyPromise = new Promise<void>((resolve) => {
      ready = resolve
    })
    const { child, done } = runChild<OutboxOutageResult>('workers/outbox-outage-worker.ts', input, {
      nodeFlags: ['--expose-gc'],
      timeoutMs: outageMs + 300_000,
      onMessage: (message) => {
        if ((message as { type?: unknown }).type === 'ready') ready()
      },
    })
    await Promise.race([readyPromise, done])
    context.progress(`outbox: ${fmt.seconds(outageMs)} s outage, ${events} events …`)
    const { refusingUntilMs } = await sink.control.outage(outageMs)
    if (child.connected) child.send({ type: 'start' })
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, refusingUntilMs - Date.now())))
    await sink.control.waitFor(events, Math.max(30_000, outageMs / 2))
    if (child.connected) child.send({ type: 'finish' })
    const outcome = await done
    const stats = await sink.control.stats()
    const run: OutageRaw = { outageMs, events, sink: stats, lost: events - stats.distinctSeqs }
    const result = outcome.result
    if (result === undefined || result.error !== undefined) {
      run.failure =
        result?.error ?? `worker exited ${outcome.exitCode}: ${outcome.outputTail.slice(-300)}`
    } else {
      run.duringOutage = result.duringOutage as OutageRaw['duringOutage'] & object
      run.heapUsedDuringBytes = result.heapUsedDuringBytes
    }
    context.progress(`outbox: outage: ${stats.distinctSeqs} of ${events} arrived`)
    return run
  } finally {
    await sink.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export const outboxScenario: Scenario = {
  name: 'outbox',
  title:
    'Outbox (issue 4): 200k burst in memory vs outbox (os, fsync); a real outage with the outbox',
  async unavailable() {
    return probeExport('@ampkit/node', 'replayDeadLetters')
  },
  async run(context): Promise<ScenarioOutcome> {
    const { settings } = context
    const best = new Map<Variant, BurstRun>()
    for (let attempt = 0; attempt < settings.repeats; attempt++) {
      for (const variant of VARIANTS) {
        const run = await burst(context, variant)
        const wall = run.result?.wallMs
        const bestWall = best.get(variant)?.result?.wallMs
        if (
          !best.has(variant) ||
          (wall !== undefined && (bestWall === undefined || wall < bestWall))
        )
          best.set(variant, run)
      }
    }
    const wall = (variant: Variant): number | undefined => best.get(variant)?.result?.wallMs
    const memoryWall = wall('memory')
    const ratio = (variant: Variant): number | undefined => {
      const value = wall(variant)
      return value === undefined || memoryWall === undefined ? undefined : value / memoryWall
    }
    const burstTable: Table = {
      title: `Outbox burst: ${fmt.count(settings.burstSmallEvents)} events, track() then flush() until the sink has all`,
      columns: ['variant', 'wall s', 'events/s', 'vs memory', 'CPU s', 'peak RSS', 'note'],
      rows: VARIANTS.map((variant) => {
        const run = best.get(variant)
        const result = run?.result
        if (result === undefined) return [variant, '—', '—', '—', '—', '—', run?.failure ?? '']
        return [
          variant,
          fmt.seconds(result.wallMs),
          result.wallMs === undefined
            ? '—'
            : fmt.rate((settings.burstSmallEvents / result.wallMs) * 1_000),
          fmt.ratio(ratio(variant)),
          fmt.seconds(result.cpuMs),
          fmt.megabytes(result.peakRssBytes),
          `track loop ${fmt.seconds(result.trackLoopMs)} s`,
        ]
      }),
      notes: [
        `fastest of ${settings.repeats} alternating runs; each outbox run in a fresh temporary directory (${tmpdir()}).`,
        'outbox defaults: 8 MiB segments, 20,000 events in memory, group commit per event-loop turn; fsync = one fdatasync per commit.',
      ],
    }
    const tables = [burstTable]
    const seconds = outageSeconds(context)
    let outageRaw: OutageRaw | undefined
    if (seconds > 0) {
      outageRaw = await outage(context, seconds * 1_000)
      const during = outageRaw.duringOutage
      const held = (during?.outbox?.diskEvents ?? 0) + (during?.outbox?.memoryEvents ?? 0)
      tables.push({
        title: `Outbox outage: ${seconds} s of connection refused, ${fmt.count(outageRaw.events)} events tracked during it (durability os)`,
        columns: [
          'delivered',
          'lost',
          'repeat w/ new insert_id',
          'disk bytes',
          'bytes/event on disk',
          'events on disk / in memory',
          'heap during',
          'note',
        ],
        rows: [
          [
            fmt.count(outageRaw.sink?.distinctSeqs),
            fmt.count(outageRaw.lost),
            fmt.count(outageRaw.sink?.seqRepeatsWithNewInsertId),
            fmt.count(during?.outbox?.diskBytes),
            held === 0 ? '—' : fmt.count((during?.outbox?.diskBytes ?? 0) / held),
            `${fmt.count(during?.outbox?.diskEvents)} / ${fmt.count(during?.outbox?.memoryEvents)}`,
            fmt.megabytes(outageRaw.heapUsedDuringBytes),
            outageRaw.failure ?? '',
          ],
        ],
        notes: [
          'bytes/event = segment + ack file bytes / unacknowledged events, read during the outage.',
        ],
      })
    }
    const quickNote = settings.quick ? 'BENCH_QUICK sizes' : undefined
    const targets = [
      atMost(
        'outbox (durability os) ≤ 2x the in-memory 200k burst',
        4,
        ratio('outbox-os'),
        2,
        (value) => `${value.toFixed(2)}x`,
        quickNote,
      ),
    ]
    if (outageRaw !== undefined) {
      targets.push({
        id: `outbox loses nothing in a ${seconds} s outage`,
        issue: 4,
        target: '0 lost, 0 new ids',
        measured:
          outageRaw.sink === undefined
            ? '—'
            : `${outageRaw.lost} lost, ${outageRaw.sink.seqRepeatsWithNewInsertId} new ids`,
        status:
          outageRaw.sink === undefined || outageRaw.failure !== undefined
            ? 'N/A'
            : outageRaw.lost === 0 && outageRaw.sink.seqRepeatsWithNewInsertId === 0
              ? 'PASS'
              : 'FAIL',
      })
    }
    return {
      tables,
      targets,
      raw: {
        burst: Object.fromEntries([...best].map(([variant, run]) => [variant, run])),
        ratios: {
          outboxOsOverMemory: ratio('outbox-os'),
          outboxFsyncOverMemory: ratio('outbox-fsync'),
        },
        outage: outageRaw,
      },
    }
  },
}
