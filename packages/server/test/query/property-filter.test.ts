import { FILTER_OPERATORS } from '@ampkit/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PropertyFilter, PropertyRef } from '../../src/query/ir.ts'
import { filterSql, matchesFilter, propertyValues } from '../../src/query/property-filter.ts'
import { loadQueryEvents, type QueryEvent, queryEventsCte } from '../../src/query/query-event.ts'
import { SqlParams } from '../../src/query/sql-params.ts'
import type { DuckDbStore } from '../../src/store/duckdb-store.ts'
import { pick, randomEvents, seededRandom, storeWithEvents } from './helpers/random-dataset.ts'

let store: DuckDbStore
let events: QueryEvent[]

beforeAll(async () => {
  store = await storeWithEvents(randomEvents(7, { events: 150, users: 10 }))
  events = await loadQueryEvents(store, 1)
})

afterAll(async () => {
  await store.close()
})

async function sqlMatches(filter: PropertyFilter): Promise<number[]> {
  const params = new SqlParams()
  const cte = queryEventsCte(params, 1)
  const predicate = filterSql(filter, params)
  const rows = await store.selectRows(
    `WITH ${cte} SELECT seq FROM ev WHERE ${predicate} ORDER BY seq`,
    params.values,
  )
  return rows.map((r) => r.seq as number)
}

function referenceMatches(filter: PropertyFilter): number[] {
  return events
    .filter((e) => matchesFilter(filter, e))
    .map((e) => e.seq)
    .sort((a, b) => a - b)
}

const REFS: PropertyRef[] = [
  { scope: 'event', key: 'genre' },
  { scope: 'event', key: 'price' },
  { scope: 'event', key: 'tags' },
  { scope: 'event', key: 'flag' },
  { scope: 'event', key: 'missing' },
  { scope: 'user', key: 'plan' },
  { scope: 'user', key: 'age' },
  { scope: 'column', column: 'platform' },
  { scope: 'column', column: 'country' },
]
const VALUES = [
  'rock',
  'jazz',
  'roc',
  'ROCK',
  '(none)',
  '0',
  '2.5',
  '10',
  'a',
  'b',
  '1',
  'true',
  'pro',
  'iOS',
  'Germany',
  '25',
  '-3',
]

describe('property filters', () => {
  it('reads a property as its values: array elements, scalars as JSON text, nothing when null', () => {
    const e = (props: Record<string, unknown>) =>
      ({ eventProperties: props }) as unknown as QueryEvent
    const ref: PropertyRef = { scope: 'event', key: 'x' }
    expect(propertyValues(ref, e({ x: ['a', 1, null, true] }))).toEqual(['a', '1', 'true'])
    expect(propertyValues(ref, e({ x: 2.5 }))).toEqual(['2.5'])
    expect(propertyValues(ref, e({ x: null }))).toEqual([])
    expect(propertyValues(ref, e({}))).toEqual([])
  })

  it('pins each operator on a hand-made event', () => {
    const event = {
      eventProperties: { genre: 'Rock and Roll', tags: ['a', 'b'], price: 10 },
    } as unknown as QueryEvent
    const f = (key: string, op: PropertyFilter['op'], values: string[]) =>
      matchesFilter({ property: { scope: 'event', key }, op, values }, event)
    expect(f('genre', 'is', ['Rock and Roll'])).toBe(true)
    expect(f('genre', 'is', ['rock and roll'])).toBe(false)
    expect(f('genre', 'contains', ['ROCK'])).toBe(true)
    expect(f('genre', 'does not contain', ['jazz'])).toBe(true)
    expect(f('tags', 'is', ['b'])).toBe(true)
    expect(f('tags', 'set is', ['b', 'a'])).toBe(true)
    expect(f('tags', 'set is', ['a'])).toBe(false)
    expect(f('price', 'greater', ['9.5'])).toBe(true)
    expect(f('price', 'less or equal', ['10'])).toBe(true)
    expect(f('price', 'less', ['abc'])).toBe(false)
    expect(f('missing', 'is', ['(none)'])).toBe(true)
    expect(f('missing', 'is not', ['x'])).toBe(true)
  })

  it('gives the same events in SQL as the reference for every operator on every property kind', async () => {
    const random = seededRandom(11)
    let compared = 0
    for (let round = 0; round < 3; round++) {
      for (const property of REFS) {
        for (const op of FILTER_OPERATORS) {
          const values = [pick(random, VALUES), ...(random() < 0.5 ? [pick(random, VALUES)] : [])]
          const filter: PropertyFilter = { property, op, values }
          expect(await sqlMatches(filter), JSON.stringify(filter)).toEqual(referenceMatches(filter))
          compared++
        }
      }
    }
    expect(compared).toBe(3 * REFS.length * FILTER_OPERATORS.length)
  })
})
