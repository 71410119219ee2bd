/**
 * @module Export throughput (issues 5 and 7): `ampkit serve` (own process) holding a generated store
 * of `BENCH_EXPORT_EVENTS` events (1 million; 200,000 quick), and `@ampkit/api` in another process
 * streaming every event of the 90 days out of the Export API — as raw NDJSON records (what `ampkit
 * export` writes to a file or a warehouse loader reads) and as parsed objects (the same plus one
 * `JSON.parse` of a ~1 KB, 55-key record per event, which alone costs more than the whole stream).
 * Events/s and the RSS of both processes over the run. Target: at least 200,000 events/s with flat
 * memory (issue 5), judged on the record stream; the parsed rate is printed beside it.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { probeExport } from '../lib/availability.ts'
import { runChild } from '../lib/child.ts'
import { GENERATED_PROJECT } from '../lib/generate-events.ts'
import { queryDataset } from '../lib/query-dataset.ts'
import { startAmpkitServer } from '../lib/server-process.ts'
import { fmt, type Table } from '../lib/table.ts'
import type { ExportWorkerResult } from '../workers/export-worker.ts'
import { atLeast, atMost, type Scenario, type ScenarioOutcome } from './scenario.ts'

function eventsSetting(quick: boolean): number {
  const raw = Number(process.env.BENCH_EXPORT_EVENTS ?? '')
  return Number.isSafeInteger(raw) && raw > 0 ? raw : quick ? 200_000 : 1_000_000
}

/** Last third's mean over first third's mean of the samples (after the first second). */
function growth(samples: readonly number[]): number | undefined {
  const steady = samples.slice(4)
  if (steady.length < 6) return undefined
  const third = Math.floor(steady.length / 3)
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  return mean(steady.slice(-third)) / mean(steady.slice(0, third))
}

export const exportScenario: Scenario = {
  name: 'export',
  title: 'Export throughput: ampkit serve → @ampkit/api, streaming',
  async unavailable() {
    return probeExport('@ampkit/api', 'createAmplitudeApi')
  },
  async run(context): Promise<ScenarioOutcome> {
    const events = eventsSetting(context.settings.quick)
    const dataset = await queryDataset(events, context.progress)
    // The server opens its store read-write: it gets a copy, so the cached dataset stays pristine.
    const dataDir = await mkdtemp(join(tmpdir(), 'ampkit-bench-export-'))
    await cp(join(dataset.dir, 'ampkit.duckdb'), join(dataDir, 'ampkit.duckdb'))
    const server = await startAmpkitServer({
      apiKey: GENERATED_PROJECT.apiKey,
      secretKey: GENERATED_PROJECT.secretKey,
      dataDir,
    })
    const results: Record<string, ExportWorkerResult> = {}
    try {
      for (const mode of ['lines', 'parsed'] as const) {
        context.progress(`export: ${fmt.count(dataset.events)} events as ${mode} records`)
        const outcome = await runChild<ExportWorkerResult>(
          'workers/export-worker.ts',
          {
            url: server.url,
            apiKey: GENERATED_PROJECT.apiKey,
            secretKey: GENERATED_PROJECT.secretKey,
            serverPid: server.pid,
            start: '20240101T00',
            end: '20240401T23',
            mode,
          },
          { timeoutMs: 600_000 },
        ).done
        if (outcome.result === undefined)
          throw new Error(`export worker failed: ${outcome.outputTail.slice(-500)}`)
        results[mode] = outcome.result
      }
    } finally {
      await server.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
    const rows = Object.entries(results).map(([mode, r]) => [
      mode,
      fmt.count(r.events),
      fmt.seconds(r.wallMs),
      fmt.rate((r.events / r.wallMs) * 1000),
      fmt.megabytes(Math.max(...r.clientRss)),
      fmt.ratio(growth(r.clientRss)),
      fmt.megabytes(Math.max(...r.serverRss)),
      fmt.ratio(growth(r.serverRss)),
    ])
    const table: Table = {
      title: `Export of ${fmt.count(dataset.events)} events (90 days of upload hours) over loopback`,
      columns: [
        'records',
        'events',
        'wall s',
        'events/s',
        'client peak RSS',
        'client RSS last/first third',
        'server peak RSS',
        'server RSS last/first third',
      ],
      rows,
      notes: [
        `server: ${server.launchedWith}`,
        'every event must arrive: the events column equals the store size',
      ],
    }
    const lines = results.lines
    const rate = lines === undefined ? undefined : (lines.events / lines.wallMs) * 1000
    const complete = lines?.events === dataset.events && results.parsed?.events === dataset.events
    return {
      tables: [table],
      targets: [
        atLeast(
          `export records @${fmt.count(dataset.events)}`,
          5,
          complete ? rate : undefined,
          200_000,
          (v) => `${fmt.rate(v)} ev/s`,
          complete
            ? undefined
            : `${lines?.events ?? 0} raw, ${results.parsed?.events ?? 0} parsed of ${dataset.events} events arrived`,
        ),
        atMost('export client RSS growth', 5, growth(lines?.clientRss ?? []), 1.2, fmt.ratio),
      ],
      raw: { dataset, results },
    }
  },
}
