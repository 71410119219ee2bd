/**
 * Behavioral cohort semantics pinned on a hand-made dataset: each expectation is worked out by hand
 * in its comment, and both the SQL and the reference evaluator must give it.
 */
import type { CohortCondition, CohortDefinition } from '@ampkit/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CohortReference } from '../../src/cohorts/cohort-definition.ts'
import { evaluateCohort } from '../../src/cohorts/cohort-evaluator.ts'
import { CohortRepository } from '../../src/cohorts/cohort-repository.ts'
import { compileCohortSql } from '../../src/cohorts/cohort-sql.ts'
import { loadQueryEvents, type QueryEvent } from '../../src/query/query-event.ts'
import { type DuckDbStore, openDuckDbStore } from '../../src/store/duckdb-store.ts'

const NOW = Date.UTC(2024, 6, 10, 12, 0, 0)
const at = (day: number, hour: number) => Date.UTC(2024, 6, day, hour, 0, 0)

let store: DuckDbStore
let events: QueryEvent[]
let users: number[]
const idOf = new Map<string, number>()
const nameOf = new Map<number, string>()

beforeAll(async () => {
  store = await openDuckDbStore({ path: ':memory:', now: () => NOW })
  await store.ingestEvents(
    [
      // user-1: two purchases (5 and 20) on Jul 1 and Jul 3 as "pro", then a view on Jul 9 as "free".
      {
        event_type: 'Purchase',
        user_id: 'user-1',
        time: at(1, 10),
        event_properties: { price: 5 },
        user_properties: { plan: 'pro' },
      },
      {
        event_type: 'Purchase',
        user_id: 'user-1',
        time: at(3, 23),
        event_properties: { price: 20 },
      },
      { event_type: 'View', user_id: 'user-1', time: at(9, 8), user_properties: { plan: 'free' } },
      // user-2: one view on Jul 9, aged 30.
      { event_type: 'View', user_id: 'user-2', time: at(9, 9), user_properties: { age: 30 } },
      // user-3: one purchase an hour before now.
      {
        event_type: 'Purchase',
        user_id: 'user-3',
        time: at(10, 11),
        event_properties: { price: 1 },
      },
    ],
    { projectId: 1, receivedAtMs: NOW, path: '/batch' },
  )
  for (const row of await store.selectRows('SELECT user_id, amplitude_id FROM users_current')) {
    idOf.set(String(row.user_id), Number(row.amplitude_id))
    nameOf.set(Number(row.amplitude_id), String(row.user_id))
  }
  users = [...nameOf.keys()]
  events = await loadQueryEvents(store, 1)
  await new CohortRepository(store).insert(
    {
      projectId: 1,
      id: 'static1',
      name: 'user-1 only',
      description: null,
      kind: 'static',
      definition: null,
      owners: [],
      published: true,
      archived: false,
      countGroup: 'User',
      size: 1,
      createdMs: NOW,
      modifiedMs: NOW,
      computedMs: NOW,
    },
    [idOf.get('user-1')!],
  )
})

afterAll(async () => {
  await store.close()
})

const resolve = (id: string): CohortReference => (id === 'static1' ? { kind: 'static' } : undefined)

async function both(condition: CohortCondition): Promise<{ sql: string[]; reference: string[] }> {
  const definition: CohortDefinition = { version: 1, condition }
  const query = compileCohortSql(definition, { projectId: 1, nowMs: NOW, resolve })
  const rows = await store.selectRows(query.sql, query.params)
  const reference = evaluateCohort(
    definition,
    { users, events, staticMembers: () => new Set([idOf.get('user-1')!]) },
    { nowMs: NOW, resolve },
  )
  const names = (ids: Iterable<number | string>) =>
    [...ids].map((id) => nameOf.get(Number(id))!).sort()
  return { sql: names(rows.map((r) => Number(r.amplitude_id))), reference: names(reference) }
}

function expectMembers(answer: { sql: string[]; reference: string[] }, members: string[]) {
  expect(answer.sql).toEqual(members)
  expect(answer.reference).toEqual(members)
}

