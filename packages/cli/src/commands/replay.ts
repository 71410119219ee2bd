/**
 * @module `ampkit replay FILE…`: re-sends the events a client wrote to its dead-letter file
 * (`deadLetter: { file }` in `@ampkit/node`), each with its original `insert_id` and `time`, so that
 * Amplitude de-duplicates anything that did arrive before. Events that fail again are reported by
 * reason; the files are left as they are.
 */
import { resolve } from 'node:path'
import { createInstance, type DropReason, type ReplayReport, replayDeadLetters } from '@ampkit/node'
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'

const ZONES = ['US', 'EU'] as const

function environmentForSending(): Record<string, string | undefined> {
  // The CLI sends because the user asked it to: the client's test-mode switch (NODE_ENV=test)
  // protects test suites that embed the library, not an explicit command.
  const { NODE_ENV: _node, ENV: _env, ...rest } = process.env
  return rest
}

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
    'api-key': {
      type: 'string',
      description: 'Project API key (default: $AMPLITUDE_API_KEY)',
      valueHint: 'KEY',
    },
    'server-zone': { type: 'string', description: 'US or EU (default: US)', valueHint: 'ZONE' },
    'server-url': {
      type: 'string',
      description: 'Ingestion URL, e.g. http://127.0.0.1:8250/2/httpapi (overrides the zone)',
      valueHint: 'URL',
    },
    batch: { type: 'boolean', description: 'Send through the Batch API (/batch)' },
    reasons: {
      type: 'string',
      description: 'Only lines with these failure reasons, comma-separated (default: all)',
      valueHint: 'LIST',
    },
    json: { type: 'boolean', description: 'Print the report as JSON' },
  },
  async run({ args, positionals, out, cwd }) {
    const zone = args['server-zone']?.toUpperCase()
    if (zone !== undefined && !(ZONES as readonly string[]).includes(zone))
      throw usageError(`--server-zone must be US or EU, got '${args['server-zone']}'`)
    const reasons =
      args.reasons === undefined
        ? undefined
        : (args.reasons.split(',').map((r) => r.trim()) as DropReason[])
    const client = createInstance()
    const apiKey = args['api-key'] ?? process.env.AMPLITUDE_API_KEY
    if (apiKey === undefined || apiKey === '')
      throw usageError('an API key is needed: --api-key KEY or AMPLITUDE_API_KEY')
    await client.init(apiKey, {
      env: environmentForSending(),
      ...(args['server-url'] !== undefined && { serverUrl: args['server-url'] }),
      ...(zone !== undefined && { serverZone: zone as (typeof ZONES)[number] }),
      useBatch: args.batch,
      exitHooks: false,
    }).promise
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
