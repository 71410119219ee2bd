/**
 * @module `ampkit query segmentation|funnel|retention|users`: the Dashboard REST API (query-api.md §3)
 * from the terminal, printed as a table with a sparkline per series (default), CSV or the API's JSON.
 * Events are given by type (`'Play Song'`, `_active`) or as a JSON event object with filters and
 * group-bys; segments as the API's JSON.
 */
import {
  FUNNEL_MODES,
  type FunnelMode,
  SEGMENTATION_METRICS,
  type SegmentationMetric,
  type WireEventObject,
  type WireSegment,
} from '@ampkit/protocol'
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { renderFunnel, renderRetention, renderTimeSeries } from '../output/query-render.ts'
import { createQueryClient, QUERY_TARGET_ARGS } from '../query-target.ts'

const KINDS = ['segmentation', 'funnel', 'retention', 'users'] as const
const INTERVALS = { day: 1, week: 7, month: 30, hour: -3600000 } as const
const FORMATS = ['table', 'csv', 'json'] as const

/** An event option: a JSON event object, or an event type. */
function eventOf(text: string, option: string): string | WireEventObject {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{')) return trimmed
  try {
    const value = JSON.parse(trimmed) as WireEventObject
    if (typeof value.event_type !== 'string') throw new Error('no event_type')
    return value
  } catch {
    throw usageError(`--${option}: not a valid event object (JSON with "event_type")`)
  }
}

const eventName = (event: string | WireEventObject) =>
  typeof event === 'string' ? event : event.event_type

/** `--window` as seconds: a number of seconds or `30m`, `12h`, `7d`. */
export function windowSeconds(text: string): number {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim())
  if (match === null)
    throw usageError(`--window takes seconds or a duration like 30m, 12h, 7d; got '${text}'`)
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}

function segmentsOf(texts: readonly string[]): WireSegment[] {
  return texts.map((text) => {
    try {
      const value = JSON.parse(text) as unknown
      if (!Array.isArray(value)) throw new Error('not an array')
      return value as WireSegment
    } catch {
      throw usageError('--segment takes the API\u2019s JSON: an array of conditions')
    }
  })
}

