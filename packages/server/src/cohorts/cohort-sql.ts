/**
 * @module A behavioral cohort definition compiled to one DuckDB query over the project's events: the
 * canonical Amplitude ids of the users who satisfy it. Each condition becomes a set of users;
 * AND/OR/NOT are INTERSECT/UNION/EXCEPT against all users, so conditions a user without events can
 * satisfy ("performed E < 1 times", "NOT …") include such users. Event selection and property filters
 * are the shared query core's (`src/query/`), so cohorts and Dashboard queries read properties alike;
 * `cohort-evaluator.ts` is the same semantics in TypeScript, and the tests hold the two equal.
 * With a `count_group` (a group type) the members are group values instead: each event counts for
 * every value it carried under that type (`gev`), and the universe is the type's known values.
 */
import type { CohortCondition, CohortDefinition } from '@ampkit/protocol'
import { eventSql, needsFirstEventFlag } from '../query/event-selector.ts'
import type { EventSelector, PropertyFilter } from '../query/ir.ts'
import { filterSql, matchesFilter, propertyValuesSql } from '../query/property-filter.ts'
import { INACTIVE_EVENT_TYPES, type QueryEvent, queryEventsCte } from '../query/query-event.ts'
import { SqlParams } from '../query/sql-params.ts'
import type { SqlValue } from '../store/store.ts'
import {
  CohortDefinitionError,
  type CohortReference,
  countGroupNoun,
  definitionCountGroup,
  isNumericOperator,
  MAX_CONDITION_DEPTH,
  performedSelector,
  propertyFilterOf,
  windowBounds,
} from './cohort-definition.ts'

/** The table of stored cohort members (static uploads and the last computation of behavioral ones). */
export const COHORT_MEMBERS_TABLE = 'ampkit_cohort_members'
/** Members of group cohorts (count group other than `User`): group values of the cohort's type. */
export const COHORT_GROUP_MEMBERS_TABLE = 'ampkit_cohort_group_members'

/**
 * The count group a cohort reference holds; throws when it is not `expected` (a user cohort's
 * members cannot be tested against group values, nor the reverse).
 */
export function assertSameCountGroup(
  cohortId: string,
  reference: Exclude<CohortReference, undefined>,
  expected: string,
): void {
  const actual =
    reference.kind === 'static'
      ? (reference.countGroup ?? 'User')
      : definitionCountGroup(reference.definition)
  if (actual !== expected)
    throw new CohortDefinitionError(
      `in_cohort: cohort ${cohortId} counts ${countGroupNoun(actual)}, not ${countGroupNoun(expected)}`,
    )
}

/** What compiling needs besides the definition. */
export interface CohortSqlContext {
  projectId: number
  /** The computation time, ms since the epoch (`last_days` windows end here). */
  nowMs: number
  /** How an `in_cohort` id resolves; `undefined` (a deleted cohort) is the empty set. */
  resolve: (cohortId: string) => CohortReference
}

const COUNT_OPERATORS: Readonly<Record<string, string>> = {
  '>=': '>=',
  '<=': '<=',
  '=': '=',
  '>': '>',
  '<': '<',
  '!=': '<>',
}

const NO_VALUE_EVENT: QueryEvent = {
  seq: 0,
  userKey: 0,
  eventType: '',
  timeMs: 0,
  sessionId: -1,
  revenue: null,
  eventProperties: {},
  userProperties: {},
  columns: {
    platform: null,
    os_name: null,
    os_version: null,
    device_model: null,
    country: null,
    region: null,
    city: null,
    language: null,
    version_name: null,
  },
  extra: {},
}

/**
 * Whether a "most recent" property condition holds for a user whose latest event lacks the
 * property (or who has no event): Amplitude reads a missing number as 0, and every other operator
 * as the filter does on no value (`is (none)`, `is not x`).
 */
export function missingValueMatches(filter: PropertyFilter): boolean {
  if (isNumericOperator(filter.op))
    return matchesFilter(
      { ...filter, property: { scope: 'event', key: 'v' } },
      { ...NO_VALUE_EVENT, eventProperties: { v: 0 } },
    )
  return matchesFilter(filter, NO_VALUE_EVENT)
}

