import { describe, expect, it } from 'vitest'
import { chartCsv } from '../../../src/query/charts/chart-csv.ts'
import {
  basicAuth,
  json,
  ORIGIN,
  OTHER_PROJECT,
  PROJECT,
  postJson,
  testApp,
} from '../../helpers/app-fixture.ts'

const T0 = Date.UTC(2024, 6, 1)
const DAY = 86_400_000
const AUTH = { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) }

type App = Awaited<ReturnType<typeof testApp>>['app']

async function appWithEvents(): Promise<App> {
  const { app } = await testApp({ now: () => T0 + 10 * DAY })
  const events = [
    { event_type: 'Play', user_id: 'user-a', time: T0 + 1000, country: 'Germany' },
    { event_type: 'Play', user_id: 'user-b', time: T0 + 2000 },
    { event_type: 'Play', user_id: 'user-a', time: T0 + DAY + 1000 },
  ]
  expect((await app.handle(postJson('/batch', { api_key: PROJECT.apiKey, events }))).status).toBe(
    200,
  )
  return app
}

async function save(app: App, chart: unknown, auth = AUTH): Promise<Response> {
  return app.handle(postJson('/api/3/chart/ampkit', chart, { headers: auth }))
}

async function savedId(app: App, chart: unknown): Promise<string> {
  const response = await save(app, chart)
  expect(response.status).toBe(200)
  const { chart_id: id } = (await json(response)) as { chart_id: string }
  expect(id).toMatch(/^[0-9a-z]{7}$/)
  return id
}

function get(app: App, path: string, auth: Record<string, string> = AUTH): Promise<Response> {
  return app.handle(new Request(`${ORIGIN}${path}`, { headers: auth }))
}

describe('saved charts', () => {
  it('replays a saved users query through /query, as the endpoint itself answers it', async () => {
    const app = await appWithEvents()
    const params = { start: '20240701', end: '20240702', g: 'country' }
    const id = await savedId(app, { name: 'Users by country', endpoint: '/api/2/users', params })
    const direct = await json(await get(app, `/api/2/users?${new URLSearchParams(params)}`))
    const replayed = await get(app, `/api/3/chart/${id}/query`)
    expect(replayed.status).toBe(200)
    expect((await json(replayed)).data).toEqual(direct.data)
  })

  it('answers segmentation points as {setId, value} objects', async () => {
    const app = await appWithEvents()
    const id = await savedId(app, {
      name: 'Plays',
      endpoint: '/api/2/events/segmentation',
      params: { e: { event_type: 'Play' }, start: 20240701, end: 20240702 },
    })
    const data = (await json(await get(app, `/api/3/chart/${id}/query`))).data as {
      series: unknown[][]
      xValues: string[]
    }
    // uniques: 07-01 a, b = 2; 07-02 a = 1
    expect(data.series).toEqual([
      [
        { setId: '', value: 2 },
        { setId: '', value: 1 },
      ],
    ])
    expect(data.xValues).toEqual(['2024-07-01', '2024-07-02'])
  })

  it('sends an s array of conditions as one segment and other arrays as repeated keys', async () => {
    const app = await appWithEvents()
    const germany = [{ prop: 'country', op: 'is', values: ['Germany'] }]
    const one = await savedId(app, {
      name: 'Germany',
      endpoint: '/api/2/users',
      params: { start: '20240701', end: '20240702', s: germany },
    })
    // Germany: a's event on 07-01 only
    const data = (await json(await get(app, `/api/3/chart/${one}/query`))).data as {
      series: number[][]
    }
    expect(data.series).toEqual([[1, 0]])
    const two = await savedId(app, {
      name: 'Two segments',
      endpoint: '/api/2/users',
      params: { start: '20240701', end: '20240702', s: [[], germany] },
    })
    const both = (await json(await get(app, `/api/3/chart/${two}/query`))).data as {
      series: number[][]
    }
    // all users: a, b on 07-01, a on 07-02; Germany as above
    expect(both.series).toEqual([
      [2, 1],
      [1, 0],
    ])
  })

  it('renders a time-series chart as CSV: a header of x-values, a row per series', async () => {
    const app = await appWithEvents()
    const id = await savedId(app, {
      name: 'Users',
      endpoint: '/api/2/users',
      params: { start: '20240701', end: '20240702', g: 'country' },
    })
    const response = await get(app, `/api/3/chart/${id}/csv`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/)
    // (none): b on 07-01, a on 07-02 (no country on that event); Germany: a on 07-01
    expect(await response.text()).toBe(
      'Series,2024-07-01,2024-07-02\r\n(none),1,1\r\nGermany,1,0\r\n',
    )
  })

  it('renders a retention chart as CSV, a row per cohort date', async () => {
    const app = await appWithEvents()
    const id = await savedId(app, {
      name: 'Retention',
      endpoint: '/api/2/retention',
      params: {
        se: { event_type: '_new' },
        re: { event_type: '_all' },
        start: '20240701',
        end: '20240701',
      },
    })
    const response = await get(app, `/api/3/chart/${id}/csv`)
    expect(response.status).toBe(200)
    const [header, ...rows] = (await response.text()).trimEnd().split('\r\n')
    expect(header).toMatch(/^Series,Date,Users,Day 0,Day 1,/)
    // One cohort (07-01): a and b are new (Users 2); a returns exactly 24 h later (Day 1), none
    // within the first 24 h (Day 0).
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatch(/^[^,]*,2024-07-01,2,0,1(,|$)/)
  })

  it('passes the replayed endpoint’s 400 through, and 404s unknown or foreign ids', async () => {
    const app = await appWithEvents()
    const bad = await savedId(app, {
      name: 'x',
      endpoint: '/api/2/users',
      params: { start: 'nope' },
    })
    const replayed = await get(app, `/api/3/chart/${bad}/query`)
    expect(replayed.status).toBe(400)
    expect((await get(app, '/api/3/chart/zzzzzzz/query')).status).toBe(404)
    const other = { authorization: basicAuth(OTHER_PROJECT.apiKey, OTHER_PROJECT.secretKey) }
    expect((await get(app, `/api/3/chart/${bad}/csv`, other)).status).toBe(404)
    expect((await get(app, `/api/3/chart/${bad}/query`, {})).status).toBe(401)
  })

  it('refuses a chart with an unknown endpoint or malformed params', async () => {
    const app = await appWithEvents()
    const cases = [
      { name: 'x', endpoint: '/api/2/export', params: {} },
      { name: 'x', endpoint: '/api/2/users', params: [] },
      { name: 3, endpoint: '/api/2/users', params: {} },
      'not an object',
    ]
    for (const chart of cases) {
      const response = await save(app, chart)
      expect(response.status, JSON.stringify(chart)).toBe(400)
    }
    const wrongMethod = await app.handle(
      new Request(`${ORIGIN}/api/3/chart/ampkit`, { headers: AUTH }),
    )
    expect(wrongMethod.status).toBe(405)
  })
})

