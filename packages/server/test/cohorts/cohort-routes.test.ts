import { describe, expect, it } from 'vitest'
import { ORIGIN, PROJECT, testApp } from '../helpers/app-fixture.ts'
import { amplitudeIds, authed, awaitJob, call, ingest, sharedApp } from './requests.ts'

const NOW = Date.UTC(2024, 6, 14, 12, 0, 0)
const DAY = 86_400_000

const USER_EVENTS: Record<string, unknown>[] = [
  {
    event_type: 'Purchase',
    user_id: 'alice',
    device_id: 'd-alice',
    time: NOW - 2 * DAY,
    user_properties: { plan: 'pro', age: 31 },
  },
  { event_type: 'Purchase', user_id: 'alice', device_id: 'd-alice2', time: NOW - DAY },
  {
    event_type: 'Purchase',
    user_id: 'bobby',
    device_id: 'd-bobby',
    time: NOW - 20 * DAY,
    user_properties: { plan: 'free' },
  },
  {
    event_type: 'View',
    user_id: 'carol',
    device_id: 'd-carol',
    time: NOW - DAY,
    user_properties: { plan: 'pro, "team"' },
  },
]

async function appWithUsers(options: Parameters<typeof testApp>[0] = {}) {
  const fixture = await testApp({ now: () => NOW, ...options })
  await ingest(fixture.app, USER_EVENTS)
  return { ...fixture, ids: await amplitudeIds(fixture.app) }
}

/** One seeded app for the tests of a describe whose requests are all refused. */
function sharedUsersApp() {
  return sharedApp((app) => ingest(app, USER_EVENTS), { now: () => NOW })
}

function upload(body: Record<string, unknown>) {
  return authed('POST', '/api/3/cohorts/upload', {
    name: 'Buyers',
    app_id: PROJECT.id,
    id_type: 'BY_USER_ID',
    owner: 'me@example.com',
    published: true,
    ...body,
  })
}

async function download(
  app: Awaited<ReturnType<typeof appWithUsers>>['app'],
  cohortId: string,
  query = '',
) {
  const requested = await call(app, authed('GET', `/api/5/cohorts/request/${cohortId}${query}`))
  expect(requested.status).toBe(202)
  expect(requested.body).toEqual({ request_id: expect.any(String), cohort_id: cohortId })
  await awaitJob(app, requested.body.request_id)
  const file = await call(
    app,
    authed('GET', `/api/5/cohorts/request/${requested.body.request_id}/file`),
  )
  return { ...file, requestId: requested.body.request_id as string }
}

