/**
 * @module What a scenario is: a self-contained section of `npm run bench` that says whether it can run
 * yet (its package may still be in progress), runs its workers, and returns tables, target checks and
 * raw numbers. New scenarios (outbox, import/export) are added by writing one module and listing it in
 * `scenarios/index.ts`.
 */
import type { BenchSettings } from '../lib/settings.ts'
import type { SinkProcess } from '../lib/sink-process.ts'
import type { Table } from '../lib/table.ts'

export interface BenchContext {
  settings: BenchSettings
  /** The shared sink process, started on first use. */
  sink(): Promise<SinkProcess>
  /** Progress lines, to stderr, so stdout stays the report. */
  progress(line: string): void
  /** Raw results of scenarios that already ran in this invocation (e.g. burst → memory). */
  earlier: Map<string, unknown>
}

export type TargetStatus = 'PASS' | 'FAIL' | 'N/A'

export interface TargetCheck {
  /** Short id, e.g. `ampkit/floor @200k`. */
  id: string
  /** The issue that sets it. */
  issue: number
  target: string
  measured: string
  status: TargetStatus
  note?: string
}

export interface ScenarioOutcome {
  tables: Table[]
  targets: TargetCheck[]
  raw: unknown
}

export interface Scenario {
  /** The command-line name (`npm run bench -- <name>`). */
  name: string
  title: string
  /** `undefined` when runnable, else why it is skipped (printed, and recorded in the JSON). */
  unavailable(context: BenchContext): Promise<string | undefined>
  run(context: BenchContext): Promise<ScenarioOutcome>
}

/** A check where lower is better. */
export function atMost(
  id: string,
  issue: number,
  measured: number | undefined,
  limit: number,
  render: (value: number) => string,
  note?: string,
): TargetCheck {
  return {
    id,
    issue,
    target: `≤ ${render(limit)}`,
    measured: measured === undefined ? '—' : render(measured),
    status: measured === undefined ? 'N/A' : measured <= limit ? 'PASS' : 'FAIL',
    ...(note === undefined ? {} : { note }),
  }
}

/** A check where higher is better. */
export function atLeast(
  id: string,
  issue: number,
  measured: number | undefined,
  limit: number,
  render: (value: number) => string,
  note?: string,
): TargetCheck {
  return {
    id,
    issue,
    target: `≥ ${render(limit)}`,
    measured: measured === undefined ? '—' : render(measured),
    status: measured === undefined ? 'N/A' : measured >= limit ? 'PASS' : 'FAIL',
    ...(note === undefined ? {} : { note }),
  }
}
