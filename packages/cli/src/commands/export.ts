/**
 * @module `ampkit export --start … --end …`: raw events of the Export API (selected by upload hour,
 * UTC) streamed to NDJSON (optionally gzipped), CSV or Parquet, into one file, standard output, or
 * one file per upload hour or day (`--split-by`). Memory stays flat: records flow from the HTTP body
 * through the zip and gzip readers to the file with backpressure all the way.
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { exportHourOption } from '../export/export-hours.ts'
import { ExportProgress } from '../export/export-progress.ts'
import {
  EXPORT_FORMATS,
  type ExportFormat,
  openRecordWriter,
  type RecordWriter,
} from '../export/record-writers.ts'
import { createQueryClient, QUERY_TARGET_ARGS } from '../query-target.ts'

const SPLITS = ['hour', 'day'] as const

/** The format an output name implies (`.csv`, `.parquet`, `.ndjson`/`.jsonl`/`.json`, `+ .gz`). */
function formatOfName(name: string): { format?: ExportFormat; gzip: boolean } {
  const gzip = name.endsWith('.gz')
  const base = gzip ? name.slice(0, -3) : name
  if (base.endsWith('.csv')) return { format: 'csv', gzip }
  if (base.endsWith('.parquet')) return { format: 'parquet', gzip }
  if (/\.(ndjson|jsonl|json)$/.test(base)) return { format: 'ndjson', gzip }
  return { gzip }
}

/** The split key of a record: its upload day or hour (`server_upload_time` is `YYYY-MM-DD HH:…`). */
function splitKey(record: Record<string, unknown>, by: 'hour' | 'day'): string {
  const uploaded = String(record.server_upload_time ?? '')
  return by === 'day' ? uploaded.slice(0, 10) : `${uploaded.slice(0, 10)}T${uploaded.slice(11, 13)}`
}

export const exportCommand = defineCommand({
  meta: {
    name: 'export',
    description: 'Export raw events (by upload hour, UTC) to NDJSON, CSV or Parquet',
    examples: [
      'ampkit export --start 2024-07-14 --end 2024-07-14 --out events.ndjson.gz',
      'ampkit export --start 20240714T00 --end 20240714T05 --format csv > events.csv',
      'ampkit export --start 2024-07-01 --end 2024-07-31 --out july/ --split-by day --format parquet',
    ],
  },
  args: {
    start: {
      type: 'string',
      description: 'First upload hour: YYYYMMDDTHH, YYYY-MM-DDTHH or a day (required)',
      valueHint: 'HOUR',
    },
    end: {
      type: 'string',
      description: 'Last upload hour, inclusive (a day means through its 23:00 hour) (required)',
      valueHint: 'HOUR',
    },
    out: {
      type: 'string',
      description: 'Output file, or directory with --split-by (default: standard output)',
      valueHint: 'PATH',
      short: 'o',
    },
    format: {
      type: 'string',
      description: 'ndjson, csv or parquet (default: from --out, else ndjson)',
      valueHint: 'FORMAT',
    },
    gzip: { type: 'boolean', description: 'Gzip NDJSON or CSV output (default: from a .gz name)' },
    'split-by': {
      type: 'string',
      description: 'One file per upload hour or day in the --out directory',
      valueHint: 'hour|day',
    },
    json: { type: 'boolean', description: 'Print a JSON summary on stdout when done' },
    quiet: { type: 'boolean', description: 'No progress on stderr', short: 'q' },
    ...QUERY_TARGET_ARGS,
  },
  async run({ args, out, err, signal, cwd, isTTY, stdout }) {
    if (args.start === undefined || args.end === undefined)
      throw usageError('--start and --end are required')
    const start = exportHourOption(args.start, 'start', 'first')
    const end = exportHourOption(args.end, 'end', 'last')
    if (end < start) throw usageError('--end is before --start')
    const split = args['split-by']
    if (split !== undefined && !(SPLITS as readonly string[]).includes(split))
      throw usageError(`--split-by takes hour or day, got '${split}'`)
    const named =
      args.out === undefined || split !== undefined ? { gzip: false } : formatOfName(args.out)
    const formatText = args.format ?? named.format ?? 'ndjson'
    if (!(EXPORT_FORMATS as readonly string[]).includes(formatText))
      throw usageError(`--format takes ${EXPORT_FORMATS.join(', ')}, got '${formatText}'`)
    const format = formatText as ExportFormat
    const gzip = args.gzip || named.gzip
    if (format === 'parquet' && gzip) throw usageError('Parquet is compressed already: drop --gzip')
    if (args.out === undefined && (format === 'parquet' || split !== undefined))
      throw usageError(`${split !== undefined ? '--split-by' : 'Parquet'} needs --out`)
    if (args.out === undefined && args.json)
      throw usageError('--json prints a summary on stdout, which the events use without --out')

    const api = createQueryClient(args, process.env, cwd, err)
    const progress = args.quiet ? undefined : new ExportProgress({ err, isTTY })
    const counts = { events: 0, bytes: 0, files: 0 }
    const outPath = args.out === undefined ? undefined : resolve(cwd, args.out)
    const extension = `${format}${gzip ? '.gz' : ''}`
    const writers = new Map<string, RecordWriter>()
    let current: RecordWriter | undefined
    let currentKey: string | undefined
    if (split !== undefined && outPath !== undefined) await mkdir(outPath, { recursive: true })
    const writerFor = async (key: string): Promise<RecordWriter> => {
      if (key === currentKey && current !== undefined) return current
      await current?.suspend()
      let writer = writers.get(key)
      if (writer === undefined) {
        const path = split === undefined ? outPath : join(outPath as string, `${key}.${extension}`)
        writer = openRecordWriter(format, path, { gzip, stdout })
        writers.set(key, writer)
      }
      current = writer
      currentKey = key
      return writer
    }
    const options = {
      start,
      end,
      signal,
      onProgress: (p: { bytes: number; files: number; events: number }) => {
        counts.bytes = p.bytes
        counts.files = p.files
        progress?.update({ ...counts, events: counts.events })
      },
    }
    try {
      if (split === undefined) {
        const writer = openRecordWriter(format, outPath, { gzip, stdout })
        writers.set('', writer)
        if (!writer.needsRecord) {
          // The fast path: whole NDJSON blocks, never parsed.
          for await (const block of api.exportNdjson(options)) {
            await writer.writeBlock(block)
            for (let i = block.indexOf(10); i !== -1; i = block.indexOf(10, i + 1)) counts.events++
            progress?.update(counts)
          }
        } else {
          for await (const record of api.exportEvents(options)) {
            await writer.write(JSON.stringify(record), record)
            counts.events++
            if ((counts.events & 1023) === 0) progress?.update(counts)
          }
        }
      } else {
        for await (const record of api.exportEvents(options)) {
          const writer = await writerFor(splitKey(record, split as 'hour' | 'day'))
          await writer.write(JSON.stringify(record), record)
          counts.events++
          if ((counts.events & 1023) === 0) progress?.update(counts)
        }
      }
    } finally {
      for (const writer of writers.values()) await writer.close()
    }
    progress?.update(counts, true)
    if (args.json) {
      out(
        JSON.stringify({
          start,
          end,
          events: counts.events,
          files: split === undefined ? 1 : writers.size,
          format,
          gzip,
          out: outPath ?? null,
        }),
      )
    }
    return 0
  },
})
