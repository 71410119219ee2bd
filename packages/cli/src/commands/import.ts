/**
 * @module `ampkit import FILE…`: backfills NDJSON, JSON arrays or CSV (with a column mapping)
 * through the Batch API, with deterministic insert_ids, per-id pacing, checkpoints and progress. The
 * engine is `import/import-run.ts`; this file maps options to it and prints the report.
 */
import { resolve } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { createTargetClient, resolveTarget, TARGET_ARGS } from '../amplitude-target.ts'
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { defaultCheckpointPath } from '../import/checkpoint.ts'
import { parseMapRules, type UnmappedPolicy } from '../import/csv-mapping.ts'
import { IdPacer } from '../import/id-pacer.ts'
import { type FileReport, type ImportInput, runImport } from '../import/import-run.ts'
import { INPUT_FORMATS, type InputFormat } from '../import/input-format.ts'
import { ProgressReporter } from '../import/progress.ts'

function positiveInteger(
  option: string,
  text: string | undefined,
  fallback: number,
  min = 1,
): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < min)
    throw usageError(`--${option} must be an integer >= ${min}, got '${text}'`)
  return value
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal })
  } catch {
    // Aborted: the caller checks the signal.
  }
}

const number = new Intl.NumberFormat('en-US')

function describeFile(report: FileReport, dryRun: boolean): string {
  if (report.alreadyComplete)
    return `${report.file}: already imported (checkpoint complete; --restart to send again)`
  const parts = [`${number.format(report.rows)} rows`]
  if (dryRun) parts.push(`${number.format(report.valid)} valid`)
  else
    parts.push(
      `${number.format(report.sent)} sent`,
      `${number.format(report.delivered)} delivered`,
      `${number.format(report.failed)} failed`,
    )
  parts.push(`${number.format(report.invalid)} invalid`)
  const failures = Object.entries(report.failures)
  if (failures.length > 0)
    parts.push(`failures: ${failures.map(([r, n]) => `${r} ${n}`).join(', ')}`)
  if (report.resumedRows > 0)
    parts.push(`${number.format(report.resumedRows)} rows done before (resumed)`)
  if (report.error !== undefined) parts.push(`error: ${report.error}`)
  return `${report.file}: ${parts.join(', ')}`
}

