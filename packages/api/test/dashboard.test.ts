import { afterEach, describe, expect, it } from 'vitest'
import {
  createAmplitudeApi,
  ParameterError,
  ProtocolError,
  pointValue,
  seriesLabelParts,
  seriesValues,
} from '../src/index.ts'
import { sendJson, startTestServer, type TestServer } from './helpers/http-server.ts'

const servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function setup(answer: (path: string) => unknown = () => ({ data: { series: [] } })) {
  const server = await startTestServer((req, res) => sendJson(res, 200, answer(req.path)))
  servers.push(server)
  return { server, api: createAmplitudeApi({ apiKey: 'k', secretKey: 's', baseUrl: server.url }) }
}

function sent(server: TestServer, index = 0): [string, string][] {
  return [...(server.requests[index]?.query.entries() ?? [])]
}

describe('segmentation', () => {
  it('sends every parameter under its wire name, segments repeated', async () => {
    const { server, api } = await setup()
    await api.segmentation({
      event: {
        event_type: 'Play',
        filters: [
          {
            subprop_type: 'event',
            subprop_key: 'genre',
            subprop_op: 'is',
            subprop_value: ['rock'],
          },
        ],
      },
      secondEvent: 'Search',
      metric: 'formula',
      formula: 'UNIQUES(A)/UNIQUES(B)',
      userType: 'active',
      start: new Date(Date.UTC(2024, 6, 1, 22)),
      end: '20240707',
      interval: 7,
      segments: [[{ prop: 'country', op: 'is', values: ['US'] }], []],
      limit: 50,
      rollingWindow: 3,
      rollingAverage: 2,
    })
    expect(server.requests[0]?.path).toBe('/api/2/events/segmentation')
    expect(sent(server)).toEqual([
      [
        'e',
        JSON.stringify({
          event_type: 'Play',
          filters: [
            {
              subprop_type: 'event',
              subprop_key: 'genre',
              subprop_op: 'is',
              subprop_value: ['rock'],
            },
          ],
        }),
      ],
      ['e2', '{"event_type":"Search"}'],
      ['m', 'formula'],
      ['formula', 'UNIQUES(A)/UNIQUES(B)'],
      ['n', 'active'],
      ['start', '20240701'],
      ['end', '20240707'],
      ['i', '7'],
      ['s', '[{"prop":"country","op":"is","values":["US"]}]'],
      ['s', '[]'],
      ['limit', '50'],
      ['rollingWindow', '3'],
      ['rollingAverage', '2'],
    ])
  })

  it('sends a frequency histogram without a group-by and a value histogram with one', async () => {
    const { server, api } = await setup()
    await api.segmentation({
      event: 'Play',
      metric: 'histogram',
      start: '20240701',
      end: '20240701',
    })
    await api.segmentation({
      event: { event_type: 'Play', group_by: [{ type: 'event', value: 'price' }] },
      metric: 'histogram',
      start: '20240701',
      end: '20240701',
    })
    expect(sent(server, 0)).toContainEqual(['m', 'histogram'])
    expect(sent(server, 0)).toContainEqual(['e', '{"event_type":"Play"}'])
    expect(sent(server, 1)).toContainEqual([
      'e',
      '{"event_type":"Play","group_by":[{"type":"event","value":"price"}]}',
    ])
  })

  it('sends two group-bys as g and g2', async () => {
    const { server, api } = await setup()
    await api.segmentation({
      event: '_active',
      start: '20240701',
      end: '20240701',
      groupBy: ['country', 'gp:plan'],
    })
    expect(sent(server)).toEqual([
      ['e', '{"event_type":"_active"}'],
      ['start', '20240701'],
      ['end', '20240701'],
      ['g', 'country'],
      ['g2', 'gp:plan'],
    ])
  })

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an empty event type', { event: '' }, /segmentation: event needs a non-empty event_type/],
    ['an unknown metric', { metric: 'median' }, /metric must be one of uniques/],
    ['a formula metric without formula', { metric: 'formula' }, /formula is required/],
    ['a formula without the formula metric', { formula: 'UNIQUES(A)' }, /formula needs metric/],
    [
      'a property metric without a group-by property',
      { metric: 'sums' },
      /event.group_by must name the property/,
    ],
    [
      'a property histogram whose second event has no group-by property',
      {
        metric: 'histogram',
        event: { event_type: 'Play', group_by: [{ type: 'event', value: 'price' }] },
        secondEvent: 'View',
      },
      /secondEvent.group_by must name the property/,
    ],
    ['an unknown interval', { interval: 2 }, /interval must be one of/],
    [
      'an hourly range over 7 days',
      { interval: -3600000, end: '20240710' },
      /covers at most 7 days/,
    ],
    ['a daily range over 365 days', { end: '20250801' }, /at most 365/],
    ['three group-bys', { groupBy: ['a', 'b', 'c'] }, /groupBy takes at most 2 properties/],
    ['a group-by with two segments', { groupBy: 'country', segments: [[], []] }, /single segment/],
    ['limit 0', { limit: 0 }, /limit must be an integer 1..1000, got 0/],
    ['limit 1001', { limit: 1001 }, /limit must be an integer 1..1000/],
    ['a malformed day', { start: '2024-07-01' }, /start must be a Date or YYYYMMDD/],
    ['an impossible day', { start: '20240231' }, /start is not a real day/],
    ['end before start', { start: '20240702', end: '20240701' }, /end is before start/],
    [
      'a bad filter operator',
      {
        event: {
          event_type: 'x',
          filters: [
            { subprop_type: 'event', subprop_key: 'k', subprop_op: 'equals', subprop_value: ['v'] },
          ],
        },
      },
      /event.filters\[0\] subprop_op must be one of/,
    ],
    [
      'a bad segment condition',
      { segments: [[{ prop: 'country', op: '=', values: [] }]] },
      /segments\[0\]\[0\] op must be one of/,
    ],
  ]
  it.each(bad)(
    'refuses %s before sending, naming the parameter',
    async (_name, override, message) => {
      const { server, api } = await setup()
      const query = { event: 'Play', start: '20240701', end: '20240702', ...override }
      const error = await api.segmentation(query as never).catch((e) => e)
      expect(error).toBeInstanceOf(ParameterError)
      expect(error.message).toMatch(message)
      expect(server.requests).toHaveLength(0)
    },
  )

  it('fails with a ProtocolError when the answer has no data', async () => {
    const { api } = await setup(() => ({ nothing: true }))
    await expect(
      api.segmentation({ event: 'x', start: '20240701', end: '20240701' }),
    ).rejects.toThrow(ProtocolError)
  })
})

