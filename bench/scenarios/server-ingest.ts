/**
 * @module Server ingestion (issue 3): sustained `/batch` load of 2,000-event requests from a separate
 * load process against the real server (its own process, DuckDB file in a temp `--data` dir), for
 * `BENCH_SERVER_SECONDS` (60 s full, 10 s quick; 300 for the 5-minute memory check). The
 * server's RSS is sampled every second, and its CPU time (all threads) is read before and after the
 * load; afterwards the stored rows are counted, and a plain DuckDB insert of the same kind of rows
 * (four ways, the fastest counts) gives the baseline ratio. On a shared machine the wall-clock rates
 * swing with other work; CPU µs per event (server) and per row (baseline) swing less, so both are
 * printed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cliEntry, probeExport } from '../lib/availability.ts'
import { runChild } from '../lib/child.ts'
import { rssOf, startAmpkitServer } from '../lib/server-process.ts'
import { fmt, type Table } from '../lib/table.ts'
import type {
  DuckDbBaselineInput,
  DuckDbBaselineResult,
  DuckDbInsertMethod,
} from '../workers/duckdb-baseline.ts'
import type { IngestLoadInput, IngestLoadResult } from '../workers/ingest-load.ts'
import { atLeast, atMost, type Scenario, type ScenarioOutcome } from './scenario.ts'

const rssSampleIntervalMs = 1_000
const baselineMethods: readonly DuckDbInsertMethod[] = [
  'appender-rows',
  'appender-chunk',
  'insert-read-json',
  'appender-chunk-bulk',
]

/** CPU time (user + system, all threads) of a process in µs (Linux `/proc`, 10 ms ticks). */
function cpuUsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return undefined
  }
}
const secretKey = 'benchsecret000000000000000000000'

interface RssSummary {
  samples: number[]
  firstThirdMeanBytes?: number
  lastThirdMeanBytes?: number
  maxBytes?: number
  /** last third / first third: 1.0 is flat. */
  growth?: number
}

function summarise(samples: number[]): RssSummary {
  const third = Math.floor(samples.length / 3)
  if (third === 0) return { samples }
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length
  const first = mean(samples.slice(0, third))
  const last = mean(samples.slice(-third))
  return {
    samples,
    firstThirdMeanBytes: first,
    lastThirdMeanBytes: last,
    maxBytes: Math.max(...samples),
    growth: last / first,
  }
}

/** Means of the samples in six consecutive slices: a trend at a glance. */
function sixths(samples: number[]): number[] {
  if (samples.length < 6) return samples
  return Array.from({ length: 6 }, (_, index) => {
    const slice = samples.slice(
      Math.floor((index * samples.length) / 6),
      Math.floor(((index + 1) * samples.length) / 6),
    )
    return slice.reduce((a, b) => a + b, 0) / slice.length
  })
}