/** The performed selectors of a condition tree, through behavioral cohorts it refers to. */
function selectorsOf(
  condition: CohortCondition,
  context: CohortSqlContext,
  seen = new Set<string>(),
) {
  const out: EventSelector[] = []
  const walk = (c: CohortCondition): void => {
    if (c.type === 'and' || c.type === 'or') c.conditions.forEach(walk)
    else if (c.type === 'not') walk(c.condition)
    else if (c.type === 'performed') out.push(performedSelector(c))
    else if (c.type === 'in_cohort' && !seen.has(c.cohort_id)) {
      seen.add(c.cohort_id)
      const reference = context.resolve(c.cohort_id)
      if (reference?.kind === 'behavioral') walk(reference.definition.condition)
    }
  }
  walk(condition)
  return out
}

/**
 * Most condition nodes one compiled query may hold once referenced behavioral cohorts are inlined:
 * cohorts that each refer to others several times would otherwise grow the SQL exponentially.
 */
export const MAX_COMPILED_CONDITIONS = 2000

class Compiler {
  readonly params = new SqlParams()
  readonly #context: CohortSqlContext
  readonly #expanding = new Set<string>()
  /** `User` or the group type every condition counts by. */
  readonly #countGroup: string
  /** The events relation (`ev`, or `gev`: one row per event and group value it carried). */
  readonly #events: string
  /** The member key column of the events relation (`user_key` or `gkey`). */
  readonly #key: string
  #nodes = 0

  constructor(context: CohortSqlContext, countGroup: string) {
    this.#context = context
    this.#countGroup = countGroup
    this.#events = countGroup === 'User' ? 'ev' : 'gev'
    this.#key = countGroup === 'User' ? 'user_key' : 'gkey'
  }

