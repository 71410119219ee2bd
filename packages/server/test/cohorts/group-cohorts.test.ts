import { describe, expect, it } from 'vitest'
import { PROJECT, postForm, testApp } from '../helpers/app-fixture.ts'
import { authed, awaitJob, call, ingest } from './requests.ts'

const NOW = Date.UTC(2024, 6, 14, 12, 0, 0)
const DAY = 86_400_000

// `acme` has a profile and events; `globex` only a profile; `initech` only events (in an array
// with `acme`); `umbrella` only a profile of another group type.
const EVENTS: Record<string, unknown>[] = [
  { event_type: 'Purchase', user_id: 'alice', time: NOW - DAY, groups: { company: 'acme' } },
  {
    event_type: 'View',
    user_id: 'bobby',
    time: NOW - DAY,
    groups: { company: ['acme', 'initech'], team: 'red' },
  },
]

async function appWithGroups() {
  const fixture = await testApp({ now: () => NOW })
  await ingest(fixture.app, EVENTS)
  const identification = JSON.stringify([
    { group_type: 'company', group_value: 'acme', group_properties: { $set: { plan: 'pro' } } },
    {
      group_type: 'company',
      group_value: 'globex',
      group_properties: { $set: { plan: 'free', seats: 3 } },
    },
    { group_type: 'team', group_value: 'umbrella', group_properties: { $set: { plan: 'x' } } },
  ])
  const response = await fixture.app.handle(
    postForm('/groupidentify', { api_key: PROJECT.apiKey, identification }),
  )
  expect(await response.text()).toBe('success')
  return fixture
}

function upload(body: Record<string, unknown>) {
  return authed('POST', '/api/3/cohorts/upload', {
    name: 'Accounts',
    app_id: PROJECT.id,
    id_type: 'BY_USER_ID',
    owner: 'me@example.com',
    published: true,
    cg: 'company',
    ...body,
  })
}

async function download(app: Awaited<ReturnType<typeof testApp>>['app'], id: string, query = '') {
  const requested = await call(app, authed('GET', `/api/5/cohorts/request/${id}${query}`))
  expect(requested.status).toBe(202)
  await awaitJob(app, requested.body.request_id)
  return call(app, authed('GET', `/api/5/cohorts/request/${requested.body.request_id}/file`))
}

