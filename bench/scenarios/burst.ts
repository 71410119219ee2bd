/**
 * @module Burst (issue 2): N `track()` calls then `flush()`, timed until the sink holds all N, for the
 * raw floor, `@ampkit/node` and the official SDK at the small size (200,000), then the floor and ampkit
 * at the large size (1,000,000). Each run is a fresh worker process against the shared sink.
 */
import type { ClientName } from '../clients/bench-client.ts'
import { probeExport } from '../lib/availability.ts'
import { runChild } from '../lib/child.ts'
import { fmt, type Table } from '../lib/table.ts'
import type { BurstInput, BurstResult } from '../workers/burst-worker.ts'
import {
  atLeast,
  atMost,
  type BenchContext,
  type Scenario,
  type ScenarioOutcome,
  type TargetCheck,
} from './scenario.ts'

export interface BurstRun {
  client: ClientName
  events: number
  result?: BurstResult
  /** Why there is no result: skipped, crashed, or killed at the process timeout. */
  failure?: string
  /** Wall ms of every attempt; the fastest is `result` (the machine is shared, noise only adds time). */
  attemptsWallMs?: (number | null)[]
}

export interface BurstRaw {
  runs: BurstRun[]
  ratios: {
    ampkitOverFloorSmall?: number
    ampkitOverFloorLarge?: number
    officialOverAmpkit?: number
    officialOverAmpkitIsLowerBound?: boolean
    ampkitLinearity?: number
    floorLinearity?: number
    /** CPU-time ratios: less sensitive than wall time to other processes on a shared machine. */
    ampkitOverFloorCpuSmall?: number
    ampkitOverFloorCpuLarge?: number
    officialOverAmpkitCpu?: number
  }
}

/**
 * One burst in a fresh worker against the shared sink. Exported for later scenarios: the outbox
 * (issue 4) runs the same burst through ampkit with `extraOptions` such as
 * `{ persistence: { dir, durability } }` and compares it with a plain in-memory run.
 */
export async function runBurst(
  context: BenchContext,
  client: ClientName,
  events: number,
  deliveryTimeoutMs: number,
  extraOptions?: Record<string, unknown>,
): Promise<BurstRun> {
  const { settings } = context
  const sink = await context.sink()
  await sink.control.reset()
  context.progress(`burst: ${client} × ${events.toLocaleString('en-US')} …`)
  const input: BurstInput = {
    client,
    events,
    serverUrl: `${sink.baseUrl}/2/httpapi`,
    controlUrl: sink.control.controlUrl,
    apiKey: settings.apiKey,
    batchSize: settings.batchSize,
    yieldEvery: settings.yieldEvery,
    deliveryTimeoutMs,
    ...(extraOptions === undefined ? {} : { extraOptions }),
  }
  const outcome = await runChild<BurstResult>('workers/burst-worker.ts', input, {
    nodeFlags: ['--expose-gc'],
    timeoutMs: deliveryTimeoutMs + 120_000,
  }).done
  const result = outcome.result
  if (result === undefined || result.error !== undefined) {
    const why = outcome.timedOut
      ? 'worker killed at its process timeout'
      : (result?.error ?? `worker exited ${outcome.exitCode ?? outcome.signal}`)
    const stats = await sink.control.stats()
    context.progress(`burst: ${client} failed: ${why}\n${outcome.outputTail.slice(-1_500)}`)
    return { client, events, failure: `${why} (sink had ${stats.distinct} distinct)` }
  }
  context.progress(
    `burst: ${client} × ${events.toLocaleString('en-US')}: ${fmt.seconds(result.wallMs)} s` +
      (result.timedOut ? ` (TIMED OUT, ${result.delivered} delivered)` : ''),
  )
  return { client, events, result }
}

const wallOf = (run: BurstRun | undefined): number | undefined => run?.result?.wallMs
const cpuOf = (run: BurstRun | undefined): number | undefined => run?.result?.cpuMs

function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  return numerator === undefined || denominator === undefined || denominator === 0
    ? undefined
    : numerator / denominator
}