  #bind(value: SqlValue): string {
    return this.params.bind(value)
  }

  /** SQL selecting the column `cid` of the users that satisfy `condition`. */
  set(condition: CohortCondition, depth: number): string {
    if (depth > MAX_CONDITION_DEPTH * 4)
      throw new CohortDefinitionError('in_cohort: cohorts nest too deeply')
    this.#nodes += 1
    if (this.#nodes > MAX_COMPILED_CONDITIONS)
      throw new CohortDefinitionError(
        `in_cohort: with the cohorts it refers to, the definition has more than ${MAX_COMPILED_CONDITIONS} conditions`,
      )
    switch (condition.type) {
      case 'and':
      case 'or': {
        const op = condition.type === 'and' ? ' INTERSECT ' : ' UNION '
        const parts = condition.conditions.map((c) => `SELECT cid FROM (${this.set(c, depth + 1)})`)
        return `SELECT cid FROM (${parts.join(op)})`
      }
      case 'not':
        return `SELECT cid FROM universe EXCEPT SELECT cid FROM (${this.set(condition.condition, depth + 1)})`
      case 'performed': {
        const [fromMs, toMs] = windowBounds(condition.window, this.#context.nowMs)
        const selector = eventSql(performedSelector(condition), this.params, 'ev')
        return `SELECT u.cid FROM universe u LEFT JOIN (
            SELECT ev.${this.#key} AS cid, count(*) AS n FROM ${this.#events} ev
            WHERE ${selector} AND ev.event_time_ms >= ${this.#bind(fromMs)}
              AND ev.event_time_ms < ${this.#bind(toMs)}
            GROUP BY ev.${this.#key}) c ON c.cid = u.cid
          WHERE coalesce(c.n, 0) ${COUNT_OPERATORS[condition.op]} ${this.#bind(condition.count)}`
      }
      case 'property': {
        const filter = propertyFilterOf(condition)
        const active = `ev.event_type NOT IN ${this.params.bindList(INACTIVE_EVENT_TYPES)}`
        if (condition.mode === 'most_recent') {
          const missing = missingValueMatches(filter) ? 'true' : 'false'
          const values = propertyValuesSql(filter.property, 'l')
          return `SELECT u.cid FROM universe u LEFT JOIN (
              SELECT ev.* FROM ${this.#events} ev WHERE ${active}
              QUALIFY row_number() OVER (PARTITION BY ev.${this.#key}
                ORDER BY ev.event_time_ms DESC, ev.seq DESC) = 1
            ) l ON l.${this.#key} = u.cid
            WHERE CASE WHEN l.${this.#key} IS NULL OR len(${values}) = 0 THEN ${missing}
              ELSE ${filterSql(filter, this.params, 'l')} END`
        }
        const [fromMs, toMs] = windowBounds(condition.window!, this.#context.nowMs)
        return `SELECT DISTINCT ev.${this.#key} AS cid FROM ${this.#events} ev
          WHERE ev.event_time_ms >= ${this.#bind(fromMs)} AND ev.event_time_ms < ${this.#bind(toMs)}
            AND ${active} AND ${filterSql(filter, this.params, 'ev')}`
      }
      case 'in_cohort': {
        const id = condition.cohort_id
        const reference = this.#context.resolve(id)
        if (reference === undefined) return 'SELECT cid FROM universe WHERE false'
        assertSameCountGroup(id, reference, this.#countGroup)
        if (reference.kind === 'static') {
          const [table, column] =
            this.#countGroup === 'User'
              ? [COHORT_MEMBERS_TABLE, 'amplitude_id']
              : [COHORT_GROUP_MEMBERS_TABLE, 'group_value']
          return `SELECT cid FROM universe WHERE cid IN (
              SELECT ${column} FROM ${table}
              WHERE project_id = ${this.#bind(this.#context.projectId)} AND cohort_id = ${this.#bind(id)})`
        }
        if (this.#expanding.has(id))
          throw new CohortDefinitionError(`in_cohort: cycle through ${id}`)
        this.#expanding.add(id)
        const sql = this.set(reference.definition.condition, depth + 1)
        this.#expanding.delete(id)
        return sql
      }
    }
  }
}

/**
 * The group values an event's `groups` JSON carries under `groupType`: a string, number or boolean
 * as its text, an array's scalar items each (repeats once), anything else none. Whether Amplitude
 * counts an array-carrying event once per value is unconfirmed; here each value counts.
 */
function groupValuesSql(groupsExpr: string, path: string): string {
  const j = `json_extract(${groupsExpr}, ${path})`
  return `list_distinct(CASE
      WHEN json_type(${j}) = 'ARRAY' THEN list_transform(list_filter(
        from_json(${j}, '["JSON"]'),
        x -> json_type(x) NOT IN ('ARRAY', 'OBJECT', 'NULL')), x -> json_extract_string(x, '$'))
      WHEN json_type(${j}) IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN')
        THEN [json_extract_string(${j}, '$')]
      ELSE []::VARCHAR[] END)`
}

/**
 * The query (with its parameters) whose rows are `{ amplitude_id }`, the canonical ids of the
 * members, ascending (`{ group_value }` for a group cohort). A user's events under merged anonymous
 * ids count as the user's. A group cohort's universe is every value of its type the project knows
 * (a group profile, or an event that carried it), so "performed E < 1 times" and NOT include values
 * with a profile and no event [unconfirmed].
 */
export function compileCohortSql(
  definition: CohortDefinition,
  context: CohortSqlContext,
): { sql: string; params: SqlValue[] } {
  const countGroup = definitionCountGroup(definition)
  const compiler = new Compiler(context, countGroup)
  const { params } = compiler
  const firstEventFlag = needsFirstEventFlag(selectorsOf(definition.condition, context))
  const events = queryEventsCte(params, context.projectId, { firstEventFlag })
  const body = compiler.set(definition.condition, 0)
  if (countGroup === 'User') {
    const universe = `universe AS (SELECT amplitude_id AS cid FROM users_current
      WHERE project_id = ${params.bind(context.projectId)} AND merged_into IS NULL)`
    const sql = `WITH ${events}, ${universe}
      SELECT cid AS amplitude_id FROM (${body}) ORDER BY 1`
    return { sql, params: params.values }
  }
  const path = params.bind(`$.${JSON.stringify(countGroup)}`)
  const grouped = `gev AS (SELECT * EXCLUDE (gvalues), unnest(gvalues) AS gkey FROM (
      SELECT ev.*, ${groupValuesSql('ev.groups', path)} AS gvalues FROM ev
      WHERE ev.groups IS NOT NULL))`
  const universe = `universe AS (SELECT group_value AS cid FROM group_profiles_current
      WHERE project_id = ${params.bind(context.projectId)} AND group_type = ${params.bind(countGroup)}
      UNION SELECT gkey FROM gev)`
  const sql = `WITH ${events}, ${grouped}, ${universe}
    SELECT cid AS group_value FROM (${body}) ORDER BY 1`
  return { sql, params: params.values }
}
