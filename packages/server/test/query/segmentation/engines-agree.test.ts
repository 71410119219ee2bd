/**
 * Property test: on random small datasets (ingested through the real store) and random queries —
 * every metric, filters, group-bys, segments with property, cohort and "who performed" conditions
 * in each time_type, intervals, time zones, rolling, limits — the DuckDB engine answers exactly
 * what the reference evaluator answers. This also exercises the shared `segment.ts`,
 * `property-filter.ts` and `event-selector.ts` renderings against each other.
 */
import { FILTER_OPERATORS, PERFORMED_OPERATORS } from '@ampkit/protocol'
import { describe, expect, it } from 'vitest'
import type { CohortResolver } from '../../../src/query/cohort-members.ts'
import { resolveCohorts } from '../../../src/query/cohort-members.ts'
import { loadQueryEvents } from '../../../src/query/query-event.ts'
import { segmentationQueryOf } from '../../../src/query/segmentation/query.ts'
import { referenceAggregatesOf } from '../../../src/query/segmentation/reference.ts'
import { segmentationResult } from '../../../src/query/segmentation/result.ts'
import { segmentationAggregatesSql } from '../../../src/query/segmentation/sql.ts'
import { pick, randomEvents, seededRandom, storeWithEvents } from '../helpers/random-dataset.ts'
import { type Params, queryString, rounded } from './helpers/engines.ts'

const DATASETS = 32
const QUERIES_PER_DATASET = 3

type Random = () => number

const EVENT_PROPS = ['genre', 'price', 'tags', 'flag']
const USER_PROPS = ['gp:plan', 'gp:age', 'platform', 'country']
const VALUES = [
  'rock',
  'jazz',
  'roc',
  '(none)',
  '0',
  '2.5',
  '10',
  'a',
  'b',
  'pro',
  'iOS',
  'Germany',
]

function randomFilter(random: Random) {
  const event = random() < 0.6
  return {
    subprop_type: event ? 'event' : 'user',
    subprop_key: pick(random, event ? EVENT_PROPS : USER_PROPS),
    subprop_op: pick(random, FILTER_OPERATORS),
    subprop_value: [pick(random, VALUES), ...(random() < 0.3 ? [pick(random, VALUES)] : [])],
  }
}

function randomGroupBy(random: Random) {
  return random() < 0.6
    ? { type: 'event', value: pick(random, EVENT_PROPS) }
    : { type: 'user', value: pick(random, USER_PROPS) }
}

function randomEventObject(random: Random, groupBy: object[]) {
  return {
    event_type: pick(random, ['A', 'A', 'B', 'C', 'D', '_active', '_all', 'ce:B']),
    filters: random() < 0.35 ? [randomFilter(random)] : [],
    group_by: groupBy,
  }
}

function randomCondition(random: Random): object {
  const roll = random()
  if (roll < 0.35)
    return {
      prop: pick(random, USER_PROPS),
      op: pick(random, FILTER_OPERATORS),
      values: [pick(random, VALUES)],
    }
  if (roll < 0.5)
    return { prop: 'userdata_cohort', op: pick(random, ['is', 'is not']), values: ['c1'] }
  return {
    type: 'event',
    event_type: pick(random, ['A', 'B', 'C', '_active']),
    filters: random() < 0.3 ? [randomFilter(random)] : [],
    op: pick(random, PERFORMED_OPERATORS),
    value: Math.floor(random() * 4),
    time_type: pick(random, ['allTime', 'currentInterval', 'forEachInterval']),
  }
}

const FORMULAS = [
  'UNIQUES(A)/UNIQUES(B)',
  'TOTALS(A) - 2 * UNIQUES(B)',
  'AVG(A); ACTIVE(B)',
  '(PROPSUM(A) + 1) / TOTALS(B)',
  'PROPAVG(A) - PROPAVG(B)',
  'ACTIVE(A) * 100',
]

/**
 * The newer formula functions, alone and nested (the events of one formula line agree on which
 * read their first group_by as a value only, so every formula is a valid query): values (min, max, distinct, percentiles), per-user
 * reads (PROPCOUNTAVG, FREQPERCENTILE), revenue, ARPAU (active users) and the time operators
 * (ROLLWIN is a second aggregate pass per window; ROLLAVG and CUMSUM read other intervals).
 */
