/**
 * @module Lints NDJSON event files (one event object per line, as exports, dead-letter files and
 * fixtures are written) against the taxonomy rules and, optionally, a tracking plan. Pure over lines,
 * so `ampkit lint` can stream a file through `createNdjsonLinter` and tests can pass a string.
 */
import { createTaxonomyChecker, type TaxonomyCheckerOptions } from './checker.ts'
import { finding, TAXONOMY_RULES, type TaxonomyFinding } from './rules.ts'
import type { TrackingPlan } from './tracking-plan.ts'

/** A finding with the 1-based line it came from. */
export interface LintFinding extends TaxonomyFinding {
  line: number
}

/** Options of the NDJSON linter. */
export interface NdjsonLintOptions {
  /** Check events against this plan too. @default none */
  plan?: Pick<TrackingPlan, 'check'>
  /** Report event types the plan does not list. @default true */
  unknownEvents?: boolean
  /** Taxonomy checker options; `false` checks only the plan. @default {} */
  taxonomy?: TaxonomyCheckerOptions | false
}

/** A linter that keeps its state (caches, distinct-value counts) across lines. */
export interface NdjsonLinter {
  /** Findings for one line; blank lines have none. */
  lintLine(text: string, line: number): LintFinding[]
}

/** Creates a linter for a stream of lines. */
export function createNdjsonLinter(options: NdjsonLintOptions = {}): NdjsonLinter {
  const checker = options.taxonomy === false ? undefined : createTaxonomyChecker(options.taxonomy)
  const plan = options.plan
  const planOptions = { unknownEvents: options.unknownEvents ?? true }
  return {
    lintLine(text, line) {
      const trimmed = text.trim()
      if (trimmed === '') return []
      let event: unknown
      try {
        event = JSON.parse(trimmed)
      } catch (error) {
        const why = `not JSON (${error instanceof Error ? error.message : String(error)})`
        return [{ ...finding('ndjson-parse', TAXONOMY_RULES['ndjson-parse'], '', why), line }]
      }
      if (typeof event !== 'object' || event === null || Array.isArray(event)) {
        return [
          {
            ...finding('ndjson-parse', TAXONOMY_RULES['ndjson-parse'], '', 'not a JSON object'),
            line,
          },
        ]
      }
      const out: LintFinding[] = []
      if (checker !== undefined) for (const f of checker.check(event)) out.push({ ...f, line })
      if (plan !== undefined)
        for (const f of plan.check(event, planOptions)) out.push({ ...f, line })
      return out
    },
  }
}

/** Lints NDJSON text (or its lines) and returns every finding with its line number. */
export function lintNdjson(
  input: string | Iterable<string>,
  options: NdjsonLintOptions = {},
): LintFinding[] {
  const linter = createNdjsonLinter(options)
  const lines = typeof input === 'string' ? input.split('\n') : input
  const out: LintFinding[] = []
  let line = 0
  for (const text of lines) {
    line++
    for (const f of linter.lintLine(text, line)) out.push(f)
  }
  return out
}
