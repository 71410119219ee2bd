/**
 * @module `ampkit lint FILE…`: checks NDJSON events (exports, dead-letter files, fixtures; gzip read
 * transparently) against the taxonomy rules of `@ampkit/protocol` and, with `--plan`, a tracking
 * plan, streaming line by line. Prints `file:line: severity rule: message` (never the offending
 * value: it may be personal data) and exits 1 when a finding reaches `--fail-on`.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  createNdjsonLinter,
  defineTrackingPlan,
  type LintFinding,
  type NdjsonLintOptions,
  type PlanSpec,
  type RuleLevel,
  TAXONOMY_RULES,
  type TaxonomyRuleId,
} from '@ampkit/protocol'
import { CliError, usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'
import { openInput } from '../import/open-input.ts'
import { readLines } from '../import/records.ts'

const LEVELS = ['error', 'warning', 'info', 'off'] as const
const STYLES = ['pascal', 'title', 'either'] as const
const RANK = { info: 0, warning: 1, error: 2 } as const

async function loadPlan(path: string): Promise<ReturnType<typeof defineTrackingPlan>> {
  let spec: unknown
  try {
    spec = JSON.parse(await readFile(path, 'utf8'))
  } catch (cause) {
    throw new CliError(`--plan: cannot read ${path} as JSON`, { cause })
  }
  const events = (spec as { events?: unknown } | null)?.events
  if (typeof events !== 'object' || events === null || Array.isArray(events))
    throw usageError(
      '--plan: the plan must be a JSON object with "events": { "<event type>": { … } }',
    )
  try {
    return defineTrackingPlan(spec as PlanSpec)
  } catch (cause) {
    throw new CliError(
      `--plan: ${path} is not a valid tracking plan: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
}

function parseRules(values: readonly string[]): Partial<Record<TaxonomyRuleId, RuleLevel>> {
  const rules: Partial<Record<TaxonomyRuleId, RuleLevel>> = {}
  for (const value of values)
    for (const entry of value.split(',')) {
      const [id, level] = entry.trim().split('=')
      if (id === undefined || id === '') continue
      if (!Object.hasOwn(TAXONOMY_RULES, id))
        throw usageError(
          `--rule: unknown rule '${id}' (one of ${Object.keys(TAXONOMY_RULES).join(', ')})`,
        )
      if (level === undefined || !(LEVELS as readonly string[]).includes(level))
        throw usageError(`--rule takes RULE=${LEVELS.join('|')}, got '${entry.trim()}'`)
      rules[id as TaxonomyRuleId] = level as RuleLevel
    }
  return rules
}

export const lintCommand = defineCommand({
  meta: {
    name: 'lint',
    description: 'Check NDJSON events against the taxonomy rules and a tracking plan',
    examples: [
      'ampkit lint events.ndjson',
      'ampkit lint export.ndjson.gz --plan tracking-plan.json --rule pii-email=warning',
    ],
  },
  positionals: { name: 'FILE…', description: 'NDJSON files, one event per line (gzip ok)', min: 1 },
  args: {
    plan: {
      type: 'string',
      description:
        'A tracking plan as JSON: {"events":{"Song Played":{"properties":{"songId":"string"}}}}',
      valueHint: 'FILE',
    },
    'no-taxonomy': { type: 'boolean', description: 'Check only the plan, not the taxonomy rules' },
    'no-unknown-events': {
      type: 'boolean',
      description: 'Do not report event types the plan does not list',
    },
    rule: {
      type: 'strings',
      description: `Severity per rule: RULE=${LEVELS.join('|')} (comma-separated)`,
      valueHint: 'RULE=LEVEL',
    },
    'event-type-style': {
      type: 'string',
      description: 'pascal, title or either',
      default: 'either',
      valueHint: 'STYLE',
    },
    'allow-pii': {
      type: 'strings',
      description: 'Property keys whose personal data is consented',
      valueHint: 'KEY',
    },
    'fail-on': {
      type: 'string',
      description: 'Exit 1 when a finding is at least this severe: error, warning or info',
      default: 'error',
      valueHint: 'LEVEL',
    },
    'max-findings': {
      type: 'string',
      description: 'Findings printed at most (all are counted)',
      default: '1000',
      valueHint: 'N',
    },
    json: { type: 'boolean', description: 'Print findings and counts as JSON' },
  },
  async run({ args, positionals, out, err, cwd, signal }) {
    const style = args['event-type-style']
    if (!(STYLES as readonly string[]).includes(style))
      throw usageError(`--event-type-style must be one of ${STYLES.join(', ')}, got '${style}'`)
    const failOn = args['fail-on']
    if (!(failOn in RANK))
      throw usageError(`--fail-on must be error, warning or info, got '${failOn}'`)
    const maxFindings = Number(args['max-findings'])
    if (!Number.isSafeInteger(maxFindings) || maxFindings < 0)
      throw usageError(`--max-findings must be an integer >= 0, got '${args['max-findings']}'`)
    const options: NdjsonLintOptions = {
      unknownEvents: !args['no-unknown-events'],
      taxonomy: args['no-taxonomy']
        ? false
        : {
            eventTypeStyle: style as (typeof STYLES)[number],
            rules: parseRules(args.rule),
            allowPii: args['allow-pii'],
          },
    }
    if (args.plan !== undefined) options.plan = await loadPlan(resolve(cwd, args.plan))
    if (args['no-taxonomy'] && options.plan === undefined)
      throw usageError('--no-taxonomy needs --plan: there would be nothing to check')
    const counts = { error: 0, warning: 0, info: 0 }
    const byRule: Record<string, number> = {}
    const listed: (LintFinding & { file: string })[] = []
    let lines = 0
    let failing = false
    for (const file of positionals) {
      const input = await openInput(resolve(cwd, file))
      // One linter per file: distinct-value counts are about one stream of events.
      const linter = createNdjsonLinter(options)
      try {
        for await (const record of readLines(input.bytes)) {
          if (signal.aborted) break
          lines++
          for (const finding of linter.lintLine(record.text, record.line)) {
            counts[finding.severity]++
            byRule[finding.rule] = (byRule[finding.rule] ?? 0) + 1
            if (RANK[finding.severity] >= RANK[failOn as keyof typeof RANK]) failing = true
            if (listed.length < maxFindings) {
              listed.push({ ...finding, file })
              if (!args.json) out(`${file}:${finding.line}: ${finding.severity} ${finding.message}`)
            }
          }
        }
      } finally {
        input.bytes.destroy()
      }
    }
    const total = counts.error + counts.warning + counts.info
    if (args.json)
      out(
        JSON.stringify({
          lines,
          findings: listed.map(({ file, line, rule, severity, message, eventType, property }) => ({
            file,
            line,
            rule,
            severity,
            message,
            eventType,
            ...(property !== undefined && { property }),
          })),
          counts,
          byRule,
        }),
      )
    else {
      if (total > listed.length)
        err(`… ${total - listed.length} more findings not listed (--max-findings)`)
      out(
        `${lines} lines checked: ${counts.error} errors, ${counts.warning} warnings, ${counts.info} info`,
      )
    }
    if (signal.aborted) return 130
    return failing ? 1 : 0
  },
})
