import { afterEach, describe, expect, it } from 'vitest'
import {
  AbortedError,
  BadRequestError,
  type CohortMember,
  createAmplitudeApi,
  csvRows,
  ParameterError,
  ProtocolError,
  parseCohortCsv,
  TimeoutError,
} from '../src/index.ts'
import { sendJson, startTestServer, type TestServer } from './helpers/http-server.ts'

const servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function* text(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

const CSV =
  '"\tamplitude_id","\tuser_id","\tdevice_ids"\r\n' +
  '123,"\tuser-1","\td1 d2"\r\n' +
  '456,"\t","\td3"\r\n' +
  '789,"\tquote ""q"", comma, and\nnewline","\t"\r\n'

describe('cohort CSV', () => {
  it('parses RFC 4180 rows whatever the chunk boundaries', async () => {
    const whole = await collect(csvRows(text('a,"b ""x""",c\r\n1,"2\n3",\r\n"",x\n"é",z')))
    expect(whole).toEqual([
      ['a', 'b "x"', 'c'],
      ['1', '2\n3', ''],
      ['', 'x'],
      ['é', 'z'],
    ])
    const source = 'a,"b ""x""",c\r\n1,"2\n3",\r\n"",x\n"é",z'
    const bytes = Buffer.from(source)
    const pieces = [...bytes].map((b) => Buffer.from([b]))
    async function* oneByte() {
      yield* pieces
    }
    expect(await collect(csvRows(oneByte()))).toEqual(whole)
  })

  it('turns tab-prefixed cells into typed members', async () => {
    const members = await collect(parseCohortCsv(text(CSV.slice(0, 50), CSV.slice(50))))
    expect(members).toEqual<CohortMember[]>([
      { amplitudeId: 123, userId: 'user-1', deviceIds: ['d1', 'd2'] },
      { amplitudeId: 456, userId: null, deviceIds: ['d3'] },
      { amplitudeId: 789, userId: 'quote "q", comma, and\nnewline', deviceIds: [] },
    ])
  })

  it('puts extra columns of props=1 into properties', async () => {
    const csv =
      '"\tamplitude_id","\tuser_id","\tdevice_ids","\tcountry","\tgp:plan"\n1,"\tu","\td","\tDE","\tpro"\n'
    expect(await collect(parseCohortCsv(text(csv)))).toEqual([
      {
        amplitudeId: 1,
        userId: 'u',
        deviceIds: ['d'],
        properties: { country: 'DE', 'gp:plan': 'pro' },
      },
    ])
  })

  it('refuses a file without an id column', async () => {
    await expect(collect(parseCohortCsv(text('a,b\n1,2\n')))).rejects.toThrow(ProtocolError)
  })
})

describe('downloadCohort', () => {
  async function cohortServers(options: {
    throttlePolls?: number
    runningPolls?: number
    inline?: boolean
  }) {
    const storage = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' })
      res.end(CSV)
    })
    let polls = 0
    const api = await startTestServer((req, res) => {
      if (req.path === '/api/5/cohorts/request/coh1')
        return sendJson(res, 202, { request_id: 'req-9', cohort_id: 'coh1' })
      if (req.path === '/api/5/cohorts/request-status/req-9') {
        polls++
        if (polls <= (options.throttlePolls ?? 0))
          return sendJson(res, 429, { error: 'slow down' }, { 'retry-after': '3' })
        if (polls <= (options.throttlePolls ?? 0) + (options.runningPolls ?? 0))
          return sendJson(res, 202, {
            request_id: 'req-9',
            cohort_id: 'coh1',
            async_status: 'JOB INPROGRESS',
          })
        return sendJson(res, 200, {
          request_id: 'req-9',
          cohort_id: 'coh1',
          async_status: 'JOB COMPLETED',
        })
      }
      if (req.path === '/api/5/cohorts/request/req-9/file') {
        if (options.inline) {
          res.writeHead(200, { 'content-type': 'text/csv' })
          return res.end(CSV)
        }
        res.writeHead(302, { location: `${storage.url}/bucket/req-9.csv?X-Amz-Signature=s3cr3t` })
        return res.end()
      }
      sendJson(res, 404, { error: 'unknown' })
    })
    servers.push(storage, api)
    const sleeps: number[] = []
    let now = 0
    const client = createAmplitudeApi({
      apiKey: 'key',
      secretKey: 'secret',
      baseUrl: api.url,
      hooks: {
        now: () => now,
        sleep: async (ms) => {
          sleeps.push(ms)
          now += ms
        },
      },
    })
    return { storage, api, client, sleeps }
  }

  it('requests, polls with backoff through 429s and 202s, follows the redirect without credentials, and parses members', async () => {
    const { storage, api, client, sleeps } = await cohortServers({
      throttlePolls: 1,
      runningPolls: 2,
    })
    const members = await collect(
      client.downloadCohort('coh1', { props: true, propKeys: ['country'], pollIntervalMs: 1000 }),
    )
    expect(members.map((m) => m.amplitudeId)).toEqual([123, 456, 789])
    expect(api.requests[0]?.query.toString()).toBe('props=1&propKeys=country')
    expect(api.requests.filter((r) => r.path.includes('request-status'))).toHaveLength(4)
    // First poll after 1 s; the 429 asked for 3 s; then ×1.5 per running poll.
    expect(sleeps).toEqual([1000, 3000, 4500, 6750])
    expect(storage.requests[0]?.headers.authorization).toBeUndefined()
    expect(api.requests.every((r) => r.headers.authorization?.startsWith('Basic '))).toBe(true)
  })

  it('reads an inline file too', async () => {
    const { client } = await cohortServers({ inline: true })
    expect(await collect(client.downloadCohort('coh1', { pollIntervalMs: 10 }))).toHaveLength(3)
  })

  it('gives up with a TimeoutError when the job does not complete in time', async () => {
    const { client } = await cohortServers({ runningPolls: 1000 })
    await expect(
      collect(
        client.downloadCohort('coh1', {
          pollIntervalMs: 1000,
          maxPollIntervalMs: 1000,
          timeoutMs: 5000,
        }),
      ),
    ).rejects.toThrow(TimeoutError)
  })

  it('fails with a ProtocolError when the job reports a failure, and stops polling when aborted', async () => {
    const server = await startTestServer((req, res) => {
      if (req.path.startsWith('/api/5/cohorts/request/'))
        return sendJson(res, 202, { request_id: 'r1', cohort_id: req.path.split('/').at(-1) })
      if (req.path === '/api/5/cohorts/request-status/r1') {
        const failed = server.requests.some((r) => r.path === '/api/5/cohorts/request/bad')
        return failed
          ? sendJson(res, 200, { request_id: 'r1', cohort_id: 'bad', async_status: 'JOB FAILED' })
          : sendJson(res, 202, {
              request_id: 'r1',
              cohort_id: 'slow',
              async_status: 'JOB INPROGRESS',
            })
      }
      sendJson(res, 404, {})
    })
    servers.push(server)
    const controller = new AbortController()
    let polls = 0
    const api = createAmplitudeApi({
      apiKey: 'k',
      secretKey: 's',
      baseUrl: server.url,
      hooks: {
        sleep: async (_ms, signal) => {
          if (++polls === 3) controller.abort(new Error('enough'))
          if (signal?.aborted) throw signal.reason
        },
      },
    })
    await expect(
      collect(api.downloadCohort('slow', { signal: controller.signal })),
    ).rejects.toThrow(AbortedError)
    expect(polls).toBe(3)
    await expect(collect(api.downloadCohort('bad'))).rejects.toThrow(/the job ended as JOB FAILED/)
  })

  it('refuses a malformed cohort id before sending', async () => {
    const { client, api } = await cohortServers({})
    await expect(collect(client.downloadCohort('../x'))).rejects.toThrow(ParameterError)
    expect(api.requests).toHaveLength(0)
  })
})