export const importCommand = defineCommand({
  meta: {
    name: 'import',
    description: 'Backfill events from NDJSON, JSON or CSV files through the Batch API',
    examples: [
      'ampkit import events.ndjson.gz --api-key KEY',
      'ampkit import dump.csv --map event_type=type,user_id=uid,time=ts,event_properties.*=prop_*',
      'ampkit import events.json --dry-run',
      'ampkit import big.ndjson --server-url http://127.0.0.1:8250/batch --checkpoint big.ckpt.json',
    ],
  },
  positionals: {
    name: 'FILE…',
    description: 'Input files: NDJSON, a JSON array or CSV; gzip is read transparently',
    min: 1,
  },
  args: {
    format: {
      type: 'string',
      description: 'ndjson, json or csv (default: from the extension, else the first character)',
      valueHint: 'FORMAT',
    },
    map: {
      type: 'strings',
      description:
        'CSV mapping TARGET=COLUMN,… (TARGET: event field or event_properties.KEY, user_properties.KEY, groups.KEY; * maps a family: event_properties.*=prop_*)',
      valueHint: 'RULES',
    },
    unmapped: {
      type: 'string',
      description: 'CSV columns no rule maps: properties (event properties) or ignore',
      default: 'properties',
      valueHint: 'POLICY',
    },
    'no-infer': {
      type: 'boolean',
      description:
        'Keep CSV property cells as strings (default: true/false and plain numbers are typed)',
    },
    namespace: {
      type: 'string',
      description:
        'Mixed into derived insert_ids; change it to import identical rows again as new events',
      default: 'ampkit-import',
      valueHint: 'NS',
    },
    'dry-run': { type: 'boolean', description: 'Only validate and report bad rows; send nothing' },
    'skip-invalid': {
      type: 'boolean',
      description: 'Exit 0 even when rows were invalid (they are skipped either way)',
    },
    checkpoint: {
      type: 'string',
      description:
        'One checkpoint file for all inputs (default: FILE.ampkit-checkpoint.json next to each input)',
      valueHint: 'FILE',
    },
    'no-checkpoint': { type: 'boolean', description: 'Neither read nor write checkpoints' },
    restart: {
      type: 'boolean',
      description: 'Ignore existing checkpoints and start from the first row',
    },
    'per-id-rate': {
      type: 'string',
      description: 'Events/s per user_id and per device_id (Batch API limit: 1000)',
      default: '1000',
      valueHint: 'N',
    },
    rate: { type: 'string', description: 'Events/s overall (default: no limit)', valueHint: 'N' },
    'max-pending': {
      type: 'string',
      description: 'Events handed to the client and not yet delivered before reading pauses',
      default: '20000',
      valueHint: 'N',
    },
    'abort-timeout-ms': {
      type: 'string',
      description:
        'On Ctrl+C, how long to deliver what is queued before writing the checkpoint (ms)',
      default: '10000',
      valueHint: 'MS',
    },
    'max-reports': {
      type: 'string',
      description: 'Bad rows and failed events listed on stderr at most (the rest are counted)',
      default: '100',
      valueHint: 'N',
    },
    'progress-interval-ms': {
      type: 'string',
      description: 'Plain progress lines this often when stderr is not a terminal (ms)',
      default: '5000',
      valueHint: 'MS',
    },
    ...TARGET_ARGS,
    json: { type: 'boolean', description: 'Print the report as JSON' },
  },
  async run({ args, positionals, out, err, signal, cwd, isTTY }) {
    const format = args.format?.toLowerCase()
    if (format !== undefined && !(INPUT_FORMATS as readonly string[]).includes(format))
      throw usageError(`--format must be one of ${INPUT_FORMATS.join(', ')}, got '${args.format}'`)
    if (args.unmapped !== 'properties' && args.unmapped !== 'ignore')
      throw usageError(`--unmapped must be properties or ignore, got '${args.unmapped}'`)
    const mapRules = parseMapRules(args.map)
    const perIdRate = positiveInteger('per-id-rate', args['per-id-rate'], 1000)
    const rate = positiveInteger('rate', args.rate, 0, 0)
    const maxPending = positiveInteger('max-pending', args['max-pending'], 20_000)
    const abortTimeoutMs = positiveInteger('abort-timeout-ms', args['abort-timeout-ms'], 10_000, 0)
    const maxReports = positiveInteger('max-reports', args['max-reports'], 100, 0)
    const progressIntervalMs = positiveInteger(
      'progress-interval-ms',
      args['progress-interval-ms'],
      5000,
    )
    const dryRun = args['dry-run']
    const useCheckpoints = !dryRun && !args['no-checkpoint']
    const shared = args.checkpoint === undefined ? undefined : resolve(cwd, args.checkpoint)
    const inputs: ImportInput[] = positionals.map((file) => {
      const path = resolve(cwd, file)
      return {
        path,
        name: file,
        ...(useCheckpoints && { checkpointPath: shared ?? defaultCheckpointPath(path) }),
      }
    })
    // Resolve the target before reading anything, so a missing key fails at once.
    const client = dryRun
      ? undefined
      : await createTargetClient(resolveTarget(args, process.env, cwd, err), {
          useBatch: true,
          // A backfill is one long burst: send full batches as soon as they fill, the tail soon.
          flushIntervalMillis: 200,
          maxQueuedEvents: Math.max(maxPending * 2, 10_000),
          logLevel: 0,
        })
    const progress = new ProgressReporter({ err, isTTY, intervalMs: progressIntervalMs })
    let reported = 0
    let unreported = 0
    const result = await runImport({
      inputs,
      ...(format !== undefined && { format: format as InputFormat }),
      mapRules,
      unmapped: args.unmapped as UnmappedPolicy,
      inferTypes: !args['no-infer'],
      namespace: args.namespace,
      ...(client !== undefined && { client }),
      restart: args.restart,
      pacer: new IdPacer({ perIdRate, totalRate: rate }),
      maxPendingEvents: maxPending,
      abortTimeoutMs,
      checkpointIntervalMs: 1000,
      signal,
      progress,
      report(kind, file, line, message) {
        if (reported >= maxReports) {
          unreported++
          return
        }
        reported++
        progress.noteOtherOutput()
        const where = line > 0 ? `${file}:${line}` : file
        err(
          `${where}: ${kind === 'invalid' ? 'invalid row' : kind === 'failed' ? 'not delivered' : 'error'}: ${message}`,
        )
      },
      sleep,
      now: Date.now,
    })
    if (unreported > 0)
      err(`… and ${number.format(unreported)} more bad rows or failures (counted above)`)
    const sum = (key: 'rows' | 'invalid' | 'delivered' | 'failed' | 'sent') =>
      result.files.reduce((n, f) => n + f[key], 0)
    const eventsPerSecond = Math.round(sum('delivered') / Math.max(result.elapsedMs / 1000, 0.001))
    const checkpointFiles = [
      ...new Set(inputs.map((i) => i.checkpointPath).filter((p) => p !== undefined)),
    ]
    if (args.json)
      out(
        JSON.stringify({
          dryRun,
          aborted: result.aborted,
          files: result.files,
          rows: sum('rows'),
          invalid: sum('invalid'),
          sent: sum('sent'),
          delivered: sum('delivered'),
          failed: sum('failed'),
          elapsedMs: result.elapsedMs,
          eventsPerSecond,
          checkpoints: checkpointFiles,
        }),
      )
    else {
      for (const file of result.files) out(describeFile(file, dryRun))
      if (dryRun)
        out(
          `dry run: ${number.format(sum('rows'))} rows checked, ${number.format(sum('invalid'))} invalid, nothing sent`,
        )
      else
        out(
          `${number.format(sum('delivered'))} events delivered in ${(result.elapsedMs / 1000).toFixed(1)} s (${number.format(eventsPerSecond)} events/s)`,
        )
    }
    if (result.aborted) {
      err(
        checkpointFiles.length > 0
          ? `interrupted: checkpoint written (${checkpointFiles.join(', ')}); run the same command again to resume`
          : 'interrupted',
      )
      return 130
    }
    const fileErrors = result.files.some((f) => f.error !== undefined)
    if (fileErrors || sum('failed') > 0) return 1
    if (sum('invalid') > 0 && !args['skip-invalid']) return 1
    return 0
  },
})