export const queryCommand = defineCommand({
  meta: {
    name: 'query',
    description: 'Run segmentation, funnel, retention and users queries',
    examples: [
      "ampkit query segmentation --event 'Play Song' --metric uniques --start 2024-07-01 --end 2024-07-31",
      "ampkit query funnel --step Search --step 'View Item' --step Purchase --window 1d --start 2024-07-01 --end 2024-07-31",
      'ampkit query retention --start-event _new --return-event _active --start 2024-07-01 --end 2024-07-14',
      'ampkit query users --metric new --interval week --start 2024-06-01 --end 2024-07-31 --format csv',
    ],
  },
  positionals: { name: 'segmentation|funnel|retention|users', description: 'The query', min: 1 },
  args: {
    start: {
      type: 'string',
      description: 'First day, YYYY-MM-DD or YYYYMMDD (required)',
      valueHint: 'DAY',
    },
    end: { type: 'string', description: 'Last day, inclusive (required)', valueHint: 'DAY' },
    interval: {
      type: 'string',
      description: 'day, week, month or hour (default: day)',
      valueHint: 'I',
    },
    event: {
      type: 'string',
      description: 'segmentation: the event (type or JSON object)',
      valueHint: 'EVENT',
    },
    event2: { type: 'string', description: 'segmentation: a second event', valueHint: 'EVENT' },
    metric: {
      type: 'string',
      description: 'segmentation: uniques, totals, pct_dau, average, …; users: active or new',
      valueHint: 'M',
    },
    formula: { type: 'string', description: 'segmentation: with --metric formula', valueHint: 'F' },
    step: { type: 'strings', description: 'funnel: a step (repeat, in order)', valueHint: 'EVENT' },
    mode: {
      type: 'string',
      description: 'funnel: ordered, unordered, sequential; retention: n-day, rolling, bracket',
      valueHint: 'MODE',
    },
    window: {
      type: 'string',
      description: 'funnel: conversion window, seconds or 30m/12h/7d (default: 30d)',
      valueHint: 'DURATION',
    },
    new: { type: 'boolean', description: 'funnel: only users new in the range' },
    'start-event': {
      type: 'string',
      description: 'retention: start event (_new, _active, a type, JSON)',
      valueHint: 'EVENT',
    },
    'return-event': {
      type: 'string',
      description: 'retention: return event (_all, _active, a type, JSON)',
      valueHint: 'EVENT',
    },
    brackets: {
      type: 'string',
      description: 'retention: with --mode bracket, e.g. [[0,1],[1,7]]',
      valueHint: 'JSON',
    },
    segment: {
      type: 'strings',
      description: 'A segment as the API\u2019s JSON (repeat for several)',
      valueHint: 'JSON',
    },
    'group-by': {
      type: 'string',
      description: 'User property to group by (gp:name for custom ones)',
      valueHint: 'PROP',
    },
    limit: {
      type: 'string',
      description: 'Most groups returned (1–1000, default 100)',
      valueHint: 'N',
    },
    format: {
      type: 'string',
      description: 'table, csv or json (default: table)',
      valueHint: 'FORMAT',
    },
    json: { type: 'boolean', description: 'Same as --format json' },
    ...QUERY_TARGET_ARGS,
  },
  async run({ args, positionals, out, err, cwd, signal }) {
    const [kind, ...extra] = positionals
    if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}'`)
    if (!(KINDS as readonly string[]).includes(kind as string))
      throw usageError(`query takes ${KINDS.join(', ')}, got '${kind}'`)
    if (args.start === undefined || args.end === undefined)
      throw usageError('--start and --end are required')
    const format = args.json ? 'json' : (args.format ?? 'table')
    if (!(FORMATS as readonly string[]).includes(format))
      throw usageError(`--format takes ${FORMATS.join(', ')}, got '${format}'`)
    const intervalName = args.interval ?? 'day'
    if (!Object.hasOwn(INTERVALS, intervalName))
      throw usageError(
        `--interval takes ${Object.keys(INTERVALS).join(', ')}, got '${intervalName}'`,
      )
    const interval = INTERVALS[intervalName as keyof typeof INTERVALS]
    const limit = args.limit === undefined ? undefined : Number(args.limit)
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000))
      throw usageError(`--limit takes 1 to 1000, got '${args.limit}'`)
    const range = {
      start: args.start.replaceAll('-', ''),
      end: args.end.replaceAll('-', ''),
      ...(args.segment.length > 0 && { segments: segmentsOf(args.segment) }),
      signal,
    }
    const groupBy = args['group-by']
    const api = createQueryClient(args, process.env, cwd, err)
    const print = (lines: readonly string[]) => {
      for (const line of lines) out(line)
    }
    const table = format === 'csv' ? 'csv' : 'table'

    if (kind === 'segmentation') {
      if (args.event === undefined) throw usageError('segmentation needs --event')
      const metric = args.metric ?? 'uniques'
      if (!(SEGMENTATION_METRICS as readonly string[]).includes(metric))
        throw usageError(`--metric takes ${SEGMENTATION_METRICS.join(', ')}, got '${metric}'`)
      const event = eventOf(args.event, 'event')
      const event2 = args.event2 === undefined ? undefined : eventOf(args.event2, 'event2')
      const answer = await api.segmentation({
        ...range,
        event,
        ...(event2 !== undefined && { secondEvent: event2 }),
        metric: metric as SegmentationMetric,
        ...(args.formula !== undefined && { formula: args.formula }),
        interval,
        ...(groupBy !== undefined && { groupBy }),
        ...(limit !== undefined && { limit }),
      })
      if (format === 'json') out(JSON.stringify(answer))
      else {
        const names = [eventName(event), ...(event2 === undefined ? [] : [eventName(event2)])]
        print(
          renderTimeSeries(
            answer.data,
            (k) => names[answer.data.seriesMeta?.[k]?.eventIndex ?? k] ?? `series ${k}`,
            table,
          ),
        )
      }
      return 0
    }
    if (kind === 'funnel') {
      if (args.step.length < 2) throw usageError('funnel needs at least two --step')
      const mode = args.mode ?? 'ordered'
      if (!(FUNNEL_MODES as readonly string[]).includes(mode))
        throw usageError(`--mode takes ${FUNNEL_MODES.join(', ')} for a funnel, got '${mode}'`)
      const answer = await api.funnels({
        ...range,
        steps: args.step.map((s, i) => eventOf(s, `step #${i + 1}`)),
        mode: mode as FunnelMode,
        userType: args.new ? 'new' : 'active',
        ...(args.window !== undefined && { conversionWindowSeconds: windowSeconds(args.window) }),
        ...(interval !== -3600000 && { interval }),
        ...(groupBy !== undefined && { groupBy }),
        ...(limit !== undefined && { limit }),
      })
      if (format === 'json') out(JSON.stringify(answer))
      else print(renderFunnel(answer.data, table))
      return 0
    }
    if (kind === 'retention') {
      if (args['start-event'] === undefined || args['return-event'] === undefined)
        throw usageError('retention needs --start-event and --return-event')
      const mode = args.mode ?? 'n-day'
      if (mode !== 'n-day' && mode !== 'rolling' && mode !== 'bracket')
        throw usageError(`--mode takes n-day, rolling or bracket for retention, got '${mode}'`)
      let brackets: [number, number][] | undefined
      if (mode === 'bracket') {
        if (args.brackets === undefined)
          throw usageError('--mode bracket needs --brackets, e.g. [[0,1],[1,7]]')
        try {
          brackets = JSON.parse(args.brackets) as [number, number][]
        } catch {
          throw usageError('--brackets takes JSON, e.g. [[0,1],[1,7]]')
        }
      }
      if (interval === -3600000) throw usageError('retention takes --interval day, week or month')
      const answer = await api.retention({
        ...range,
        startEvent: eventOf(args['start-event'], 'start-event'),
        returnEvent: eventOf(args['return-event'], 'return-event'),
        mode,
        ...(brackets !== undefined && { brackets }),
        interval,
        ...(groupBy !== undefined && { groupBy }),
      })
      if (format === 'json') out(JSON.stringify(answer))
      else print(renderRetention(answer.data, table))
      return 0
    }
    const metric = args.metric ?? 'active'
    if (metric !== 'active' && metric !== 'new')
      throw usageError(`users takes --metric active or new, got '${metric}'`)
    if (interval === -3600000) throw usageError('users takes --interval day, week or month')
    const answer = await api.users({
      ...range,
      metric,
      interval,
      ...(groupBy !== undefined && { groupBy }),
    })
    if (format === 'json') out(JSON.stringify(answer))
    else print(renderTimeSeries(answer.data, () => `${metric} users`, table))
    return 0
  },
})