describe('the other dashboard endpoints', () => {
  it('sends funnel steps as repeated e with mode, n, cs, i, s, g and limit', async () => {
    const { server, api } = await setup(() => ({ data: [] }))
    await api.funnels({
      steps: ['Search', { event_type: 'Play' }],
      start: '20240701',
      end: '20240707',
      mode: 'sequential',
      userType: 'new',
      interval: 1,
      conversionWindowSeconds: 3600,
      segments: [[{ prop: 'country', op: 'is', values: ['DE'] }]],
      groupBy: 'platform',
      limit: 10,
    })
    expect(server.requests[0]?.path).toBe('/api/2/funnels')
    expect(sent(server)).toEqual([
      ['e', '{"event_type":"Search"}'],
      ['e', '{"event_type":"Play"}'],
      ['start', '20240701'],
      ['end', '20240707'],
      ['mode', 'sequential'],
      ['n', 'new'],
      ['i', '1'],
      ['cs', '3600'],
      ['s', '[{"prop":"country","op":"is","values":["DE"]}]'],
      ['g', 'platform'],
      ['limit', '10'],
    ])
  })

  it('refuses a funnel without steps and a funnel grouped by two properties', async () => {
    const { api } = await setup()
    await expect(api.funnels({ steps: [], start: '20240701', end: '20240701' })).rejects.toThrow(
      /funnels: steps needs at least one event/,
    )
    await expect(
      api.funnels({
        steps: ['a'],
        start: '20240701',
        end: '20240701',
        groupBy: ['a', 'b'] as never,
      }),
    ).rejects.toThrow(/groupBy takes at most 1 property/)
  })

  it('sends retention se/re, rm and rb for brackets, and no rm for n-day', async () => {
    const { server, api } = await setup()
    await api.retention({
      startEvent: '_new',
      returnEvent: '_all',
      start: '20240701',
      end: '20240707',
      mode: 'bracket',
      brackets: [
        [0, 5],
        [5, 10],
      ],
      interval: 1,
    })
    await api.retention({
      startEvent: '_new',
      returnEvent: '_all',
      start: '20240701',
      end: '20240707',
    })
    expect(sent(server, 0)).toEqual([
      ['se', '{"event_type":"_new"}'],
      ['re', '{"event_type":"_all"}'],
      ['start', '20240701'],
      ['end', '20240707'],
      ['rm', 'bracket'],
      ['rb', '[[0,5],[5,10]]'],
      ['i', '1'],
    ])
    expect(sent(server, 1).map(([k]) => k)).toEqual(['se', 're', 'start', 'end'])
    await expect(
      api.retention({
        startEvent: '_new',
        returnEvent: '_all',
        start: '20240701',
        end: '20240707',
        mode: 'bracket',
      }),
    ).rejects.toThrow(/brackets are required/)
    await expect(
      api.retention({
        startEvent: '_new',
        returnEvent: '_all',
        start: '20240701',
        end: '20240707',
        mode: 'bracket',
        brackets: [[3, 3]],
      }),
    ).rejects.toThrow(/brackets\[0\] must be \[from, to\)/)
  })

  it('sends users, sessions, revenue, composition, realtime, events list, user lookups and charts to their paths', async () => {
    const { server, api } = await setup((path) =>
      path === '/api/2/usersearch'
        ? { type: 'nomatch', matches: [] }
        : path === '/api/2/useractivity'
          ? { userData: { user_id: 'u' }, events: [] }
          : path.endsWith('/list')
            ? { data: [] }
            : { data: { series: [[1]], xValues: ['2024-07-01'] } },
    )
    const range = { start: '20240701', end: '20240701' }
    await api.users({ ...range, metric: 'new', interval: 7, groupBy: 'country' })
    await api.sessionLength({ ...range, binTimeUnit: 'minutes', binMin: 0, binMax: 60, binSize: 5 })
    await api.sessionAverage(range)
    await api.sessionsPerUser(range)
    await api.revenueLtv({ ...range, metric: 'paying' })
    await api.composition({ ...range, property: 'version' })
    await api.realtime()
    await api.eventsList()
    await api.userSearch('user@example.com')
    await api.userActivity({ user: 12345, offset: 10, limit: 100, direction: 'earliest' })
    await api.chart('abc123')
    expect(server.requests.map((r) => `${r.path}?${r.query}`)).toEqual([
      '/api/2/users?start=20240701&end=20240701&m=new&i=7&g=country',
      '/api/2/sessions/length?start=20240701&end=20240701&timeHistogramConfigBinTimeUnit=minutes&timeHistogramConfigBinMin=0&timeHistogramConfigBinMax=60&timeHistogramConfigBinSize=5',
      '/api/2/sessions/average?start=20240701&end=20240701',
      '/api/2/sessions/peruser?start=20240701&end=20240701',
      '/api/2/revenue/ltv?start=20240701&end=20240701&m=3',
      '/api/2/composition?start=20240701&end=20240701&p=version',
      '/api/2/realtime?i=5',
      '/api/2/events/list?',
      '/api/2/usersearch?user=user%40example.com',
      '/api/2/useractivity?user=12345&offset=10&limit=100&direction=earliest',
      '/api/3/chart/abc123/query?',
    ])
    await expect(api.userActivity({ user: 'u1' })).rejects.toThrow(
      /userActivity: user must be an Amplitude id/,
    )
    await expect(api.sessionLength({ ...range, binMin: 0 })).rejects.toThrow(/custom bins need/)
  })

  it('returns a saved chart as CSV text', async () => {
    const server = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' })
      res.end('"Date","Uniques"\n"2024-07-01",3\n')
    })
    servers.push(server)
    const api = createAmplitudeApi({ apiKey: 'k', secretKey: 's', baseUrl: server.url })
    expect(await api.chartCsv('abc123')).toBe('"Date","Uniques"\n"2024-07-01",3\n')
    expect(server.requests[0]?.path).toBe('/api/3/chart/abc123/csv')
  })
})

describe('series helpers', () => {
  it('read points and labels in every form the API sends', () => {
    expect(seriesValues([1, { setId: '', value: 2 }, 3])).toEqual([1, 2, 3])
    expect(pointValue({ setId: 'x', value: 9 })).toBe(9)
    expect(seriesLabelParts(0)).toEqual({ segmentIndex: 0 })
    expect(seriesLabelParts('Germany')).toEqual({ group: 'Germany' })
    expect(seriesLabelParts([1, 'Germany'])).toEqual({ segmentIndex: 1, group: 'Germany' })
  })
})
