/**
 * @module Import throughput (issue 7): `ampkit import` of an NDJSON file (`BENCH_IMPORT_ROWS`,
 * 1,000,000 full, 100,000 quick; 10,000 users) into `ampkit serve` (own process, DuckDB file), both
 * as real processes. The first run gets SIGINT once half the rows are delivered (by its progress
 * lines, not by time) and must exit 130 with a checkpoint; the re-run resumes from it. Afterwards the
 * stored events are counted in DuckDB: the issue's check is exactly N distinct events.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cliEntry } from '../lib/availability.ts'
import { repoRoot, runChild, workerExecArgv } from '../lib/child.ts'
import { rssOf, startAmpkitServer } from '../lib/server-process.ts'
import { fmt } from '../lib/table.ts'
import type { Scenario, ScenarioOutcome, TargetCheck } from './scenario.ts'

const secretKey = 'benchsecret000000000000000000000'
const users = 10_000

function rowsSetting(quick: boolean): number {
  const raw = process.env.BENCH_IMPORT_ROWS
  const value = raw === undefined || raw === '' ? Number.NaN : Number(raw)
  return Number.isSafeInteger(value) && value > 0 ? value : quick ? 100_000 : 1_000_000
}

async function writeRows(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path)
  let bytes = 0
  const base = Date.UTC(2026, 0, 1)
  for (let start = 0; start < rows; start += 10_000) {
    let chunk = ''
    for (let i = start; i < Math.min(start + 10_000, rows); i++) {
      chunk += `${JSON.stringify({
        event_type: i % 3 === 0 ? 'Song Played' : 'Page Viewed',
        user_id: `bench-user-${i % users}`,
        time: base + i * 10,
        event_properties: { row: i, path: `/p/${i % 97}`, ms: i % 1000 },
      })}\n`
    }
    bytes += Buffer.byteLength(chunk)
    if (!out.write(chunk)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return bytes
}

interface ImportRun {
  exitCode: number | null
  elapsedMs: number
  /** Largest RSS of the import process, sampled every 250 ms. */
  maxRssBytes?: number
  report?: {
    delivered: number
    sent: number
    eventsPerSecond: number
    files: { resumedRows: number }[]
  }
  stderrTail: string
}

function runImport(
  cli: string,
  args: string[],
  interruptAtDelivered: number | undefined,
): Promise<ImportRun> {
  const nodeArgs = cli.endsWith('.ts') ? workerExecArgv() : []
  const started = performance.now()
  const child = spawn(process.execPath, [...nodeArgs, cli, 'import', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let interrupted = false
  let maxRssBytes: number | undefined
  const sampler = setInterval(() => {
    const rss = child.pid === undefined ? undefined : rssOf(child.pid)
    if (rss !== undefined) maxRssBytes = Math.max(maxRssBytes ?? 0, rss)
  }, 250)
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8')
    stderr = (stderr + text).slice(-4_000)
    const delivered = /, ([\d,]+) delivered/.exec(text)?.[1]
    if (
      !interrupted &&
      interruptAtDelivered !== undefined &&
      delivered !== undefined &&
      Number(delivered.replace(/,/g, '')) >= interruptAtDelivered
    ) {
      interrupted = true
      child.kill('SIGINT')
    }
  })
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearInterval(sampler)
      const last = stdout.trim().split('\n').at(-1)
      let report: ImportRun['report']
      try {
        report = last === undefined ? undefined : JSON.parse(last)
      } catch {
        report = undefined
      }
      resolve({
        exitCode: code,
        elapsedMs: performance.now() - started,
        ...(maxRssBytes !== undefined && { maxRssBytes }),
        ...(report !== undefined && { report }),
        stderrTail: stderr.slice(-600),
      })
    })
  })
}