describe('group cohorts uploaded through /api/3/cohorts/upload', () => {
  it('keeps group values known from a profile or an event as members and lists the count group', async () => {
    const { app } = await appWithGroups()
    const { status, body } = await call(
      app,
      upload({ ids: ['acme', 'globex', 'initech', 'acme', 'umbrella', 'nobody'] }),
    )
    expect(status).toBe(200)
    // matched counts input ids (acme twice), totals distinct members; umbrella is a team.
    expect(body.metadata).toEqual({
      matched: 4,
      totals: 3,
      invalid_ids_sample: ['umbrella', 'nobody'],
    })
    const list = await call(app, authed('GET', '/api/3/cohorts'))
    expect(list.body.cohorts).toEqual([
      expect.objectContaining({
        id: body.cohortId,
        size: 3,
        definition: expect.objectContaining({ countGroup: { name: 'company' } }),
      }),
    ])
    const info = await call(app, authed('GET', `/api/3/cohorts/info/${body.cohortId}`))
    expect(info.body).toEqual(expect.objectContaining({ size: 3, group_type: 'company' }))
  })

  it('downloads one tab-prefixed group_value row per member group', async () => {
    const { app } = await appWithGroups()
    const { body } = await call(app, upload({ ids: ['initech', 'globex', 'acme'] }))
    const file = await download(app, body.cohortId)
    expect(file.status).toBe(200)
    expect(file.body).toBe('\tgroup_value\r\n\tacme\r\n\tglobex\r\n\tinitech\r\n')
  })

  it('adds the group profile properties with props=1 (empty cells for a group without one)', async () => {
    const { app } = await appWithGroups()
    const { body } = await call(app, upload({ ids: ['initech', 'globex', 'acme'] }))
    const file = await download(app, body.cohortId, '?props=1')
    expect(file.body).toBe(
      '\tgroup_value,\tplan,\tseats\r\n\tacme,\tpro,\r\n\tglobex,\tfree,3\r\n\tinitech,,\r\n',
    )
    const only = await download(app, body.cohortId, '?props=1&propKeys=seats')
    expect(only.body).toBe('\tgroup_value,\tseats\r\n\tacme,\r\n\tglobex,3\r\n\tinitech,\r\n')
  })

  it('accepts the count group as count_group and treats BY_AMP_ID ids as group values too', async () => {
    const { app } = await appWithGroups()
    const { body } = await call(
      app,
      upload({ cg: undefined, count_group: 'company', id_type: 'BY_AMP_ID', ids: ['globex'] }),
    )
    expect(body.metadata).toEqual({ matched: 1, totals: 1, invalid_ids_sample: [] })
    const file = await download(app, body.cohortId)
    expect(file.body).toBe('\tgroup_value\r\n\tglobex\r\n')
  })

  it('replaces a user cohort by a group cohort through existing_cohort_id', async () => {
    const { app } = await appWithGroups()
    const users = await call(app, upload({ cg: 'User', ids: ['alice'] }))
    expect(users.body.metadata.totals).toBe(1)
    const replaced = await call(
      app,
      upload({ existing_cohort_id: users.body.cohortId, ids: ['acme'] }),
    )
    expect(replaced.body.cohortId).toBe(users.body.cohortId)
    const file = await download(app, users.body.cohortId)
    expect(file.body).toBe('\tgroup_value\r\n\tacme\r\n')
  })

  it('refuses a group cohort as a segment of another query with a 400 naming it', async () => {
    const { app } = await appWithGroups()
    const { body } = await call(app, upload({ ids: ['acme'] }))
    const segment = JSON.stringify([{ prop: 'userdata_cohort', op: 'is', values: [body.cohortId] }])
    const e = JSON.stringify({ event_type: 'Purchase' })
    const answer = await call(
      app,
      authed(
        'GET',
        `/api/2/events/segmentation?e=${encodeURIComponent(e)}&start=20240710&end=20240714&s=${encodeURIComponent(segment)}`,
      ),
    )
    expect(answer.status).toBe(400)
    expect(answer.body.error).toContain(`cohort "${body.cohortId}" counts company groups`)
  })

  it('refuses a group cohort inside a behavioral user cohort definition', async () => {
    const { app } = await appWithGroups()
    const { body } = await call(app, upload({ ids: ['acme'] }))
    const answer = await call(
      app,
      authed('POST', '/api/3/cohorts/ampkit/behavioral', {
        name: 'In accounts',
        definition: { condition: { type: 'in_cohort', cohort_id: body.cohortId } },
      }),
    )
    expect(answer.status).toBe(400)
    expect(answer.body.error.message).toContain('counts company groups, not users')
  })

  it('adds and removes group values through /api/3/cohorts/membership with the cohort count group', async () => {
    const { app } = await appWithGroups()
    const { body } = await call(app, upload({ ids: ['acme'] }))
    const changed = await call(
      app,
      authed('POST', '/api/3/cohorts/membership', {
        cohort_id: body.cohortId,
        count_group: 'company',
        memberships: [
          { ids: ['globex', 'initech', 'nobody'], id_type: 'BY_ID', operation: 'ADD' },
          { ids: ['acme'], id_type: 'BY_NAME', operation: 'REMOVE' },
        ],
      }),
    )
    expect(changed.status).toBe(200)
    expect(changed.body.memberships_result).toEqual([
      { skipped_ids: ['nobody'], id_type: 'BY_ID', operation: 'ADD' },
      { skipped_ids: [], id_type: 'BY_NAME', operation: 'REMOVE' },
    ])
    expect((await download(app, body.cohortId)).body).toBe(
      '\tgroup_value\r\n\tglobex\r\n\tinitech\r\n',
    )
    const info = await call(app, authed('GET', `/api/3/cohorts/info/${body.cohortId}`))
    expect(info.body.size).toBe(2)
    const wrongGroup = await call(
      app,
      authed('POST', '/api/3/cohorts/membership', {
        cohort_id: body.cohortId,
        count_group: 'User',
        memberships: [{ ids: ['globex'], id_type: 'BY_ID', operation: 'ADD' }],
      }),
    )
    expect(wrongGroup.status).toBe(400)
    expect(wrongGroup.body.error.message).toBe(
      `count_group User is not the count group of cohort ${body.cohortId} (company)`,
    )
  })
})

