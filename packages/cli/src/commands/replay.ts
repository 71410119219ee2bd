/**
 * @module `ampkit replay FILE…`: re-sends the events a client wrote to its dead-letter file
 * (`deadLetter: { file }` in `@ampkit/node`), each with its original `insert_id` and `time`, so that
 * Amplitude de-duplicates anything that did arrive before. Events that fail again are reported by
 * reason; the files are left as they are.
 */
import { resolve } from 'node:path'
import { type DropReason, type ReplayReport, replayDeadLetters } from '@ampkit/node'
import { createTargetClient, resolveTarget, TARGET_ARGS } from '../amplitude-target.ts'
import { defineCommand } from '../command.ts'

export const replayCommand = defineCommand({
  meta: {
    name: 'replay',
    description: 'Re-send events from dead-letter files with their original insert_ids',
    examples: [
      'ampkit replay dead-letters.ndjson --api-key KEY',
      'ampkit replay dl.ndjson --server-url http://127.0.0.1:8250/2/httpapi --reasons retries_exhausted',
    ],
  },
  positionals: {
    name: 'FILE…',
    description: 'Dead-letter NDJSON files written by @ampkit/node',
    min: 1,
  },
  args: {
    ...TARGET_ARGS,
    batch: { type: 'boolean', description: 'Send through the Batch API (/batch)' },
    reasons: {
      type: 'string',
      description: 'Only lines with these failure reasons, comma-separated (default: all)',
      valueHint: 'LIST',
    },
    json: { type: 'boolean', description: 'Print the report as JSON' },
  },
  async run({ args, positionals, out, err, cwd }) {
    const target = resolveTarget(args, process.env, cwd, err)
    const reasons =
      args.reasons === undefined
        ? undefined
        : (args.reasons.split(',').map((r) => r.trim()) as DropReason[])
    const client = await createTargetClient(target, { useBatch: args.batch })
    const reports: { file: string; report: ReplayReport }[] = []
    try {
      for (const file of positionals) {
        const path = resolve(cwd, file)
        const report = await replayDeadLetters(path, client, reasons ? { reasons } : {})
        reports.push({ file, report })
      }
    } finally {
      await client.shutdown({ timeoutMs: 30_000 })
    }
    const failed = reports.reduce((n, r) => n + r.report.failed, 0)
    if (args.json) out(JSON.stringify(reports))
    else
      for (const { file, report } of reports) {
        const failures = Object.entries(report.failures)
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', ')
        out(
          `${file}: ${report.sent} re-sent, ${report.delivered} delivered, ${report.failed} failed` +
            `${failures ? ` (${failures})` : ''}, ${report.skipped} skipped, ${report.malformed} malformed lines`,
        )
      }
    return failed > 0 ? 1 : 0
  },
})