describe('chart CSV layouts', () => {
  it('quotes fields with commas, quotes and line breaks', () => {
    const csv = chartCsv({ series: [[1]], seriesLabels: ['a, "b"'], xValues: ['x\ny'] })
    expect(csv).toBe('Series,"x\ny"\r\n"a, ""b""",1\r\n')
  })

  it('writes funnels as one row of step counts per series', () => {
    const csv = chartCsv([
      { meta: { segmentIndex: 0 }, events: ['Open', 'Buy'], cumulativeRaw: [10, 3] },
      {
        meta: { segmentIndex: 0 },
        groupValue: 'Germany',
        events: ['Open', 'Buy'],
        cumulativeRaw: [4, 1],
      },
    ])
    expect(csv).toBe('Series,Open,Buy\r\nSegment 1,10,3\r\nGermany,4,1\r\n')
  })

  it('writes retention cells and LTV rows per date', () => {
    const retention = chartCsv({
      series: [
        {
          dates: ['2024-07-02', '2024-07-01'],
          values: {
            '2024-07-02': [{ count: 5, outof: 5, incomplete: false }],
            '2024-07-01': [
              { count: 4, outof: 4, incomplete: false },
              { count: 2, outof: 4, incomplete: false },
            ],
          },
        },
      ],
      seriesMeta: [{ segmentIndex: 0 }],
    })
    expect(retention).toBe(
      'Series,Date,Users,Day 0\r\nSeries 1,2024-07-02,5\r\nSeries 1,2024-07-01,4,2\r\n',
    )
    const ltv = chartCsv({
      seriesLabels: [''],
      series: [{ dates: ['2024-07-01'], values: { '2024-07-01': { count: 2, paid: 1, r1d: 5 } } }],
    })
    expect(ltv).toBe('Series,Date,count,paid,r1d\r\nSeries 1,2024-07-01,2,1,5\r\n')
  })

  it('writes the events list as a table of its keys', () => {
    expect(chartCsv([{ value: 'Play', totals: 2 }])).toBe('value,totals\r\nPlay,2\r\n')
  })
})