describe('cohort upload and membership', () => {
  it('posts JSON and returns the typed answers; a 400 error body becomes a BadRequestError', async () => {
    const server = await startTestServer((req, res) => {
      if (req.path === '/api/3/cohorts/upload')
        return sendJson(res, 200, {
          cohortId: 'c1',
          metadata: { matched: 2, totals: 2, invalid_ids_sample: [] },
        })
      sendJson(res, 400, {
        error: {
          http_code: 400,
          type: 'invalid_ids',
          message: 'Some ids are invalid',
          metadata: {
            cohort_id: 'c1',
            memberships_result: [{ skipped_ids: ['x'], id_type: 'BY_ID', operation: 'ADD' }],
          },
        },
      })
    })
    servers.push(server)
    const api = createAmplitudeApi({ apiKey: 'k', secretKey: 's', baseUrl: server.url })
    const upload = await api.uploadCohort({
      name: 'VIP',
      app_id: 1,
      id_type: 'BY_USER_ID',
      ids: ['u1', 'u2'],
      owner: 'a@b.c',
      published: true,
    })
    expect(upload.cohortId).toBe('c1')
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({
      name: 'VIP',
      ids: ['u1', 'u2'],
    })
    const error = await api
      .updateCohortMembership({
        cohort_id: 'c1',
        count_group: 'User',
        skip_invalid_ids: false,
        memberships: [{ ids: ['x'], id_type: 'BY_ID', operation: 'ADD' }],
      })
      .catch((e) => e)
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error).toMatchObject({
      status: 400,
      errorType: 'invalid_ids',
      metadata: { cohort_id: 'c1' },
    })
    await expect(
      api.uploadCohort({
        name: '',
        app_id: 1,
        id_type: 'BY_USER_ID',
        ids: [],
        owner: 'a',
        published: true,
      }),
    ).rejects.toThrow(/uploadCohort: name is required/)
  })

  it('lists cohorts, asking for sync info when told to', async () => {
    const server = await startTestServer((_req, res) =>
      sendJson(res, 200, { cohorts: [{ id: 'c1', name: 'VIP' }] }),
    )
    servers.push(server)
    const api = createAmplitudeApi({ apiKey: 'k', secretKey: 's', baseUrl: server.url })
    expect((await api.listCohorts({ includeSyncInfo: true }))[0]?.id).toBe('c1')
    expect(server.requests[0]?.query.get('includeSyncInfo')).toBe('true')
  })
})
