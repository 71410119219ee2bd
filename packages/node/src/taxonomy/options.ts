/**
 * @module The `taxonomy` option of the client and of typed trackers: which mode the guard runs in and
 * which rules it applies. `resolveTaxonomyOptions()` fills the defaults and throws a `ConfigError`
 * that names a bad setting. The default mode is `warn` in production (events are never lost to a
 * naming rule) and `strict` under tests (`NODE_ENV=test` or `ENV=test`), so a test suite fails on the
 * data bugs production would only log.
 */
import type {
  NestingPolicy,
  PlanCheckOptions,
  TaxonomyCheckerOptions,
  TaxonomyFinding,
} from '@ampkit/protocol'
import type { Environment } from '../environment.ts'
import { ConfigError } from '../errors.ts'

/**
 * What the guard does with findings:
 * - `off`: nothing is checked;
 * - `warn`: the event is sent; each kind of violation is reported once (logger, emitter) and counted;
 * - `strict`: an event with an `error` finding is refused (result code 0, message naming the rule);
 * - `redact`: personal data is replaced (`[redacted:email]`) and the event sent; other findings as `warn`.
 */
export type TaxonomyMode = 'off' | 'warn' | 'strict' | 'redact'

/** The modes, for validation. */
export const TAXONOMY_MODES: readonly TaxonomyMode[] = ['off', 'warn', 'strict', 'redact']

/** A plan the guard also checks events against (a `TrackingPlan` fits). */
export interface PlanChecker {
  check(event: unknown, options?: PlanCheckOptions): readonly TaxonomyFinding[]
}

/** Options of the taxonomy guard (the client's `taxonomy` option). */
export interface TaxonomyOptions extends Omit<TaxonomyCheckerOptions, 'now'> {
  /** @default 'warn', or 'strict' when NODE_ENV or ENV is `test` */
  mode?: TaxonomyMode
  /** Check events against this tracking plan too (unknown events, properties, types). @default none */
  plan?: PlanChecker
  /** Report event types the plan does not list. @default true */
  unknownEvents?: boolean
  /** Values nested more than one level: reported only, flattened to dotted keys, or stringified. @default 'report' */
  nesting?: NestingPolicy
  /**
   * Distinct (rule, event type, property) kinds reported through the logger and emitter; past this,
   * each rule is reported once more and then only counted. Bounds memory. @default 1000
   */
  maxReportedKinds?: number
}

/** Options with every default filled in. */
export interface ResolvedTaxonomyOptions {
  mode: TaxonomyMode
  checker: TaxonomyCheckerOptions
  plan: PlanChecker | undefined
  planOptions: PlanCheckOptions
  nesting: NestingPolicy
  maxReportedKinds: number
}

/** The default mode for an environment: `strict` under tests, else `warn`. */
export function defaultTaxonomyMode(env: Environment): TaxonomyMode {
  const isTest = (name: string) => env[name]?.trim().toLowerCase() === 'test'
  return isTest('NODE_ENV') || isTest('ENV') ? 'strict' : 'warn'
}

/**
 * Resolves the `taxonomy` option: `false` is `off`, `true` or absent are the defaults, a mode string
 * is that mode, an object is read field by field. Throws `ConfigError` for a bad mode or number.
 */
export function resolveTaxonomyOptions(
  input: boolean | TaxonomyMode | TaxonomyOptions | undefined,
  env: Environment = process.env,
): ResolvedTaxonomyOptions {
  const options: TaxonomyOptions =
    input === false
      ? { mode: 'off' }
      : input === true || input === undefined
        ? {}
        : typeof input === 'string'
          ? { mode: input }
          : input
  const mode = options.mode ?? defaultTaxonomyMode(env)
  if (!TAXONOMY_MODES.includes(mode)) {
    throw new ConfigError(
      'taxonomy.mode',
      `must be one of ${TAXONOMY_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    )
  }
  const maxReportedKinds = options.maxReportedKinds ?? 1000
  if (!Number.isSafeInteger(maxReportedKinds) || maxReportedKinds < 0) {
    throw new ConfigError(
      'taxonomy.maxReportedKinds',
      `must be a non-negative integer, got ${String(maxReportedKinds)}`,
    )
  }
  const nesting = options.nesting ?? 'report'
  if (nesting !== 'report' && nesting !== 'flatten' && nesting !== 'stringify') {
    throw new ConfigError(
      'taxonomy.nesting',
      `must be one of report, flatten, stringify, got ${JSON.stringify(nesting)}`,
    )
  }
  const {
    mode: _mode,
    plan,
    unknownEvents,
    nesting: _nesting,
    maxReportedKinds: _max,
    ...checker
  } = options
  return {
    mode,
    checker,
    plan,
    planOptions: { unknownEvents: unknownEvents ?? true },
    nesting,
    maxReportedKinds,
  }
}