export const serverIngestScenario: Scenario = {
  name: 'server',
  title: 'Server ingestion: sustained /batch load',
  async unavailable() {
    if (cliEntry() !== undefined) return undefined
    const reason = await probeExport('@ampkit/server', 'openDuckDbStore')
    return reason === undefined ? undefined : `neither packages/cli nor ${reason}`
  },
  async run(context): Promise<ScenarioOutcome> {
    const { settings } = context
    const workDir = mkdtempSync(join(tmpdir(), 'ampkit-bench-'))
    const dataDir = join(workDir, 'data')
    try {
      context.progress(`server: starting ampkit serve (data in ${dataDir}) …`)
      const server = await startAmpkitServer({ apiKey: settings.apiKey, secretKey, dataDir })
      const samples: number[] = []
      const sampler = setInterval(() => {
        const rss = rssOf(server.pid)
        if (rss !== undefined) samples.push(rss)
      }, rssSampleIntervalMs)
      let load: IngestLoadResult | undefined
      let loadFailure: string | undefined
      let shutdownMs: number | undefined
      let exitCode: number | null | undefined
      let serverCpuUs: number | undefined
      try {
        context.progress(
          `server: ${settings.serverSeconds} s of /batch × ${settings.serverBatchEvents}, ${settings.serverConcurrency} in flight …`,
        )
        const input: IngestLoadInput = {
          url: server.url,
          apiKey: settings.apiKey,
          seconds: settings.serverSeconds,
          concurrency: settings.serverConcurrency,
          batchEvents: settings.serverBatchEvents,
          runId: `r${Date.now().toString(36)}`,
        }
        const cpuBefore = cpuUsOf(server.pid)
        const outcome = await runChild<IngestLoadResult>('workers/ingest-load.ts', input, {
          timeoutMs: settings.serverSeconds * 1_000 + 180_000,
        }).done
        const cpuAfter = cpuUsOf(server.pid)
        if (cpuBefore !== undefined && cpuAfter !== undefined) serverCpuUs = cpuAfter - cpuBefore
        load = outcome.result
        if (load === undefined || load.error !== undefined) {
          loadFailure =
            load?.error ??
            `load worker exited ${outcome.exitCode}: ${outcome.outputTail.slice(-300)}`
          load = undefined
        }
      } finally {
        clearInterval(sampler)
        const stopAt = performance.now()
        exitCode = await server.stop(60_000)
        shutdownMs = performance.now() - stopAt
      }
      const stored = await runChild<{ tables?: Record<string, number>; error?: string }>(
        'workers/duckdb-count.ts',
        { dataDir },
        { timeoutMs: 120_000 },
      ).done
      const storedTables = stored.result?.tables ?? {}
      const storedEvents = Object.entries(storedTables)
        .filter(([name]) => /event/i.test(name))
        .reduce<number | undefined>((max, [, rows]) => Math.max(max ?? 0, rows), undefined)

      const baselines: DuckDbBaselineResult[] = []
      const baselineErrors: string[] = []
      for (const method of baselineMethods) {
        context.progress(
          `server: DuckDB baseline (${method}), ${settings.duckdbBaselineRows.toLocaleString('en-US')} rows …`,
        )
        const baselineInput: DuckDbBaselineInput = {
          rows: settings.duckdbBaselineRows,
          batchEvents: settings.serverBatchEvents,
          dbPath: join(workDir, `baseline-${method}.duckdb`),
          method,
        }
        const outcome = await runChild<DuckDbBaselineResult>(
          'workers/duckdb-baseline.ts',
          baselineInput,
          { timeoutMs: 600_000 },
        ).done
        if (outcome.result !== undefined && outcome.result.error === undefined) {
          baselines.push(outcome.result)
        } else {
          baselineErrors.push(
            `${method}: ${outcome.result?.error ?? outcome.outputTail.slice(-300)}`,
          )
        }
      }
      const baseline = baselines.reduce<DuckDbBaselineResult | undefined>(
        (best, run) => (best === undefined || run.rowsPerSecond > best.rowsPerSecond ? run : best),
        undefined,
      )

      const eventsPerSecond =
        load === undefined ? undefined : (load.acceptedEvents / load.elapsedMs) * 1_000
      // CPU of acknowledged events only; refused requests would make it look cheaper.
      const serverCpuUsPerEvent =
        load === undefined || serverCpuUs === undefined || load.acceptedEvents === 0
          ? undefined
          : serverCpuUs / load.acceptedEvents
      const cheapest = baselines.reduce<DuckDbBaselineResult | undefined>(
        (best, run) => (best === undefined || run.cpuUsPerRow < best.cpuUsPerRow ? run : best),
        undefined,
      )
      const rss = summarise(samples)
      const raw = {
        launchedWith: server.launchedWith,
        load,
        loadFailure,
        eventsPerSecond,
        serverCpuUsPerEvent,
        rss,
        shutdownMs,
        exitCode,
        storedTables,
        storedEvents,
        storedError: stored.result?.error,
        baselines,
        baselineErrors,
        serverOverBaseline:
          eventsPerSecond === undefined || baseline === undefined
            ? undefined
            : eventsPerSecond / baseline.rowsPerSecond,
        serverCpuOverBaselineCpu:
          serverCpuUsPerEvent === undefined || cheapest === undefined
            ? undefined
            : serverCpuUsPerEvent / cheapest.cpuUsPerRow,
      }
      const table: Table = {
        title: `Server ingestion: ${settings.serverSeconds} s of POST /batch, ${fmt.count(settings.serverBatchEvents)} events per request, ${settings.serverConcurrency} in flight`,
        columns: ['measure', 'value'],
        rows: [
          ['ampkit server events/s (200s only)', fmt.rate(eventsPerSecond)],
          [
            'server CPU µs per event (all threads) / load process CPU µs per event',
            `${serverCpuUsPerEvent?.toFixed(1) ?? '—'} / ${load?.cpuUsPerEvent?.toFixed(1) ?? '—'}`,
          ],
          ['events acknowledged (200)', fmt.count(load?.acceptedEvents)],
          ['events stored (counted in DuckDB after SIGTERM)', fmt.count(storedEvents)],
          ['responses by status', load === undefined ? '—' : JSON.stringify(load.statusCounts)],
          ['network errors', fmt.count(load?.networkErrors)],
          [
            'request latency p50 / p90 / p99 / max ms',
            load === undefined
              ? '—'
              : [load.latencyMs.p50, load.latencyMs.p90, load.latencyMs.p99, load.latencyMs.max]
                  .map((value) => value.toFixed(0))
                  .join(' / '),
          ],
          [
            'events/s by sixth of the run (5 s windows, mean)',
            load === undefined ? '—' : sixths(load.windows).map(fmt.rate).join(' '),
          ],
          [
            'server RSS by sixth of the run (mean)',
            sixths(rss.samples).map(fmt.megabytes).join(' '),
          ],
          ['server RSS: first third mean', fmt.megabytes(rss.firstThirdMeanBytes)],
          ['server RSS: last third mean', fmt.megabytes(rss.lastThirdMeanBytes)],
          ['server RSS: max', fmt.megabytes(rss.maxBytes)],
          ['server RSS growth (last / first third)', fmt.ratio(rss.growth)],
          [
            'shutdown after SIGTERM s (exit code)',
            `${fmt.seconds(shutdownMs)} (${exitCode ?? '—'})`,
          ],
          ...baselines.map((run) => [
            `DuckDB baseline rows/s (CPU µs/row): ${run.method}`,
            `${fmt.rate(run.rowsPerSecond)} (${run.cpuUsPerRow.toFixed(1)})`,
          ]),
          [
            `server / best baseline (${baseline?.method ?? '—'})`,
            fmt.ratio(raw.serverOverBaseline),
          ],
          [
            `server CPU per event / cheapest baseline CPU per row (${cheapest?.method ?? '—'})`,
            fmt.ratio(raw.serverCpuOverBaselineCpu),
          ],
        ],
        notes: [
          `server: ${server.launchedWith}`,
          'baseline: @duckdb/node-api into a file DB, the 27 columns of the server events table, one commit per 2,000-row batch (as per request),',
          '  no HTTP, validation, dedup or profiles; appender-rows = per-value Appender calls, appender-chunk = one DataChunk',
          '  per batch, insert-read-json = INSERT … SELECT FROM read_json(batch NDJSON file), appender-chunk-bulk = DataChunks',
          "  with one commit per 122,880 rows (DuckDB's ceiling). Column values are prepared untimed; only the insert is timed.",
          ...(loadFailure === undefined ? [] : [`load failed: ${loadFailure}`]),
          ...(load?.firstError === undefined ? [] : [`first non-200: ${load.firstError}`]),
          ...baselineErrors.map((error) => `baseline failed: ${error}`),
        ],
      }
      const note =
        settings.serverSeconds < 300 ? `${settings.serverSeconds} s run (issue: 5 min)` : undefined
      return {
        tables: [table],
        targets: [
          atLeast(
            'server sustains ≥ 100,000 events/s on /batch',
            3,
            eventsPerSecond,
            100_000,
            (value) => Math.round(value).toLocaleString('en-US'),
          ),
          // "Flat" is read as: the last third of the run averages at most 1.2x the first third.
          atMost(
            'server memory flat under load',
            3,
            rss.growth,
            1.2,
            (value) => `${value.toFixed(2)}x`,
            note,
          ),
        ],
        raw,
      }
    } finally {
      rmSync(workDir, { recursive: true, force: true })
    }
  },
}
