/**
 * Property-based check: on many random small datasets ingested into a real store, the SQL a
 * behavioral cohort compiles to selects exactly the users the reference evaluator selects.
 * Hand-rolled seeded generator (the query tests' mulberry32), so a failure names its seed and replays.
 */
import type {
  CohortCondition,
  CohortDefinition,
  CohortTimeWindow,
  FilterOperator,
  WireEventFilter,
} from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
import type { CohortReference } from '../../src/cohorts/cohort-definition.ts'
import { evaluateCohort, groupValuesOf } from '../../src/cohorts/cohort-evaluator.ts'
import { type CohortRecord, CohortRepository } from '../../src/cohorts/cohort-repository.ts'
import { compileCohortSql } from '../../src/cohorts/cohort-sql.ts'
import { loadQueryEvents } from '../../src/query/query-event.ts'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import {
  DATASET_START_MS,
  pick,
  randomEvents,
  seededRandom,
} from '../query/helpers/random-dataset.ts'

const DAY_MS = 24 * 60 * 60 * 1000
const BASE_MS = DATASET_START_MS
const NOW_MS = BASE_MS + 5 * DAY_MS

type Random = () => number
const int = (r: Random, min: number, max: number) => min + Math.floor(r() * (max - min + 1))

const EVENT_VALUES: readonly (string | number)[] = ['rock', 'jazz', 'pop', 'roll', 0, 1, 2.5, 10]
const PLAN_VALUES: readonly (string | number)[] = ['free', 'pro', 'team', 'te', 18, 25]
const OPS: readonly FilterOperator[] = [
  'is',
  'is not',
  'contains',
  'does not contain',
  'less',
  'less or equal',
  'greater',
  'greater or equal',
  'set is',
  'set is not',
]

function values(r: Random, op: FilterOperator, pool: readonly (string | number)[]): string[] {
  if (op.startsWith('less') || op.startsWith('greater')) return [String(pick(r, [0, 1, 2, 18, 30]))]
  const list = Array.from({ length: int(r, 1, 2) }, () => String(pick(r, pool)))
  if (r() < 0.15) list.push('(none)')
  return list
}

function window(r: Random): CohortTimeWindow {
  if (r() < 0.5) return { type: 'last_days', days: int(r, 1, 6) }
  const start = int(r, -1, 4)
  const day = (n: number) => new Date(BASE_MS + n * DAY_MS).toISOString().slice(0, 10)
  return { type: 'between', start: day(start), end: day(start + int(r, 0, 4)) }
}

function filter(r: Random): WireEventFilter {
  const op = pick(r, OPS)
  const [type, key, pool] = pick(r, [
    ['event', 'genre', EVENT_VALUES],
    ['event', 'price', EVENT_VALUES],
    ['event', 'tags', ['a', 'b', 1]],
    ['user', 'gp:plan', PLAN_VALUES],
    ['user', 'gp:age', PLAN_VALUES],
    ['user', 'country', ['Germany', 'France', 'many']],
  ] as const)
  return {
    subprop_type: type,
    subprop_key: key,
    subprop_op: op,
    subprop_value: values(r, op, pool),
  }
}

function condition(
  r: Random,
  depth: number,
  allowCohorts: boolean,
  cohortIds: readonly string[] = ['static1', 'behave1', 'gone'],
): CohortCondition {
  const kind = depth >= 3 ? int(r, 3, allowCohorts ? 5 : 4) : int(r, 0, allowCohorts ? 5 : 4)
  switch (kind) {
    case 0:
    case 1: {
      const conditions = Array.from({ length: int(r, 1, 3) }, () =>
        condition(r, depth + 1, allowCohorts, cohortIds),
      )
      return { type: kind === 0 ? 'and' : 'or', conditions }
    }
    case 2:
      return { type: 'not', condition: condition(r, depth + 1, allowCohorts, cohortIds) }
    case 3:
      return {
        type: 'performed',
        event_type: pick(r, ['A', 'B', 'ce:C', '_all', '_active', '_new']),
        filters: Array.from({ length: int(r, 0, 2) }, () => filter(r)),
        op: pick(r, ['>=', '<=', '=', '>', '<', '!='] as const),
        count: int(r, 0, 3),
        window: window(r),
      }
    case 4: {
      const op = pick(r, OPS)
      const mode = pick(r, ['most_recent', 'any_time'] as const)
      return {
        type: 'property',
        key: pick(r, ['plan', 'gp:plan', 'gp:age', 'platform']),
        op,
        values: values(r, op, PLAN_VALUES),
        mode,
        ...(mode === 'any_time' && { window: window(r) }),
      }
    }
    default:
      return { type: 'in_cohort', cohort_id: pick(r, cohortIds) }
  }
}