const NEWER_FORMULAS = [
  'PROPMIN(A) + PROPMAX(B)',
  'PROPMAX(A) - PROPMIN(A); PROPCOUNT(B)',
  'PROPCOUNT(A) / UNIQUES(A)',
  'PROPCOUNTAVG(A) * 10 + PROPCOUNTAVG(B)',
  'REVENUETOTAL(A) - REVENUETOTAL(B)',
  'ARPAU(A); ARPAU(B) * 2',
  'PERCENTILE(A, 50) + PERCENTILE(B, 90)',
  'PERCENTILE(A, 0); PERCENTILE(A, 100); PERCENTILE(A, 33.3)',
  'FREQPERCENTILE(A, 50); FREQPERCENTILE(B, 75)',
  'CUMSUM(TOTALS(A)); CUMSUM(UNIQUES(A) / UNIQUES(B))',
  'ROLLAVG(PROPMIN(A), 2) - ROLLAVG(PROPMAX(B), 3)',
  'ROLLWIN(UNIQUES(A), 2); ROLLWIN(TOTALS(A) + FREQPERCENTILE(B, 50), 3)',
  'ROLLAVG(CUMSUM(TOTALS(B)), 2) + ROLLWIN(ARPAU(A), 2)',
  'ROLLAVG(ROLLWIN(PERCENTILE(A, 50), 2), 2); CUMSUM(REVENUETOTAL(A))',
  'ROLLWIN(PROPCOUNT(A), 2) + CUMSUM(PROPSUM(A))',
  'HIST(A)',
  'PROPHIST(B)',
  'ROLLWIN(PROPCOUNTAVG(A) + PERCENTILE(B, 25), 2) / ROLLWIN(PROPMIN(A), 3)',
]

const METRICS = [
  'uniques',
  'totals',
  'pct_dau',
  'average',
  'histogram',
  'sums',
  'value_avg',
  'formula',
]

function randomQuery(
  random: Random,
  metrics: readonly string[] = METRICS,
  valueProperty?: boolean,
  formulas: readonly string[] = FORMULAS,
): { params: Params; segments: object[]; timeZone: string } {
  const metric = pick(random, metrics)
  const formula = pick(random, formulas)
  // A histogram with a group_by property bins users by its value, without by their event count:
  // half of them (by the formula drawn, so the random sequence stays that of other metrics).
  const needsValue =
    valueProperty ??
    (metric === 'sums' || metric === 'value_avg' || /PROP|ARPAU|PERCENTILE/.test(formula))
  const groupCount = needsValue
    ? 1 + Math.floor(random() * 2)
    : random() < 0.4 && metric !== 'histogram'
      ? 1
      : 0
  const groupsOf = () => {
    const groups = Array.from({ length: groupCount }, () => randomGroupBy(random))
    // Value metrics read the first group_by: mostly the numeric `price`.
    if (needsValue && random() < 0.7) groups[0] = { type: 'event', value: 'price' }
    return groups
  }
  // A value function reads its event's first group_by as the value only (formula.ts): when the
  // formula reads a value of one event and not of the other, the other has no value slot, so its
  // group_by loses the first entry and both keep the same number of keys (the random sequence is
  // that of every other query).
  const names = (letter: string) => new RegExp(`\\(${letter}\\b`).test(formula)
  const readsValue = (letter: string) =>
    new RegExp(`\\b(PROP[A-Z]*|ARPAU|PERCENTILE)\\(${letter}\\b`).test(formula)
  const unread = (letter: string, groups: object[]) =>
    metric === 'formula' &&
    names(letter) &&
    !readsValue(letter) &&
    (readsValue('A') || readsValue('B'))
      ? groups.slice(1)
      : groups
  const e = randomEventObject(random, unread('A', groupsOf()))
  // Formulas need the same group_by count on both events; sums/value_avg a value on each.
  const e2 =
    metric === 'formula' || random() < 0.3
      ? randomEventObject(random, metric === 'formula' || needsValue ? unread('B', groupsOf()) : [])
      : undefined
  const interval = pick(random, [1, 1, 1, 7, 30, -3600000, -300000])
  // The datasets span Jul 1–4: ranges start Jun 30 to Jul 2 and last 1 to 4 days.
  const startDay = 30 + Math.floor(random() * 3)
  // Five-minute intervals take at most 2 days.
  const endDay = startDay + Math.floor(random() * (interval === -300000 ? 2 : 4))
  const day = (d: number) => (d <= 30 ? `202406${d}` : `2024070${d - 30}`)
  const rolling = random()
  const params: Params = {
    e,
    e2,
    m: metric,
    formula: metric === 'formula' ? formula : undefined,
    n: random() < 0.2 ? 'active' : undefined,
    start: day(startDay),
    end: day(endDay),
    i: interval,
    g: random() < 0.3 ? pick(random, ['country', 'platform', 'gp:plan']) : undefined,
    limit: pick(random, [1, 2, 3, 100]),
    // ROLLWIN sets its own window: no rollingWindow with it.
    rollingWindow:
      rolling < 0.15 && !formula.includes('ROLLWIN') ? 2 + Math.floor(random() * 2) : undefined,
    rollingAverage: rolling > 0.88 ? 2 + Math.floor(random() * 2) : undefined,
  }
  if (params.g !== undefined && random() < 0.4) params.g2 = pick(random, ['country', 'gp:age'])
  const segmentCount = pick(random, [0, 1, 1, 2])
  const segments = Array.from({ length: segmentCount }, () =>
    Array.from({ length: Math.floor(random() * 3) }, () => randomCondition(random)),
  )
  return { params, segments, timeZone: pick(random, ['UTC', 'America/New_York', 'Asia/Kolkata']) }
}