describe('behavioral cohort semantics', () => {
  it('counts the end day of a "between" window whole (Jul 1–3 holds the 23:00 purchase of Jul 3)', async () => {
    const window = { type: 'between' as const, start: '2024-07-01', end: '2024-07-03' }
    expectMembers(
      await both({ type: 'performed', event_type: 'Purchase', op: '>=', count: 2, window }),
      ['user-1'],
    )
    // Jul 1–2 holds only one of user-1's purchases: 1 < 2.
    const shorter = { ...window, end: '2024-07-02' }
    expectMembers(
      await both({
        type: 'performed',
        event_type: 'Purchase',
        op: '>=',
        count: 2,
        window: shorter,
      }),
      [],
    )
  })

  it('includes users without any such event when the count admits zero', async () => {
    // user-2 never purchased: 0 = 0. user-1 (2) and user-3 (1) did.
    expectMembers(
      await both({
        type: 'performed',
        event_type: 'Purchase',
        op: '=',
        count: 0,
        window: { type: 'last_days', days: 30 },
      }),
      ['user-2'],
    )
  })

  it('ends "last N days" at the computation: the last day is [Jul 9 12:00, Jul 10 12:00]', async () => {
    // Only user-3's purchase (Jul 10 11:00) is inside; user-1's latest is Jul 3.
    expectMembers(
      await both({
        type: 'performed',
        event_type: 'Purchase',
        op: '>=',
        count: 1,
        window: { type: 'last_days', days: 1 },
      }),
      ['user-3'],
    )
  })

  it('applies event property filters to the counted events', async () => {
    // Purchases with price > 10: only user-1's 20.
    expectMembers(
      await both({
        type: 'performed',
        event_type: 'Purchase',
        filters: [
          {
            subprop_type: 'event',
            subprop_key: 'price',
            subprop_op: 'greater',
            subprop_value: ['10'],
          },
        ],
        op: '>=',
        count: 1,
        window: { type: 'last_days', days: 30 },
      }),
      ['user-1'],
    )
  })

  it('reads "most recently" from the latest event and "any time" from the window', async () => {
    // user-1's latest event says plan "free" (set on Jul 9), though it was "pro" before.
    expectMembers(
      await both({
        type: 'property',
        key: 'plan',
        op: 'is',
        values: ['free'],
        mode: 'most_recent',
      }),
      ['user-1'],
    )
    // Between Jul 1 and 5 user-1's events carried "pro".
    expectMembers(
      await both({
        type: 'property',
        key: 'gp:plan',
        op: 'is',
        values: ['pro'],
        mode: 'any_time',
        window: { type: 'between', start: '2024-07-01', end: '2024-07-05' },
      }),
      ['user-1'],
    )
  })

  it('reads a missing number as 0 for "most recently" (user-1 and user-3 have no age: 0 < 10)', async () => {
    expectMembers(
      await both({
        type: 'property',
        key: 'gp:age',
        op: 'less',
        values: ['10'],
        mode: 'most_recent',
      }),
      ['user-1', 'user-3'],
    )
  })

  it('combines conditions: NOT in a cohort, AND, OR', async () => {
    const inStatic: CohortCondition = { type: 'in_cohort', cohort_id: 'static1' }
    expectMembers(await both({ type: 'not', condition: inStatic }), ['user-2', 'user-3'])
    const bought: CohortCondition = {
      type: 'performed',
      event_type: 'Purchase',
      op: '>=',
      count: 1,
      window: { type: 'last_days', days: 30 },
    }
    // Bought (1, 3) AND not in static1 (2, 3) → 3; bought OR in static1 → 1, 3.
    expectMembers(
      await both({ type: 'and', conditions: [bought, { type: 'not', condition: inStatic }] }),
      ['user-3'],
    )
    expectMembers(await both({ type: 'or', conditions: [bought, inStatic] }), ['user-1', 'user-3'])
    // A cohort that no longer exists is empty.
    expectMembers(await both({ type: 'in_cohort', cohort_id: 'gone' }), [])
  })
})