describe('behavioral cohort SQL against the reference evaluator', () => {
  it('selects the same users on 30 random datasets with 10 random definitions each', async () => {
    // One store, one project per dataset: each dataset is isolated by its project id.
    const store = await openDuckDbStore({ path: ':memory:', now: () => NOW_MS })
    let nonTrivial = 0
    try {
      for (let seed = 1; seed <= 30; seed++) {
        const r = seededRandom(seed * 7919)
        const projectId = seed
        const wire = randomEvents(seed, { users: int(r, 2, 6), events: int(r, 5, 30) })
        await store.ingestEvents(
          [...wire].sort((a, b) => (a.time ?? 0) - (b.time ?? 0)),
          { projectId, receivedAtMs: NOW_MS, path: '/batch' },
        )
        const events = await loadQueryEvents(store, projectId)
        const userRows = await store.selectRows(
          'SELECT amplitude_id FROM users_current WHERE project_id = ? AND merged_into IS NULL',
          [projectId],
        )
        const users = userRows.map((row) => Number(row.amplitude_id))
        const staticMembers = new Set(users.filter(() => r() < 0.5))
        await new CohortRepository(store).insert(
          {
            projectId,
            id: 'static1',
            name: 'static',
            description: null,
            kind: 'static',
            definition: null,
            owners: [],
            published: true,
            archived: false,
            countGroup: 'User',
            size: 0,
            createdMs: NOW_MS,
            modifiedMs: NOW_MS,
            computedMs: NOW_MS,
          },
          [...staticMembers],
        )
        const behave1: CohortDefinition = { version: 1, condition: condition(r, 1, false) }
        const resolve = (id: string): CohortReference =>
          id === 'static1'
            ? { kind: 'static' }
            : id === 'behave1'
              ? { kind: 'behavioral', definition: behave1 }
              : undefined
        const definitions = Array.from(
          { length: 10 },
          (): CohortDefinition => ({ version: 1, condition: condition(r, 0, true) }),
        )
        // The queries of one dataset run at once (the store reads on pooled connections).
        const answers = await Promise.all(
          definitions.map((definition) => {
            const query = compileCohortSql(definition, { projectId, nowMs: NOW_MS, resolve })
            return store.selectRows(query.sql, query.params)
          }),
        )
        definitions.forEach((definition, n) => {
          const expected = evaluateCohort(
            definition,
            { users, events, staticMembers: () => staticMembers },
            { nowMs: NOW_MS, resolve },
          )
          const actual = answers[n]!.map((row) => Number(row.amplitude_id))
          expect(
            { seed, n, members: actual.sort() },
            JSON.stringify([definition, behave1]),
          ).toEqual({ seed, n, members: [...expected].sort() })
          if (expected.size > 0 && expected.size < users.length) nonTrivial += 1
        })
      }
    } finally {
      await store.close()
    }
    // The generator must produce definitions that split users, or the comparison proves little.
    expect(nonTrivial).toBeGreaterThan(60)
  }, 60_000)
})

const COMPANIES = ['acme', 'globex', 'initech', 'umbrella'] as const

/** A random `groups` object: none, one company, an array of companies (repeats too), or a team. */
function randomGroups(r: Random): { [groupType: string]: string | string[] } | undefined {
  const roll = r()
  if (roll < 0.25) return undefined
  if (roll < 0.55) return { company: pick(r, COMPANIES) }
  if (roll < 0.8)
    return {
      company: Array.from({ length: int(r, 0, 3) }, () => pick(r, COMPANIES)),
      team: pick(r, ['red', 'blue']),
    }
  return { team: pick(r, ['red', 'acme']) }
}