/** Compares the engines on random datasets; returns how many answers had data. */
async function compareEngines(
  seeds: readonly number[],
  queriesPerDataset: number,
  metrics: readonly string[] = METRICS,
  alternateValue = false,
  formulas: readonly string[] = FORMULAS,
): Promise<{
  compared: number
  nonEmpty: number
  valueBinned: number
  nonEmptyByFormula: Map<string, number>
}> {
  const nonEmptyByFormula = new Map<string, number>()
  let compared = 0
  let nonEmpty = 0
  let valueBinned = 0
  for (const seed of seeds) {
    const store = await storeWithEvents(randomEvents(seed, { events: 50, users: 8 }))
    try {
      const events = await loadQueryEvents(store, 1)
      const users = [...new Set(events.map((e) => e.userKey))]
      const random = seededRandom(seed * 7919)
      const members = new Set(users.filter(() => random() < 0.5))
      const cohorts: CohortResolver = {
        members: async (_, id) => (id === 'c1' ? members : undefined),
      }
      for (let q = 0; q < queriesPerDataset; q++) {
        const { params, segments, timeZone } = randomQuery(
          random,
          metrics,
          alternateValue ? q % 2 === 0 : undefined,
          // Given formulas take turns, so each one is compared on every dataset.
          formulas === FORMULAS ? FORMULAS : [formulas[q % formulas.length] as string],
        )
        const text = queryString(params, segments)
        const query = segmentationQueryOf(new URL(`http://ampkit.test/?${text}`), {
          id: 1,
          timeZone,
        })
        const resolved = await resolveCohorts(query.segments, 1, cohorts)
        const sql = segmentationResult(
          query,
          await segmentationAggregatesSql(store, query, resolved),
        )
        const reference = segmentationResult(query, referenceAggregatesOf(events, query, resolved))
        expect(rounded(sql), `seed ${seed} tz ${timeZone}: ${decodeURIComponent(text)}`).toEqual(
          rounded(reference),
        )
        compared++
        if (sql.seriesCollapsed.some((c) => (c[0]?.value ?? 0) !== 0)) {
          nonEmpty++
          const formula = String(params.formula)
          nonEmptyByFormula.set(formula, (nonEmptyByFormula.get(formula) ?? 0) + 1)
        }
        // Value buckets are named "[min, max)".
        if (sql.seriesMeta.some((m) => String(m.bin).startsWith('['))) valueBinned++
      }
    } finally {
      await store.close()
    }
  }
  return { compared, nonEmpty, valueBinned, nonEmptyByFormula }
}

const seeds = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

describe('segmentation engines', () => {
  it(`agree on ${DATASETS} random datasets × ${QUERIES_PER_DATASET} random queries`, async () => {
    const { compared, nonEmpty } = await compareEngines(seeds(1, DATASETS), QUERIES_PER_DATASET)
    expect(compared).toBe(DATASETS * QUERIES_PER_DATASET)
    // The generator must produce answers with data, or the comparison proves little.
    expect(nonEmpty).toBeGreaterThan(compared / 2)
  }, 120_000)

  it('agree on the frequency and value histograms of 16 more random datasets', async () => {
    // Prices include -3 (a user's value in one interval can lie outside their range total) and
    // non-numbers; the value buckets span every value either engine bins.
    const { compared, nonEmpty, valueBinned } = await compareEngines(
      seeds(101, 16),
      3,
      ['histogram'],
      true,
    )
    expect(compared).toBe(48)
    expect(nonEmpty).toBeGreaterThan(compared / 3)
    // Both kinds are compared, value buckets on many answers.
    expect(valueBinned).toBeGreaterThan(compared / 4)
    expect(valueBinned).toBeLessThan(compared)
  }, 120_000)

  it(`agree on each of ${NEWER_FORMULAS.length} formulas with the newer functions over 20 more random datasets`, async () => {
    const { compared, nonEmptyByFormula } = await compareEngines(
      seeds(201, 20),
      NEWER_FORMULAS.length,
      ['formula'],
      false,
      NEWER_FORMULAS,
    )
    expect(compared).toBe(20 * NEWER_FORMULAS.length)
    // Every formula is compared on answers with data, not only on zeros.
    for (const formula of NEWER_FORMULAS)
      expect(nonEmptyByFormula.get(formula) ?? 0, formula).toBeGreaterThanOrEqual(4)
  }, 240_000)
})