describe('behavioral group cohorts (count_group in the definition)', () => {
  function behavioral(name: string, definition: Record<string, unknown>) {
    return authed('POST', '/api/3/cohorts/ampkit/behavioral', { name, definition })
  }

  it('counts performed events per company value carried, each array value once', async () => {
    const { app } = await appWithGroups()
    await ingest(app, [
      {
        event_type: 'Purchase',
        user_id: 'alice',
        time: NOW - 3 * DAY,
        groups: { company: ['acme', 'initech'] },
      },
      {
        event_type: 'Purchase',
        user_id: 'carol',
        time: NOW - 2 * DAY,
        groups: { company: ['initech', 'initech'] },
      },
    ])
    // Purchases per company in the last 7 days:
    //   acme    = alice (NOW-1d, 'acme') + alice (NOW-3d, [acme, initech])         = 2
    //   initech = alice (NOW-3d, [acme, initech]) + carol (NOW-2d, [initech ×2]) = 2
    //   globex  = 0 (a profile only); bobby's View does not count.
    const twice = {
      version: 1,
      count_group: 'company',
      condition: {
        type: 'performed',
        event_type: 'Purchase',
        op: '>=',
        count: 2,
        window: { type: 'last_days', days: 7 },
      },
    }
    const created = await call(app, behavioral('Buying accounts', twice))
    expect(created.status).toBe(200)
    const file = await download(app, created.body.cohortId)
    expect(file.body).toBe('\tgroup_value\r\n\tacme\r\n\tinitech\r\n')
    // NOT "performed Purchase >= 1": the known values (acme, globex, initech) minus acme, initech.
    const never = await call(
      app,
      behavioral('Idle accounts', {
        ...twice,
        condition: { type: 'not', condition: { ...twice.condition, count: 1 } },
      }),
    )
    expect((await download(app, never.body.cohortId, '?props=1')).body).toBe(
      '\tgroup_value,\tplan,\tseats\r\n\tglobex,\tfree,3\r\n',
    )
    const info = await call(app, authed('GET', `/api/3/cohorts/info/${created.body.cohortId}`))
    expect(info.body).toEqual(expect.objectContaining({ size: 2, group_type: 'company' }))
  })

  it('keeps group values with delimiters, quotes and line breaks exactly as they were carried', async () => {
    const { app } = await appWithGroups()
    // Every value holds a ';' (a CSV reader left to sniff could take it for the delimiter), one a
    // comma and quotes, one a line break: the members file between the read connection and the
    // write must give each back unchanged.
    const odd = ['a;1', 'b;2', 'c;3', 'd;4, "four"', 'e;5\nfive']
    await ingest(
      app,
      odd.map((value, i) => ({
        event_type: 'Signup',
        user_id: `odd-${i}`,
        time: NOW - DAY,
        groups: { vendor: value },
      })),
    )
    const created = await call(
      app,
      behavioral('Odd vendors', {
        version: 1,
        count_group: 'vendor',
        condition: {
          type: 'performed',
          event_type: 'Signup',
          op: '>=',
          count: 1,
          window: { type: 'last_days', days: 7 },
        },
      }),
    )
    expect(created.status).toBe(200)
    await download(app, created.body.cohortId)
    const info = await call(app, authed('GET', `/api/3/cohorts/info/${created.body.cohortId}`))
    expect(info.body).toEqual(expect.objectContaining({ size: 5, group_type: 'vendor' }))
    const file = await download(app, created.body.cohortId)
    for (const value of odd)
      expect(file.body).toContain(
        value.includes(',') || value.includes('\n')
          ? `"\t${value.replaceAll('"', '""')}"`
          : `\t${value}`,
      )
  })

  it('redefined from users to companies, downloads group values and refuses to segment', async () => {
    const { app } = await appWithGroups()
    const performed = {
      type: 'performed',
      event_type: 'View',
      op: '>=',
      count: 1,
      window: { type: 'last_days', days: 7 },
    }
    const created = await call(app, behavioral('Viewers', { condition: performed }))
    const id = created.body.cohortId as string
    expect((await download(app, id)).body).toMatch(
      /^\tamplitude_id,\tuser_id,\tdevice_ids\r\n\d+,\tbobby,/,
    )
    const redefined = await call(
      app,
      authed('PUT', `/api/3/cohorts/ampkit/behavioral/${id}`, {
        definition: { count_group: 'company', condition: performed },
      }),
    )
    expect(redefined.status).toBe(200)
    // bobby's View carried company [acme, initech]: both values viewed once.
    expect((await download(app, id)).body).toBe('\tgroup_value\r\n\tacme\r\n\tinitech\r\n')
    const segment = JSON.stringify([{ prop: 'userdata_cohort', op: 'is', values: [id] }])
    const e = JSON.stringify({ event_type: 'View' })
    const answer = await call(
      app,
      authed(
        'GET',
        `/api/2/events/segmentation?e=${encodeURIComponent(e)}&start=20240710&end=20240714&s=${encodeURIComponent(segment)}`,
      ),
    )
    expect(answer.status).toBe(400)
    expect(answer.body.error).toContain('counts company groups, not users')
  })

  it('refuses a user cohort inside a group definition with a 400 naming both count groups', async () => {
    const { app } = await appWithGroups()
    const users = await call(app, upload({ cg: 'User', ids: ['alice'] }))
    const answer = await call(
      app,
      behavioral('Mixed', {
        count_group: 'company',
        condition: { type: 'in_cohort', cohort_id: users.body.cohortId },
      }),
    )
    expect(answer.status).toBe(400)
    expect(answer.body.error.message).toBe(
      `in_cohort: cohort ${users.body.cohortId} counts users, not company groups`,
    )
  })
})