function staticRecord(projectId: number, id: string, countGroup: string): CohortRecord {
  return {
    projectId,
    id,
    name: id,
    description: null,
    kind: 'static',
    definition: null,
    owners: [],
    published: true,
    archived: false,
    countGroup,
    size: 0,
    createdMs: NOW_MS,
    modifiedMs: NOW_MS,
    computedMs: NOW_MS,
  }
}

describe('behavioral group cohort SQL against the reference evaluator', () => {
  it('selects the same company values on 30 random datasets with 10 random definitions each', async () => {
    const store = await openDuckDbStore({ path: ':memory:', now: () => NOW_MS })
    let nonTrivial = 0
    try {
      for (let seed = 1; seed <= 30; seed++) {
        const r = seededRandom(seed * 104_729)
        const projectId = seed
        const wire = randomEvents(seed + 1000, { users: int(r, 2, 5), events: int(r, 5, 30) })
        for (const event of wire) {
          const groups = randomGroups(r)
          if (groups !== undefined) event.groups = groups
        }
        await store.ingestEvents(
          [...wire].sort((a, b) => (a.time ?? 0) - (b.time ?? 0)),
          { projectId, receivedAtMs: NOW_MS, path: '/batch' },
        )
        // Some companies have a profile (one with no event at all: `hooli`), one a team profile.
        const profiled = ['hooli', ...COMPANIES.filter(() => r() < 0.4)]
        await store.groupIdentify(
          [
            ...profiled.map((value) => ({
              group_type: 'company',
              group_value: value,
              group_properties: { plan: 'pro' },
            })),
            { group_type: 'team', group_value: 'globex', group_properties: {} },
          ],
          { projectId, receivedAtMs: NOW_MS, path: '/groupidentify' },
        )
        const events = await loadQueryEvents(store, projectId)
        const groupRows = await store.selectRows(
          'SELECT seq, groups FROM events WHERE project_id = ?',
          [projectId],
        )
        const groupsBySeq = new Map(
          groupRows.map((row) => [
            Number(row.seq),
            typeof row.groups === 'string' ? (JSON.parse(row.groups) as unknown) : null,
          ]),
        )
        const carried = new Set(
          [...groupsBySeq.values()].flatMap((groups) => groupValuesOf(groups, 'company')),
        )
        const known = [...new Set([...profiled, ...carried])]
        const staticMembers = new Set(known.filter(() => r() < 0.5))
        await new CohortRepository(store).insert(staticRecord(projectId, 'gstatic1', 'company'), [
          ...staticMembers,
        ])
        const cohortIds = ['gstatic1', 'gbehave1', 'gone']
        const gbehave1: CohortDefinition = {
          version: 1,
          condition: condition(r, 1, false),
          count_group: 'company',
        }
        const resolve = (id: string): CohortReference =>
          id === 'gstatic1'
            ? { kind: 'static', countGroup: 'company' }
            : id === 'gbehave1'
              ? { kind: 'behavioral', definition: gbehave1 }
              : undefined
        const definitions = Array.from(
          { length: 10 },
          (): CohortDefinition => ({
            version: 1,
            condition: condition(r, 0, true, cohortIds),
            count_group: 'company',
          }),
        )
        const answers = await Promise.all(
          definitions.map((definition) => {
            const query = compileCohortSql(definition, { projectId, nowMs: NOW_MS, resolve })
            return store.selectRows(query.sql, query.params)
          }),
        )
        definitions.forEach((definition, n) => {
          const expected = evaluateCohort(
            definition,
            {
              users: [],
              events,
              staticMembers: () => staticMembers,
              groups: { of: (event) => groupsBySeq.get(event.seq), profiled },
            },
            { nowMs: NOW_MS, resolve },
          )
          const actual = answers[n]!.map((row) => String(row.group_value))
          expect(
            { seed, n, members: actual.sort() },
            JSON.stringify([definition, gbehave1]),
          ).toEqual({ seed, n, members: [...expected].map(String).sort() })
          if (expected.size > 0 && expected.size < known.length) nonTrivial += 1
        })
      }
    } finally {
      await store.close()
    }
    expect(nonTrivial).toBeGreaterThan(60)
  }, 60_000)
})
