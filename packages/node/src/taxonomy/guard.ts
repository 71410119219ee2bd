/**
 * @module The taxonomy guard: `createTaxonomyGuard(options).check(event)` runs the taxonomy rules
 * (and a tracking plan, when given) over one event and says what to do with it, per mode: send it,
 * send a redacted or fixed copy, or refuse it with a message naming the rule. Each kind of violation
 * is reported once through the `report` callback; every one is counted in `stats()`. Self-contained,
 * so the client's event path needs only a few lines.
 */
import {
  applyTaxonomyFixes,
  createTaxonomyChecker,
  type TaxonomyFinding,
  type TaxonomyRuleId,
} from '@ampkit/protocol'
import { resolveTaxonomyOptions, type TaxonomyMode, type TaxonomyOptions } from './options.ts'

/** What to do with an event. */
export type TaxonomyVerdict<E> =
  | {
      action: 'send'
      /** The event to send: the input itself, or a redacted/fixed copy. */
      event: E
      findings: readonly TaxonomyFinding[]
    }
  | {
      action: 'refuse'
      /** The first `error` rule, for the result. */
      rule: TaxonomyRuleId
      /** `Event refused by the taxonomy guard: <finding message> (and N more)`. */
      message: string
      findings: readonly TaxonomyFinding[]
    }

/** What the guard did with a reported finding. */
export type TaxonomyAction = 'sent' | 'refused' | 'redacted' | 'fixed'

/** A violation reported (once per kind) to the logger and the emitter. */
export interface TaxonomyViolation {
  rule: TaxonomyRuleId
  severity: TaxonomyFinding['severity']
  eventType: string
  property?: string
  message: string
  action: TaxonomyAction
}

/** Counters of the guard. */
export interface TaxonomyStats {
  mode: TaxonomyMode
  /** Events checked. */
  checked: number
  /** Findings by rule (every occurrence, not only reported ones). */
  violations: Partial<Record<TaxonomyRuleId, number>>
  /** Events refused (`strict`). */
  refused: number
  /** Values redacted (`redact`). */
  redacted: number
  /** Values flattened or stringified (`nesting`). */
  fixed: number
}

/** The guard. */
export interface TaxonomyGuard {
  readonly mode: TaxonomyMode
  check<E extends object>(event: E): TaxonomyVerdict<E>
  stats(): TaxonomyStats
}

/** Where the guard reports violations (once per kind). */
export type TaxonomyReporter = (violation: TaxonomyViolation) => void

const CLEAN: readonly TaxonomyFinding[] = Object.freeze([])

/** Creates a guard; `report` receives each kind of violation once (default: nowhere). */
export function createTaxonomyGuard(
  options: boolean | TaxonomyMode | TaxonomyOptions = {},
  report: TaxonomyReporter = () => undefined,
  env?: Readonly<Record<string, string | undefined>>,
): TaxonomyGuard {
  const resolved = resolveTaxonomyOptions(options, env)
  const { mode, plan, planOptions, nesting, maxReportedKinds } = resolved
  const checker = mode === 'off' ? undefined : createTaxonomyChecker(resolved.checker)
  const reported = new Set<string>()
  const reportedRules = new Set<TaxonomyRuleId>()
  const counts: TaxonomyStats = {
    mode,
    checked: 0,
    violations: {},
    refused: 0,
    redacted: 0,
    fixed: 0,
  }

  function note(
    findings: readonly TaxonomyFinding[],
    action: (f: TaxonomyFinding) => TaxonomyAction,
  ) {
    for (const f of findings) {
      counts.violations[f.rule] = (counts.violations[f.rule] ?? 0) + 1
      const kind = `${f.rule}\u0000${f.eventType}\u0000${f.property ?? ''}`
      if (reported.has(kind)) continue
      if (reported.size >= maxReportedKinds) {
        // Past the bound, each rule is reported once more, then only counted.
        if (reportedRules.has(f.rule)) continue
      } else reported.add(kind)
      reportedRules.add(f.rule)
      const violation: TaxonomyViolation = {
        rule: f.rule,
        severity: f.severity,
        eventType: f.eventType,
        message: f.message,
        action: action(f),
      }
      if (f.property !== undefined) violation.property = f.property
      report(violation)
    }
  }

  function check<E extends object>(event: E): TaxonomyVerdict<E> {
    if (checker === undefined) return { action: 'send', event, findings: CLEAN }
    counts.checked++
    let findings = checker.check(event)
    if (plan !== undefined) {
      const planFindings = plan.check(event, planOptions)
      if (planFindings.length > 0) findings = [...findings, ...planFindings]
    }
    if (findings.length === 0) return { action: 'send', event, findings: CLEAN }
    if (mode === 'strict') {
      const errors = findings.filter((f) => f.severity === 'error')
      if (errors.length > 0) {
        counts.refused++
        note(findings, (f) => (f.severity === 'error' ? 'refused' : 'sent'))
        const first = errors[0] as TaxonomyFinding
        const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
        return {
          action: 'refuse',
          rule: first.rule,
          message: `Event refused by the taxonomy guard: ${first.message}${more}`,
          findings,
        }
      }
    }
    const redactPii = mode === 'redact'
    const fixed = applyTaxonomyFixes(event, findings, { redactPii, nesting })
    counts.redacted += fixed.redacted
    counts.fixed += fixed.fixed
    note(findings, (f) =>
      redactPii && f.rule.startsWith('pii-')
        ? 'redacted'
        : f.rule === 'value-nesting-depth' && nesting !== 'report'
          ? 'fixed'
          : 'sent',
    )
    return { action: 'send', event: fixed.event, findings }
  }

  return {
    mode,
    check,
    stats: () => ({ ...counts, violations: { ...counts.violations } }),
  }
}