describe('POST /api/3/cohorts/upload', () => {
  it('creates a static cohort from user ids and reports matched, totals and invalid ids', async () => {
    const { app } = await appWithUsers()
    const { status, body } = await call(app, upload({ ids: ['alice', 'bobby', 'alice', 'nobody'] }))
    expect(status).toBe(200)
    expect(body).toEqual({
      cohortId: expect.stringMatching(/^[a-z0-9]{7}$/),
      metadata: { matched: 3, totals: 2, invalid_ids_sample: ['nobody'] },
    })
    const list = await call(app, authed('GET', '/api/3/cohorts'))
    expect(list.body.cohorts).toEqual([
      expect.objectContaining({
        appId: PROJECT.id,
        id: body.cohortId,
        name: 'Buyers',
        size: 2,
        published: true,
        archived: false,
        owners: ['me@example.com'],
        lastComputed: Math.floor(NOW / 1000),
      }),
    ])
    expect(list.body.cohorts[0]).not.toHaveProperty('syncMetadata')
    const synced = await call(app, authed('GET', '/api/3/cohorts?includeSyncInfo=true'))
    expect(synced.body.cohorts[0].syncMetadata).toEqual([])
    const info = await call(app, authed('GET', `/api/3/cohorts/info/${body.cohortId}`))
    expect(info.body).toEqual(
      expect.objectContaining({
        cohort_id: body.cohortId,
        app_id: PROJECT.id,
        name: 'Buyers',
        size: 2,
      }),
    )
  })

  it('matches BY_AMP_ID ids against Amplitude ids', async () => {
    const { app, ids } = await appWithUsers()
    const { body } = await call(
      app,
      upload({ id_type: 'BY_AMP_ID', ids: [String(ids.get('carol')), '999', 'not-a-number'] }),
    )
    expect(body.metadata).toEqual({
      matched: 1,
      totals: 1,
      invalid_ids_sample: ['999', 'not-a-number'],
    })
    const file = await download(app, body.cohortId)
    expect(file.body).toBe(
      `\tamplitude_id,\tuser_id,\tdevice_ids\r\n${ids.get('carol')},\tcarol,\td-carol\r\n`,
    )
  })

  it('refuses invalid ids with skip_invalid_ids false, in the cohort error shape, and saves nothing', async () => {
    const { app } = await appWithUsers()
    const { status, body } = await call(
      app,
      upload({ ids: ['alice', 'ghost'], skip_invalid_ids: false }),
    )
    expect(status).toBe(400)
    expect(body).toEqual({
      error: {
        http_code: 400,
        type: 'INVALID_IDS',
        message: expect.stringContaining('skip_invalid_ids'),
        metadata: { matched: 1, totals: 1, invalid_ids_sample: ['ghost'], invalid_ids_count: 1 },
      },
    })
    expect((await call(app, authed('GET', '/api/3/cohorts'))).body.cohorts).toEqual([])
  })

  it('only validates with skip_save', async () => {
    const { app } = await appWithUsers()
    const { status, body } = await call(app, upload({ ids: ['alice'], skip_save: true }))
    expect(status).toBe(200)
    expect(body.metadata).toEqual({ matched: 1, totals: 1, invalid_ids_sample: [] })
    expect((await call(app, authed('GET', '/api/3/cohorts'))).body.cohorts).toEqual([])
  })

  it('replaces the members of existing_cohort_id', async () => {
    const { app } = await appWithUsers()
    const first = await call(app, upload({ ids: ['alice', 'bobby'] }))
    const second = await call(
      app,
      upload({ name: 'Renamed', ids: ['carol'], existing_cohort_id: first.body.cohortId }),
    )
    expect(second.body.cohortId).toBe(first.body.cohortId)
    const list = await call(app, authed('GET', '/api/3/cohorts'))
    expect(list.body.cohorts).toEqual([expect.objectContaining({ name: 'Renamed', size: 1 })])
    const unknown = await call(app, upload({ ids: ['carol'], existing_cohort_id: 'zzzzzzz' }))
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.type).toBe('NOT_FOUND')
  })

  describe('bad upload bodies', () => {
    const shared = sharedUsersApp()
    it.each([
      [{ name: undefined }, 'name'],
      [{ app_id: 99 }, 'app_id'],
      [{ app_id: undefined }, 'app_id'],
      [{ id_type: 'BY_EMAIL' }, 'id_type'],
      [{ ids: 'alice' }, 'ids'],
      [{ ids: [{}] }, 'ids[0]'],
      [{ owner: '' }, 'owner'],
      [{ published: 'yes' }, 'published'],
      [{ skip_save: 1 }, 'skip_save'],
      [{ cg: '' }, 'cg'],
    ])('answers a 400 naming the bad field for %j', async (override, field) => {
      const app = shared()
      const { status, body } = await call(app, upload({ ids: ['alice'], ...override }))
      expect(status).toBe(400)
      expect(body.error).toEqual({
        http_code: 400,
        type: 'INVALID_REQUEST',
        message: expect.stringContaining(field),
        metadata: {},
      })
    })
  })

  it('answers malformed JSON, a missing body and missing credentials in the cohort error shape', async () => {
    const { app } = await appWithUsers()
    const malformed = await call(app, authed('POST', '/api/3/cohorts/upload', '{"name":'))
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.message).toBe('Invalid JSON request body')
    const empty = await call(app, authed('POST', '/api/3/cohorts/upload', ''))
    expect(empty.status).toBe(400)
    const anonymous = await call(app, new Request(`${ORIGIN}/api/3/cohorts`))
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error).toEqual(
      expect.objectContaining({ http_code: 401, type: 'UNAUTHORIZED' }),
    )
    const wrong = await call(
      app,
      new Request(`${ORIGIN}/api/3/cohorts`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${PROJECT.apiKey}:nope`).toString('base64')}`,
        },
      }),
    )
    expect(wrong.status).toBe(403)
    expect(wrong.body.error.http_code).toBe(403)
  })
})

