/** Every bad parameter of `/api/2/events/segmentation` is a 400 that names it. */
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../../src/errors.ts'
import { resolveCohorts } from '../../../src/query/cohort-members.ts'
import { segmentationQueryOf } from '../../../src/query/segmentation/query.ts'
import { type Params, queryString } from './helpers/engines.ts'

const E = { event_type: 'Play' }
const BASE: Params = { e: E, start: '20240701', end: '20240703' }

function parse(params: Params, segments: readonly object[] = []) {
  const url = new URL(`http://ampkit.test/?${queryString(params, segments)}`)
  return segmentationQueryOf(url, { id: 1, timeZone: 'UTC' })
}

function refusal(run: () => unknown): { status: number; error: string } {
  try {
    run()
  } catch (error) {
    if (error instanceof ApiError)
      return { status: error.status, error: String((error.body as { error: unknown }).error) }
    throw error
  }
  throw new Error('expected a 400')
}

const grouped = (value: string) => ({ event_type: 'Play', group_by: [{ type: 'event', value }] })

const CASES: [string, Params, RegExp][] = [
  ['e is missing', { start: '20240701', end: '20240703' }, /Missing required parameter: e/],
  ['e is not JSON', { ...BASE, e: '{nope' }, /Invalid parameter e: not valid JSON/],
  ['e has no event_type', { ...BASE, e: { filters: [] } }, /event_type is required/],
  [
    'a filter has an unknown operator',
    {
      ...BASE,
      e: {
        event_type: 'Play',
        filters: [
          { subprop_type: 'event', subprop_key: 'k', subprop_op: 'like', subprop_value: [] },
        ],
      },
    },
    /unknown operator/,
  ],
  ['e2 is not JSON', { ...BASE, e2: '[' }, /Invalid parameter e2/],
  ['m is unknown', { ...BASE, m: 'median' }, /Invalid parameter m/],
  ['m=formula has no formula', { ...BASE, m: 'formula' }, /Missing required parameter: formula/],
  [
    'a formula calls an unsupported function',
    { ...BASE, m: 'formula', formula: 'MEDIAN(A)' },
    /unsupported function MEDIAN/,
  ],
  [
    'PROPMIN is given two events',
    { ...BASE, e: grouped('price'), m: 'formula', formula: 'PROPMIN(A, B)' },
    /PROPMIN takes one argument: PROPMIN\(letter\)/,
  ],
  [
    'PROPMAX is given an expression instead of a letter',
    { ...BASE, e: grouped('price'), m: 'formula', formula: 'PROPMAX(UNIQUES(A))' },
    /PROPMAX takes one event letter/,
  ],
  [
    'PROPCOUNT reads an event without group_by',
    { ...BASE, m: 'formula', formula: 'PROPCOUNT(A)' },
    /PROPCOUNT reads the first group_by of event A/,
  ],
  [
    'PROPCOUNTAVG reads an event without group_by',
    { ...BASE, m: 'formula', formula: 'PROPCOUNTAVG(A)' },
    /PROPCOUNTAVG reads the first group_by/,
  ],
  [
    'ARPAU reads an event without group_by',
    { ...BASE, m: 'formula', formula: 'ARPAU(A)' },
    /ARPAU reads the first group_by/,
  ],
  [
    'REVENUETOTAL has no event letter',
    { ...BASE, m: 'formula', formula: 'REVENUETOTAL()' },
    /REVENUETOTAL takes one event letter/,
  ],
  [
    'PERCENTILE has no percentile',
    { ...BASE, e: grouped('price'), m: 'formula', formula: 'PERCENTILE(A)' },
    /PERCENTILE takes an event letter and a percentile/,
  ],
  [
    'PERCENTILE has a percentile above 100',
    { ...BASE, e: grouped('price'), m: 'formula', formula: 'PERCENTILE(A, 150)' },
    /PERCENTILE takes a percentile from 0 to 100, not 150/,
  ],
  [
    'FREQPERCENTILE has a negative percentile',
    { ...BASE, m: 'formula', formula: 'FREQPERCENTILE(A, -5)' },
    /FREQPERCENTILE takes a percentile from 0 to 100, not -5/,
  ],
  [
    'FREQPERCENTILE has a word for a percentile',
    { ...BASE, m: 'formula', formula: 'FREQPERCENTILE(A, B)' },
    /FREQPERCENTILE takes a number there/,
  ],
  [
    'PERCENTILE has three arguments',
    { ...BASE, e: grouped('price'), m: 'formula', formula: 'PERCENTILE(A, 50, 2)' },
    /PERCENTILE takes two arguments/,
  ],
  [
    'CUMSUM has two arguments',
    { ...BASE, m: 'formula', formula: 'CUMSUM(UNIQUES(A), 2)' },
    /CUMSUM takes one argument: CUMSUM\(expression\)/,
  ],
  ['CUMSUM is empty', { ...BASE, m: 'formula', formula: 'CUMSUM()' }, /CUMSUM takes one argument/],
  [
    'ROLLAVG has no window',
    { ...BASE, m: 'formula', formula: 'ROLLAVG(UNIQUES(A))' },
    /ROLLAVG takes an expression and a number of intervals/,
  ],
  [
    'ROLLWIN has a fractional window',
    { ...BASE, m: 'formula', formula: 'ROLLWIN(UNIQUES(A), 2.5)' },
    /ROLLWIN takes a whole number of intervals from 1 to 365, not 2.5/,
  ],
  [
    'ROLLAVG has a zero window',
    { ...BASE, m: 'formula', formula: 'ROLLAVG(TOTALS(A), 0)' },
    /ROLLAVG takes a whole number of intervals from 1 to 365, not 0/,
  ],
  [
    'PROPMIN reads the only group_by of A while B is grouped',
    {
      ...BASE,
      e: grouped('price'),
      e2: grouped('x'),
      m: 'formula',
      formula: 'PROPMIN(A)/UNIQUES(B)',
    },
    /same number of group_by clauses \(besides the property a value function such as PROPSUM or PROPMIN reads\)/,
  ],
  [
    'PROPSUM reads the only group_by of A while B is grouped',
    {
      ...BASE,
      e: grouped('price'),
      e2: grouped('x'),
      m: 'formula',
      formula: 'PROPSUM(A)/UNIQUES(B)',
    },
    /same number of group_by clauses \(besides the property/,
  ],
  [
    'HIST is combined with arithmetic',
    { ...BASE, m: 'formula', formula: 'HIST(A) + 1' },
    /HIST charts a histogram and stands alone/,
  ],
  [
    'PROPHIST is one of several formulas',
    { ...BASE, e: grouped('price'), m: 'formula', formula: 'PROPHIST(A); UNIQUES(A)' },
    /PROPHIST charts a histogram and stands alone/,
  ],
  [
    'PROPHIST reads an event without group_by',
    { ...BASE, m: 'formula', formula: 'PROPHIST(A)' },
    /PROPHIST reads the first group_by/,
  ],
  [
    'ROLLWIN is combined with rollingWindow',
    { ...BASE, m: 'formula', formula: 'ROLLWIN(UNIQUES(A), 3)', rollingWindow: 2 },
    /ROLLWIN already sets the window/,
  ],
  [
    'a formula names B without e2',
    { ...BASE, m: 'formula', formula: 'UNIQUES(A)/UNIQUES(B)' },
    /event B is not in the query/,
  ],
  [
    'a formula is malformed',
    { ...BASE, m: 'formula', formula: 'UNIQUES(A) +' },
    /Invalid parameter formula/,
  ],
  [
    'a formula has unbalanced parentheses',
    { ...BASE, m: 'formula', formula: '(UNIQUES(A)' },
    /expected "\)"/,
  ],
  ['a formula has stray characters', { ...BASE, m: 'formula', formula: 'UNIQUES(A) % 2' }, /%/],
  ['a formula names no event', { ...BASE, m: 'formula', formula: '1 + 2' }, /names no event/],
  [
    'PROPSUM reads an event without group_by',
    { ...BASE, m: 'formula', formula: 'PROPSUM(A)' },
    /PROPSUM reads the first group_by/,
  ],
  [
    'formula events have different group_by counts',
    { ...BASE, e: grouped('x'), e2: E, m: 'formula', formula: 'UNIQUES(A)/UNIQUES(B)' },
    /same number of group_by/,
  ],
  ['formula is sent without m=formula', { ...BASE, formula: 'UNIQUES(A)' }, /only with m=formula/],
  ['sums has no group_by property', { ...BASE, m: 'sums' }, /first group_by/],
  ['value_avg has no group_by property', { ...BASE, m: 'value_avg' }, /first group_by/],
  [
    'a property histogram has e2 without a group_by property',
    { ...BASE, e: grouped('price'), e2: { event_type: 'View' }, m: 'histogram' },
    /Invalid parameter e2: m=histogram reads the numeric property/,
  ],
  ['n is unknown', { ...BASE, n: 'new' }, /Invalid parameter n/],
  ['start is missing', { e: E, end: '20240703' }, /Missing required parameter: start/],
  ['start is not a date', { ...BASE, start: '2024-07-01' }, /Invalid parameter start/],
  ['end is not a real date', { ...BASE, end: '20240231' }, /Invalid parameter end/],
  ['end is before start', { ...BASE, start: '20240705' }, /end is before start/],
  ['i is unknown', { ...BASE, i: 2 }, /Invalid parameter i/],
  ['hourly spans more than 7 days', { ...BASE, i: -3600000, end: '20240708' }, /at most 7 days/],
  ['real-time spans more than 2 days', { ...BASE, i: -300000 }, /at most 2 days/],
  ['daily spans more than 365 days', { ...BASE, end: '20250701' }, /at most 365 days/],
  ['limit is 0', { ...BASE, limit: 0 }, /Invalid parameter limit/],
  ['limit is above 1000', { ...BASE, limit: 1001 }, /Invalid parameter limit/],
  ['limit is not a number', { ...BASE, limit: 'ten' }, /Invalid parameter limit/],
  ['g is an unknown built-in property', { ...BASE, g: 'plan' }, /gp: prefix/],
  ['g2 comes without g', { ...BASE, g2: 'country' }, /g2: only together with g/],
  ['rollingWindow is 0', { ...BASE, rollingWindow: 0 }, /Invalid parameter rollingWindow/],
  ['rollingAverage is not an integer', { ...BASE, rollingAverage: 1.5 }, /rollingAverage/],
  [
    'rollingWindow and rollingAverage are both set',
    { ...BASE, rollingWindow: 2, rollingAverage: 2 },
    /use one of them/,
  ],
  ['s is not JSON', { ...BASE, s: '[{' }, /Invalid parameter s: not valid JSON/],
  ['s is not an array', { ...BASE, s: { prop: 'country' } }, /expected an array of conditions/],
  [
    's has an unknown operator',
    { ...BASE, s: [{ prop: 'country', op: 'near', values: ['x'] }] },
    /unknown operator/,
  ],
  [
    's has a performed condition with a bad count',
    { ...BASE, s: [{ type: 'event', event_type: 'Buy', op: '>=', value: -1 }] },
    /non-negative integer/,
  ],
  [
    's has a performed condition with a bad time_type',
    { ...BASE, s: [{ type: 'event', event_type: 'Buy', op: '>=', value: 1, time_type: 'week' }] },
    /time_type/,
  ],
]

describe('segmentation parameters', () => {
  it.each(CASES)('answers 400 when %s', (_, params, message) => {
    const { status, error } = refusal(() => parse(params))
    expect(status).toBe(400)
    expect(error).toMatch(message)
  })

  it('answers 400 for more than 10 segments', () => {
    const { status, error } = refusal(() => parse(BASE, new Array(11).fill([])))
    expect(status).toBe(400)
    expect(error).toMatch(/at most 10 segments/)
  })

  it('answers 400 for a cohort the server does not know', async () => {
    const query = parse(BASE, [[{ prop: 'userdata_cohort', op: 'is', values: ['zz'] }]])
    await expect(resolveCohorts(query.segments, 1, undefined)).rejects.toMatchObject({
      status: 400,
      body: { code: 400, error: expect.stringMatching(/unknown cohort "zz"/) },
    })
  })

  it('fills the defaults: uniques, any user, daily, limit 100, no rolling', () => {
    const query = parse(BASE)
    expect(query).toMatchObject({
      metric: 'uniques',
      userType: 'any',
      limit: 100,
      rollingWindow: 1,
      rollingAverage: 1,
      groupBy: [],
      segments: [{ conditions: [] }],
    })
    expect(query.range.interval).toBe('day')
  })
})