export const importScenario: Scenario = {
  name: 'import',
  title: 'Import throughput: ampkit import into ampkit serve, interrupted and resumed',
  async unavailable() {
    return cliEntry() === undefined ? 'packages/cli is not available' : undefined
  },
  async run(context): Promise<ScenarioOutcome> {
    const { settings } = context
    const cli = cliEntry() as string
    const rows = rowsSetting(settings.quick)
    const workDir = mkdtempSync(join(tmpdir(), 'ampkit-bench-import-'))
    const dataDir = join(workDir, 'data')
    const file = join(workDir, 'events.ndjson')
    try {
      context.progress(`import: writing ${fmt.count(rows)} rows …`)
      const fileBytes = await writeRows(file, rows)
      const server = await startAmpkitServer({ apiKey: settings.apiKey, secretKey, dataDir })
      let first: ImportRun | undefined
      let second: ImportRun | undefined
      try {
        const args = [
          file,
          '--json',
          '--progress-interval-ms',
          '250',
          '--api-key',
          settings.apiKey,
          '--server-url',
          `${server.url}/batch`,
        ]
        context.progress(`import: first run, SIGINT at ${fmt.count(rows / 2)} delivered …`)
        first = await runImport(cli, args, Math.floor(rows / 2))
        context.progress('import: resumed run …')
        second = await runImport(cli, args, undefined)
      } finally {
        await server.stop(120_000)
      }
      const stored = await runChild<{ tables?: Record<string, number>; error?: string }>(
        'workers/duckdb-count.ts',
        { dataDir },
        { timeoutMs: 120_000 },
      ).done
      const storedEvents = Object.entries(stored.result?.tables ?? {})
        .filter(([name]) => /event/i.test(name))
        .reduce<number | undefined>((max, [, n]) => Math.max(max ?? 0, n), undefined)
      const delivered = (first.report?.delivered ?? 0) + (second.report?.delivered ?? 0)
      const elapsedMs = first.elapsedMs + second.elapsedMs
      const overall = (delivered / elapsedMs) * 1_000
      const targets: TargetCheck[] = [
        {
          id: 'import/distinct after SIGINT + resume',
          issue: 7,
          target: `= ${fmt.count(rows)} events`,
          measured: fmt.count(storedEvents),
          status:
            storedEvents === rows && first.exitCode === 130 && second.exitCode === 0
              ? 'PASS'
              : 'FAIL',
          note: `exit codes ${first.exitCode} / ${second.exitCode}`,
        },
      ]
      return {
        tables: [
          {
            title: `Import: ${fmt.count(rows)} NDJSON rows (${fmt.megabytes(fileBytes)}), ${fmt.count(users)} users, into ampkit serve (${server.launchedWith.includes('no-rate-limits') ? 'no rate limits' : 'rate limits on'})`,
            columns: ['measure', 'value'],
            rows: [
              ['first run: exit code (SIGINT midway)', String(first.exitCode)],
              ['first run: delivered', fmt.count(first.report?.delivered)],
              ['first run: wall s', fmt.seconds(first.elapsedMs)],
              [
                'resumed run: rows skipped by the checkpoint',
                fmt.count(second.report?.files[0]?.resumedRows),
              ],
              [
                'resumed run: sent / delivered',
                `${fmt.count(second.report?.sent)} / ${fmt.count(second.report?.delivered)}`,
              ],
              ['resumed run: events/s (as it reports)', fmt.rate(second.report?.eventsPerSecond)],
              ['both runs: events/s, process start to exit', fmt.rate(overall)],
              [
                'import process peak RSS, first / resumed run',
                `${fmt.megabytes(first.maxRssBytes)} / ${fmt.megabytes(second.maxRssBytes)}`,
              ],
              ['events stored (DuckDB, after SIGTERM)', fmt.count(storedEvents)],
            ],
          },
        ],
        targets,
        raw: {
          rows,
          fileBytes,
          first,
          second,
          storedEvents,
          overall,
          storedTables: stored.result?.tables,
        },
      }
    } finally {
      rmSync(workDir, { recursive: true, force: true })
    }
  },
}