describe('POST /api/3/cohorts/membership', () => {
  it('adds by Amplitude id and removes by user id, listing skipped ids per change', async () => {
    const { app, ids } = await appWithUsers()
    const created = await call(app, upload({ ids: ['alice'] }))
    const cohortId = created.body.cohortId
    const { status, body } = await call(
      app,
      authed('POST', '/api/3/cohorts/membership', {
        cohort_id: cohortId,
        count_group: 'User',
        memberships: [
          {
            ids: [String(ids.get('bobby')), String(ids.get('carol')), '12'],
            id_type: 'BY_ID',
            operation: 'ADD',
          },
          { ids: ['alice', 'ghost'], id_type: 'BY_NAME', operation: 'REMOVE' },
        ],
      }),
    )
    expect(status).toBe(200)
    expect(body).toEqual({
      cohort_id: cohortId,
      memberships_result: [
        { skipped_ids: ['12'], id_type: 'BY_ID', operation: 'ADD' },
        { skipped_ids: ['ghost'], id_type: 'BY_NAME', operation: 'REMOVE' },
      ],
    })
    const file = await download(app, cohortId)
    expect(
      file.body
        .split('\r\n')
        .slice(1, -1)
        .map((line: string) => line.split(',')[1]),
    ).toEqual(
      ['\tbobby', '\tcarol'].sort((a, b) => (ids.get(a.slice(1))! < ids.get(b.slice(1))! ? -1 : 1)),
    )
    const list = await call(app, authed('GET', '/api/3/cohorts'))
    expect(list.body.cohorts[0].size).toBe(2)
  })

  it('changes nothing and answers 400 with the results when skip_invalid_ids is false', async () => {
    const { app } = await appWithUsers()
    const created = await call(app, upload({ ids: ['alice'] }))
    const { status, body } = await call(
      app,
      authed('POST', '/api/3/cohorts/membership', {
        cohort_id: created.body.cohortId,
        count_group: 'User',
        skip_invalid_ids: false,
        memberships: [{ ids: ['bobby', 'ghost'], id_type: 'BY_NAME', operation: 'ADD' }],
      }),
    )
    expect(status).toBe(400)
    expect(body.error.metadata).toEqual({
      cohort_id: created.body.cohortId,
      memberships_result: [{ skipped_ids: ['ghost'], id_type: 'BY_NAME', operation: 'ADD' }],
    })
    const list = await call(app, authed('GET', '/api/3/cohorts'))
    expect(list.body.cohorts[0].size).toBe(1)
  })

  describe('bad membership bodies', () => {
    const shared = sharedUsersApp()
    it.each([
      [{ cohort_id: undefined }, 'cohort_id'],
      [{ memberships: [] }, 'memberships'],
      [{ memberships: [{ ids: ['a'], id_type: 'BY_ID', operation: 'MOVE' }] }, 'operation'],
      [{ memberships: [{ ids: ['a'], id_type: 'BY_EMAIL', operation: 'ADD' }] }, 'id_type'],
      [{ memberships: [{ ids: 'a', id_type: 'BY_ID', operation: 'ADD' }] }, 'ids'],
    ])('answers 400 for %j', async (override, field) => {
      const app = shared()
      const { status, body } = await call(
        app,
        authed('POST', '/api/3/cohorts/membership', {
          cohort_id: 'abcdefg',
          memberships: [{ ids: ['bobby'], id_type: 'BY_NAME', operation: 'ADD' }],
          ...override,
        }),
      )
      expect(status).toBe(400)
      expect(body.error.message).toContain(field)
    })
  })
})