export const burstScenario: Scenario = {
  name: 'burst',
  title: 'Burst: track() N events, flush, until the sink has all N',
  async unavailable() {
    return undefined
  },
  async run(context): Promise<ScenarioOutcome> {
    const { settings } = context
    const small = settings.burstSmallEvents
    const large = settings.burstLargeEvents
    const ampkitMissing = await probeExport('@ampkit/node', 'createInstance')
    const runs: BurstRun[] = []
    // Attempts of the floor and ampkit alternate (floor, ampkit, floor, ampkit), so that both see
    // the same background load on a shared machine; the fastest attempt of each counts. The official
    // SDK runs once: a single 200k run already takes minutes.
    const measure = async (clients: ClientName[], events: number): Promise<void> => {
      const best = new Map<ClientName, BurstRun>()
      const attempts = new Map<ClientName, (number | null)[]>()
      for (let attempt = 0; attempt < settings.repeats; attempt++) {
        for (const client of clients) {
          if (client === 'ampkit' && ampkitMissing !== undefined) continue
          const run = await runBurst(context, client, events, settings.ampkitDeliveryTimeoutMs)
          attempts.set(client, [...(attempts.get(client) ?? []), run.result?.wallMs ?? null])
          const wall = run.result?.wallMs
          const bestWall = best.get(client)?.result?.wallMs
          if (
            !best.has(client) ||
            (wall !== undefined && (bestWall === undefined || wall < bestWall))
          )
            best.set(client, run)
        }
      }
      for (const client of clients) {
        const run = best.get(client)
        if (run !== undefined) runs.push({ ...run, attemptsWallMs: attempts.get(client) ?? [] })
        else runs.push({ client, events, failure: `skipped: ${ampkitMissing}` })
      }
    }
    await measure(['floor', 'ampkit'], small)
    const official = await runBurst(context, 'official', small, settings.officialDeliveryTimeoutMs)
    runs.push({ ...official, attemptsWallMs: [official.result?.wallMs ?? null] })
    await measure(['floor', 'ampkit'], large)
    const find = (client: ClientName, events: number): BurstRun | undefined =>
      runs.find((run) => run.client === client && run.events === events)
    const officialTimedOut = official?.result?.timedOut === true
    const officialWall = officialTimedOut ? settings.officialDeliveryTimeoutMs : wallOf(official)
    const raw: BurstRaw = {
      runs,
      ratios: {
        ...optional(
          'ampkitOverFloorSmall',
          ratio(wallOf(find('ampkit', small)), wallOf(find('floor', small))),
        ),
        ...optional(
          'ampkitOverFloorLarge',
          ratio(wallOf(find('ampkit', large)), wallOf(find('floor', large))),
        ),
        ...optional('officialOverAmpkit', ratio(officialWall, wallOf(find('ampkit', small)))),
        officialOverAmpkitIsLowerBound: officialTimedOut,
        ...optional(
          'ampkitLinearity',
          ratio(
            wallOf(find('ampkit', large)),
            scaled(wallOf(find('ampkit', small)), large / small),
          ),
        ),
        ...optional(
          'ampkitOverFloorCpuSmall',
          ratio(cpuOf(find('ampkit', small)), cpuOf(find('floor', small))),
        ),
        ...optional(
          'ampkitOverFloorCpuLarge',
          ratio(cpuOf(find('ampkit', large)), cpuOf(find('floor', large))),
        ),
        ...optional('officialOverAmpkitCpu', ratio(cpuOf(official), cpuOf(find('ampkit', small)))),
        ...optional(
          'floorLinearity',
          ratio(wallOf(find('floor', large)), scaled(wallOf(find('floor', small)), large / small)),
        ),
      },
    }
    return { tables: burstTables(raw, context), targets: burstTargets(raw, context), raw }
  },
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>)
}

function scaled(value: number | undefined, factor: number): number | undefined {
  return value === undefined ? undefined : value * factor
}

