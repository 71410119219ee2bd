/**
 * @module `npm run bench [-- <scenario>...]`: runs the scenarios (all by default), prints a table per
 * section and a targets summary with PASS/FAIL, and writes every raw number to
 * `bench/results/latest.json`. Nothing here asserts: a failed target is reported, the exit code stays 0
 * unless the harness itself broke.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { fromSource } from './lib/child.ts'
import { readSettings } from './lib/settings.ts'
import { type SinkProcess, startSink } from './lib/sink-process.ts'
import { renderTable, type Table } from './lib/table.ts'
import { scenarios } from './scenarios/index.ts'
import type { BenchContext, TargetCheck } from './scenarios/scenario.ts'

interface SectionRecord {
  name: string
  title: string
  status: 'ran' | 'skipped' | 'failed'
  reason?: string
  seconds?: number
  raw?: unknown
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'))
  const unknown = requested.filter((name) => !scenarios.some((scenario) => scenario.name === name))
  if (unknown.length > 0) {
    console.error(
      `bench: unknown scenario ${unknown.join(', ')}; choose from ${scenarios.map((s) => s.name).join(', ')}`,
    )
    process.exitCode = 2
    return
  }
  const selected =
    requested.length === 0 ? scenarios : scenarios.filter((s) => requested.includes(s.name))
  const settings = readSettings()
  let sink: Promise<SinkProcess> | undefined
  const context: BenchContext = {
    settings,
    sink: () => {
      sink ??= startSink()
      return sink
    },
    progress: (line) =>
      process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`),
    earlier: new Map(),
  }
  const machine = `${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 1_073_741_824)} GB, Node ${process.version}`
  console.log(
    `ampkit bench — ${settings.quick ? 'BENCH_QUICK (reduced sizes; targets are judged on the full run)' : 'full run'}`,
  )
  console.log(
    `machine: ${machine}; packages from ${fromSource ? 'TypeScript sources (BENCH_SOURCE=1)' : 'dist'}`,
  )

  // The machine may be shared (other builds and test suites): the load average tells how much the
  // figures below can be trusted; it is printed at the start and the end and kept in the JSON.
  const loadAtStart = loadavg()
  console.log(`load average at start: ${loadAtStart.map((value) => value.toFixed(2)).join(' ')}`)
  const sections: SectionRecord[] = []
  const targets: TargetCheck[] = []
  const startedAt = performance.now()
  try {
    for (const scenario of selected) {
      const reason = await scenario.unavailable(context)
      if (reason !== undefined) {
        console.log(`\n== ${scenario.title} ==\n  skipped: ${reason}`)
        sections.push({ name: scenario.name, title: scenario.title, status: 'skipped', reason })
        continue
      }
      const sectionStart = performance.now()
      try {
        const outcome = await scenario.run(context)
        context.earlier.set(scenario.name, outcome.raw)
        for (const table of outcome.tables) console.log(renderTable(table))
        targets.push(...outcome.targets)
        sections.push({
          name: scenario.name,
          title: scenario.title,
          status: 'ran',
          seconds: (performance.now() - sectionStart) / 1_000,
          raw: outcome.raw,
        })
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
        console.log(`\n== ${scenario.title} ==\n  FAILED: ${message}`)
        sections.push({
          name: scenario.name,
          title: scenario.title,
          status: 'failed',
          reason: message,
        })
      }
    }
  } finally {
    if (sink !== undefined) await (await sink).stop()
  }

  const summary: Table = {
    title: 'Targets',
    columns: ['target', 'issue', 'wanted', 'measured', 'result', 'note'],
    rows: targets.map((t) => [t.id, `#${t.issue}`, t.target, t.measured, t.status, t.note ?? '']),
    notes: [
      `total bench time ${((performance.now() - startedAt) / 1_000).toFixed(0)} s; load average at end: ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')} (${cpus().length} CPUs)`,
    ],
  }
  console.log(renderTable(summary))

  const resultsDir = new URL('./results/', import.meta.url)
  mkdirSync(resultsDir, { recursive: true })
  const file = new URL('latest.json', resultsDir)
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        machine,
        loadAverage: { start: loadAtStart, end: loadavg() },
        fromSource,
        settings: { ...settings, apiKey: undefined },
        sections,
        targets,
      },
      null,
      2,
    )}\n`,
  )
  console.log(`\nraw numbers: bench/results/latest.json`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