describe('the three-step cohort download', () => {
  it('answers 202 JOB INPROGRESS while the job runs, then 200 JOB COMPLETED and the CSV', async () => {
    const { app, ids } = await appWithUsers({ cohorts: { cohortJobMinMs: 40 } })
    const created = await call(app, upload({ ids: ['alice', 'carol'] }))
    const requested = await call(
      app,
      authed('GET', `/api/5/cohorts/request/${created.body.cohortId}`),
    )
    const first = await call(
      app,
      authed('GET', `/api/5/cohorts/request-status/${requested.body.request_id}`),
    )
    expect(first).toMatchObject({
      status: 202,
      body: {
        request_id: requested.body.request_id,
        cohort_id: created.body.cohortId,
        async_status: 'JOB INPROGRESS',
      },
    })
    const early = await call(
      app,
      authed('GET', `/api/5/cohorts/request/${requested.body.request_id}/file`),
    )
    expect(early.status).toBe(400)
    await awaitJob(app, requested.body.request_id)
    const done = await call(
      app,
      authed('GET', `/api/5/cohorts/request-status/${requested.body.request_id}`),
    )
    expect(done).toMatchObject({ status: 200, body: { async_status: 'JOB COMPLETED' } })
    const file = await call(
      app,
      authed('GET', `/api/5/cohorts/request/${requested.body.request_id}/file`),
    )
    expect(file.status).toBe(200)
    expect(file.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const [alice, carol] = [ids.get('alice')!, ids.get('carol')!]
    const rows = [`${alice},\talice,\td-alice d-alice2`, `${carol},\tcarol,\td-carol`]
    if (carol < alice) rows.reverse()
    expect(file.body).toBe(`\tamplitude_id,\tuser_id,\tdevice_ids\r\n${rows.join('\r\n')}\r\n`)
  })

  it('adds one column per user property with props=1, restricted by propKeys, quoted per RFC 4180', async () => {
    const { app, ids } = await appWithUsers()
    const created = await call(app, upload({ ids: ['carol'] }))
    const all = await download(app, created.body.cohortId, '?props=1')
    expect(all.body).toBe(
      `\tamplitude_id,\tuser_id,\tdevice_ids,\tplan\r\n${ids.get('carol')},\tcarol,\td-carol,"\tpro, ""team"""\r\n`,
    )
    const created2 = await call(app, upload({ ids: ['alice'] }))
    const some = await download(
      app,
      created2.body.cohortId,
      '?props=1&propKeys=gp:age&propKeys=missing',
    )
    expect(some.body).toBe(
      `\tamplitude_id,\tuser_id,\tdevice_ids,\tage,\tmissing\r\n${ids.get('alice')},\talice,\td-alice d-alice2,31,\r\n`,
    )
  })

  it('answers a large file with a 302 to a single-use local link', async () => {
    const { app } = await appWithUsers({ cohorts: { inlineFileMaxBytes: 10 } })
    const created = await call(app, upload({ ids: ['alice', 'bobby'] }))
    const { status, headers, requestId } = await download(app, created.body.cohortId)
    expect(status).toBe(302)
    const location = headers.get('location')!
    expect(location).toMatch(new RegExp(`^${ORIGIN}/_ampkit/files/[0-9a-f]{48}$`))
    const first = await call(app, new Request(location))
    expect(first.status).toBe(200)
    expect(first.body).toContain('\tbobby')
    const again = await call(app, new Request(location))
    expect(again.status).toBe(404)
    // Each call of /file mints a new link.
    const next = await call(app, authed('GET', `/api/5/cohorts/request/${requestId}/file`))
    expect(next.headers.get('location')).not.toBe(location)
  })

  it('answers 404 for an unknown cohort or request id', async () => {
    const { app } = await appWithUsers()
    const cohort = await call(app, authed('GET', '/api/5/cohorts/request/nope123'))
    expect(cohort.status).toBe(404)
    expect(cohort.body.error.type).toBe('NOT_FOUND')
    const status = await call(app, authed('GET', '/api/5/cohorts/request-status/nope'))
    expect(status.status).toBe(404)
    const file = await call(app, authed('GET', '/api/5/cohorts/request/nope/file'))
    expect(file.status).toBe(404)
    const bad = await call(app, authed('GET', '/api/5/cohorts/request/x?props=yes'))
    expect(bad.status).toBe(400)
  })

  it('drops the oldest finished files past maxStoredFileBytes, never the newest', async () => {
    const { app } = await appWithUsers({ cohorts: { maxStoredFileBytes: 1 } })
    const created = await call(app, upload({ ids: ['alice'] }))
    const requests: string[] = []
    for (let i = 0; i < 2; i++) {
      const { body } = await call(
        app,
        authed('GET', `/api/5/cohorts/request/${created.body.cohortId}`),
      )
      requests.push(body.request_id)
      await awaitJob(app, body.request_id)
    }
    const older = await call(app, authed('GET', `/api/5/cohorts/request/${requests[0]}/file`))
    expect(older.status).toBe(404)
    const newest = await call(app, authed('GET', `/api/5/cohorts/request/${requests[1]}/file`))
    expect(newest.status).toBe(200)
  })

  it('keeps at most maxJobs jobs', async () => {
    const { app } = await appWithUsers({ cohorts: { maxJobs: 2 } })
    const created = await call(app, upload({ ids: ['alice'] }))
    const requests: string[] = []
    for (let i = 0; i < 3; i++) {
      const { body } = await call(
        app,
        authed('GET', `/api/5/cohorts/request/${created.body.cohortId}`),
      )
      requests.push(body.request_id)
      await awaitJob(app, body.request_id)
    }
    const oldest = await call(app, authed('GET', `/api/5/cohorts/request-status/${requests[0]}`))
    expect(oldest.status).toBe(404)
    const newest = await call(app, authed('GET', `/api/5/cohorts/request-status/${requests[2]}`))
    expect(newest.status).toBe(200)
  })
})

describe('cohorts in other APIs', () => {
  it('keeps a download job and its file for 7 days, then answers 404', async () => {
    let nowMs = NOW
    const fixture = await testApp({ now: () => nowMs })
    await ingest(fixture.app, USER_EVENTS)
    const created = await call(fixture.app, upload({ ids: ['alice'] }))
    const requested = await call(
      fixture.app,
      authed('GET', `/api/5/cohorts/request/${created.body.cohortId}`),
    )
    await awaitJob(fixture.app, requested.body.request_id)
    const file = `/api/5/cohorts/request/${requested.body.request_id}/file`
    nowMs += 7 * DAY - 1
    expect((await call(fixture.app, authed('GET', file))).status).toBe(200)
    nowMs += 1
    expect((await call(fixture.app, authed('GET', file))).status).toBe(404)
  })

  it('serves userdata_cohort segments of the Dashboard API with the cohort\u2019s members', async () => {
    const { app } = await appWithUsers()
    const created = await call(app, upload({ ids: ['alice', 'carol'] }))
    const query = (segment: unknown[]) =>
      `/api/2/events/segmentation?e=${encodeURIComponent(JSON.stringify({ event_type: '_all' }))}` +
      `&start=20240601&end=20240714&m=uniques&i=30&s=${encodeURIComponent(JSON.stringify(segment))}`
    const everyone = await call(app, authed('GET', query([])))
    const members = await call(
      app,
      authed(
        'GET',
        query([{ prop: 'userdata_cohort', op: 'is', values: [created.body.cohortId] }]),
      ),
    )
    expect(everyone.status).toBe(200)
    expect(members.status).toBe(200)
    const total = (body: { data: { seriesCollapsed: Array<Array<{ value: number }>> } }) =>
      body.data.seriesCollapsed[0]![0]!.value
    expect(total(everyone.body)).toBe(3)
    expect(total(members.body)).toBe(2)
  })
})

describe('behavioral cohorts (ampkit route)', () => {
  const boughtTwice = {
    version: 1,
    condition: {
      type: 'performed',
      event_type: 'Purchase',
      op: '>=',
      count: 2,
      window: { type: 'last_days', days: 7 },
    },
  }

  it('computes members on a read connection: the write pipeline only loads the ids', async () => {
    const { app, store, ids } = await appWithUsers()
    const writes: string[] = []
    const writeSql = store.writeSql.bind(store)
    store.writeSql = (statements) => {
      writes.push(...statements.map((statement) => statement.sql))
      return writeSql(statements)
    }
    const created = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', {
        name: 'Repeat',
        definition: boughtTwice,
      }),
    )
    writes.length = 0
    const file = await download(app, created.body.cohortId)
    expect(file.body).toContain(`${ids.get('alice')},\talice`)
    const load = writes.find((sql) => sql.includes('INSERT INTO'))
    expect(load).toMatch(/read_csv/)
    // The definition's event is matched by the read, never inside a write transaction.
    expect(writes.join('\n')).not.toMatch(/Purchase|FROM events/)
  })

  it('downloads a behavioral cohort that matches nobody as a header-only file of size 0', async () => {
    const { app } = await appWithUsers()
    const nobody = {
      version: 1,
      condition: { ...boughtTwice.condition, event_type: 'Never Happens' },
    }
    const created = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', { name: 'Nobody', definition: nobody }),
    )
    const file = await download(app, created.body.cohortId)
    expect(file.body).toBe('\tamplitude_id,\tuser_id,\tdevice_ids\r\n')
    const list = await call(app, authed('GET', '/api/3/cohorts'))
    expect(list.body.cohorts[0]).toEqual(
      expect.objectContaining({ size: 0, lastComputed: Math.floor(NOW / 1000) }),
    )
  })

  it('computes members at download and reports that computation in the list', async () => {
    const { app, ids } = await appWithUsers()
    const created = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', {
        name: 'Repeat buyers',
        definition: boughtTwice,
      }),
    )
    expect(created.status).toBe(200)
    const cohortId = created.body.cohortId
    expect(created.body.cohort).toEqual(
      expect.objectContaining({
        id: cohortId,
        size: 0,
        lastComputed: 0,
        definition: { ...boughtTwice, condition: { ...boughtTwice.condition, filters: [] } },
      }),
    )
    const file = await download(app, cohortId)
    expect(file.body).toBe(
      `\tamplitude_id,\tuser_id,\tdevice_ids\r\n${ids.get('alice')},\talice,\td-alice d-alice2\r\n`,
    )
    const list = await call(app, authed('GET', '/api/3/cohorts'))
    expect(list.body.cohorts[0]).toEqual(
      expect.objectContaining({ size: 1, lastComputed: Math.floor(NOW / 1000) }),
    )
  })

  it('redefines with PUT: NOT, OR, a property and another cohort', async () => {
    const { app, ids } = await appWithUsers()
    const statics = await call(app, upload({ ids: ['bobby'] }))
    const created = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', { name: 'B', definition: boughtTwice }),
    )
    const redefined = await call(
      app,
      authed('PUT', `/api/3/cohorts/ampkit/behavioral/${created.body.cohortId}`, {
        definition: {
          version: 1,
          condition: {
            type: 'or',
            conditions: [
              { type: 'in_cohort', cohort_id: statics.body.cohortId },
              {
                type: 'not',
                condition: {
                  type: 'property',
                  key: 'gp:plan',
                  op: 'is',
                  values: ['pro'],
                  mode: 'most_recent',
                },
              },
            ],
          },
        },
      }),
    )
    expect(redefined.status).toBe(200)
    const file = await download(app, created.body.cohortId)
    // bob is in the static cohort; carol's plan is not exactly "pro"; alice's is.
    const members = [ids.get('bobby')!, ids.get('carol')!].sort((a, b) => a - b)
    expect(
      file.body
        .split('\r\n')
        .slice(1, -1)
        .map((l: string) => Number(l.split(',')[0])),
    ).toEqual(members)
  })

  it('refuses a cycle between cohorts and an unknown referenced cohort with 400', async () => {
    const { app } = await appWithUsers()
    const a = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', { name: 'A', definition: boughtTwice }),
    )
    const b = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', {
        name: 'B',
        definition: { version: 1, condition: { type: 'in_cohort', cohort_id: a.body.cohortId } },
      }),
    )
    expect(b.status).toBe(200)
    const cycle = await call(
      app,
      authed('PUT', `/api/3/cohorts/ampkit/behavioral/${a.body.cohortId}`, {
        definition: { version: 1, condition: { type: 'in_cohort', cohort_id: b.body.cohortId } },
      }),
    )
    expect(cycle.status).toBe(400)
    expect(cycle.body.error).toEqual(
      expect.objectContaining({
        type: 'INVALID_DEFINITION',
        message: expect.stringContaining('cycle'),
      }),
    )
    const unknown = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', {
        name: 'C',
        definition: { version: 1, condition: { type: 'in_cohort', cohort_id: 'missing' } },
      }),
    )
    expect(unknown.status).toBe(400)
  })

  describe('bad definitions', () => {
    const shared = sharedUsersApp()
    it.each([
      [
        {
          version: 1,
          condition: {
            type: 'performed',
            event_type: 'X',
            op: '>=',
            count: -1,
            window: { type: 'last_days', days: 7 },
          },
        },
        'count',
      ],
      [
        {
          version: 1,
          condition: {
            type: 'performed',
            event_type: 'X',
            op: '~',
            count: 1,
            window: { type: 'last_days', days: 7 },
          },
        },
        'op',
      ],
      [
        {
          version: 1,
          condition: {
            type: 'performed',
            event_type: 'X',
            op: '>=',
            count: 1,
            window: { type: 'between', start: '2024-02-30', end: '2024-03-01' },
          },
        },
        'window.start',
      ],
      [
        {
          version: 1,
          condition: {
            type: 'performed',
            event_type: 'X',
            op: '>=',
            count: 1,
            window: { type: 'last_days', days: 7 },
            filters: [
              { subprop_type: 'user', subprop_key: 'nogp', subprop_op: 'is', subprop_value: ['x'] },
            ],
          },
        },
        'filters[0]',
      ],
      [{ version: 1, condition: { type: 'and', conditions: [] } }, 'conditions'],
      [
        {
          version: 1,
          condition: {
            type: 'property',
            key: 'plan',
            op: 'less',
            values: ['abc'],
            mode: 'most_recent',
          },
        },
        'values[0]',
      ],
      [
        {
          version: 1,
          condition: { type: 'property', key: 'plan', op: 'is', values: ['a'], mode: 'any_time' },
        },
        'window',
      ],
      [{ version: 2, condition: {} }, 'version'],
      ['not an object', 'definition'],
    ])(
      'answers 400 INVALID_DEFINITION naming the path for definition %#',
      async (definition, path) => {
        const app = shared()
        const { status, body } = await call(
          app,
          authed('POST', '/api/3/cohorts/ampkit/behavioral', { name: 'Bad', definition }),
        )
        expect(status).toBe(400)
        expect(body.error.type).toBe('INVALID_DEFINITION')
        expect(body.error.message).toContain(path)
      },
    )
  })

  it('refuses a definition that expands exponentially through the cohorts it refers to', async () => {
    const { app } = await appWithUsers()
    let previous = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', { name: 'c0', definition: boughtTwice }),
    )
    const statuses: number[] = []
    for (let level = 1; level <= 12 && previous.status === 200; level++) {
      const reference = { type: 'in_cohort', cohort_id: previous.body.cohortId }
      previous = await call(
        app,
        authed('POST', '/api/3/cohorts/ampkit/behavioral', {
          name: `c${level}`,
          definition: { version: 1, condition: { type: 'or', conditions: [reference, reference] } },
        }),
      )
      statuses.push(previous.status)
    }
    // Each level doubles the inlined conditions: refused once past the compile budget (2,000).
    expect(statuses.at(-1)).toBe(400)
    expect(statuses.length).toBeGreaterThan(8)
    expect(previous.body.error.message).toContain('more than 2000 conditions')
  })

  it('refuses to change a behavioral cohort by upload or membership, and to PUT a static one', async () => {
    const { app } = await appWithUsers()
    const behavioral = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', { name: 'B', definition: boughtTwice }),
    )
    const replaced = await call(
      app,
      upload({ ids: ['bobby'], existing_cohort_id: behavioral.body.cohortId }),
    )
    expect(replaced.status).toBe(400)
    const member = await call(
      app,
      authed('POST', '/api/3/cohorts/membership', {
        cohort_id: behavioral.body.cohortId,
        memberships: [{ ids: ['bobby'], id_type: 'BY_NAME', operation: 'ADD' }],
      }),
    )
    expect(member.status).toBe(400)
    const statics = await call(app, upload({ ids: ['bobby'] }))
    const put = await call(
      app,
      authed('PUT', `/api/3/cohorts/ampkit/behavioral/${statics.body.cohortId}`, {
        definition: boughtTwice,
      }),
    )
    expect(put.status).toBe(400)
  })
})