function burstTables(raw: BurstRaw, context: BenchContext): Table[] {
  const { settings } = context
  const rows = raw.runs.map((run): string[] => {
    const result = run.result
    if (result === undefined) {
      return [
        run.client,
        fmt.count(run.events),
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        run.failure ?? '',
      ]
    }
    const wall = result.wallMs
    return [
      run.client,
      fmt.count(run.events),
      result.timedOut ? `>${fmt.seconds(settings.officialDeliveryTimeoutMs)}` : fmt.seconds(wall),
      wall === undefined ? '—' : fmt.rate((run.events / wall) * 1_000),
      fmt.seconds(result.cpuMs),
      fmt.seconds(result.sinkCpuMs),
      fmt.megabytes(result.peakRssBytes),
      fmt.megabytes(result.rssBeforeBytes),
      fmt.count(result.requests),
      result.timedOut
        ? `TIMED OUT: ${fmt.count(result.delivered)} of ${fmt.count(run.events)} delivered`
        : `track loop ${fmt.seconds(result.trackLoopMs)} s, flush() returned ${fmt.seconds(result.flushReturnedMs)} s`,
    ]
  })
  const ampkitConfig = raw.runs.find((run) => run.client === 'ampkit')?.result?.config
  const officialConfig = raw.runs.find((run) => run.client === 'official')?.result?.config
  const runsTable: Table = {
    title: 'Burst (each client in its own process, sink in another)',
    columns: [
      'client',
      'events',
      'wall s',
      'events/s',
      'CPU s',
      'sink CPU s',
      'peak RSS',
      'RSS before',
      'requests',
      'note',
    ],
    rows,
    notes: [
      `wall = first track() → sink received the last distinct event; CPU = the client process (user+system) over that span; sink CPU = the sink's over the run.`,
      `floor and ampkit: fastest of ${settings.repeats} runs (every attempt is in the JSON); official: 1 run.`,
      `track() loop yields to the event loop every ${settings.yieldEvery} calls; RSS before = after init, before the loop (includes the tsx loader).`,
      `floor: JSON.stringify of ${settings.batchSize}-event batches, 4 requests in flight, fetch keep-alive, no gzip.`,
      `ampkit config: ${JSON.stringify(ampkitConfig ?? 'n/a')}`,
      `official config: ${JSON.stringify(officialConfig ?? 'n/a')} (only at ${fmt.count(settings.burstSmallEvents)}; timeout ${fmt.seconds(settings.officialDeliveryTimeoutMs)} s)`,
    ],
  }
  const r = raw.ratios
  const small = fmt.count(settings.burstSmallEvents)
  const large = fmt.count(settings.burstLargeEvents)
  const ratiosTable: Table = {
    title: 'Burst ratios',
    columns: ['ratio', 'value', 'target'],
    rows: [
      [`ampkit / floor @${small}`, fmt.ratio(r.ampkitOverFloorSmall), '≤ 1.5x'],
      [`ampkit / floor @${large}`, fmt.ratio(r.ampkitOverFloorLarge), '(≤ 1.5x)'],
      [
        `official / ampkit @${small}`,
        `${r.officialOverAmpkitIsLowerBound === true ? '≥ ' : ''}${fmt.ratio(r.officialOverAmpkit)}`,
        '≥ 30x',
      ],
      [
        `ampkit linearity: t(${large}) / (${settings.burstLargeEvents / settings.burstSmallEvents} × t(${small}))`,
        fmt.ratio(r.ampkitLinearity),
        '≈ 1 (≤ 1.2x)',
      ],
      [`floor linearity (reference)`, fmt.ratio(r.floorLinearity), ''],
      [`CPU: ampkit / floor @${small}`, fmt.ratio(r.ampkitOverFloorCpuSmall), '(info)'],
      [`CPU: ampkit / floor @${large}`, fmt.ratio(r.ampkitOverFloorCpuLarge), '(info)'],
      [`CPU: official / ampkit @${small}`, fmt.ratio(r.officialOverAmpkitCpu), '(info)'],
    ],
    notes: [
      'targets are judged on wall time; the CPU ratios (client process only) are steadier when the machine is shared.',
    ],
  }
  return [runsTable, ratiosTable]
}

function burstTargets(raw: BurstRaw, context: BenchContext): TargetCheck[] {
  const note = context.settings.quick ? 'BENCH_QUICK sizes' : undefined
  const r = raw.ratios
  const x = (value: number): string => `${value.toFixed(2)}x`
  return [
    atMost(
      'ampkit within 1.5x of the raw floor (200k burst)',
      2,
      r.ampkitOverFloorSmall,
      1.5,
      x,
      note,
    ),
    atLeast(
      'ampkit ≥ 30x faster than the official SDK (200k burst)',
      2,
      r.officialOverAmpkit,
      30,
      x,
      [
        note,
        r.officialOverAmpkitIsLowerBound === true ? 'official timed out: lower bound' : undefined,
      ]
        .filter(Boolean)
        .join('; ') || undefined,
    ),
    // "Linear" is read as: the 5x larger burst takes at most 1.2x five times as long.
    atMost('ampkit linear from 200k to 1M', 2, r.ampkitLinearity, 1.2, x, note),
  ]
}
