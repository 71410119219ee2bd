import { describe, expect, it } from 'vitest'
import { amplitudeIds, authed, awaitJob, call, ingest, sharedApp } from '../cohorts/requests.ts'
import { ORIGIN, PROJECT, testApp } from '../helpers/app-fixture.ts'

const NOW = Date.UTC(2024, 6, 14, 12, 0, 0)
const TODAY = '2024-07-14'

async function appWithUsers(deletionDelayMs?: number) {
  const fixture = await testApp({
    now: () => NOW,
    ...(deletionDelayMs !== undefined && { deletions: { deletionDelayMs } }),
  })
  await ingest(fixture.app, [
    {
      event_type: 'View',
      user_id: 'alice',
      device_id: 'd-alice',
      time: NOW - 1000,
      user_properties: { plan: 'pro' },
    },
    { event_type: 'View', user_id: 'bobby', device_id: 'd-bobby', time: NOW - 1000 },
    { event_type: 'View', user_id: 'carol', device_id: 'd-carol', time: NOW - 1000 },
  ])
  return { ...fixture, ids: await amplitudeIds(fixture.app) }
}

function requestDeletion(body: unknown) {
  return authed('POST', '/api/2/deletions/users', body)
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('the condition never held')
}

async function listJobs(app: Awaited<ReturnType<typeof appWithUsers>>['app']) {
  return (
    await call(app, authed('GET', `/api/2/deletions/users?start_day=${TODAY}&end_day=${TODAY}`))
  ).body
}

describe('POST /api/2/deletions/users', () => {
  it('deletes a user by user id and another by Amplitude id: events, profile and cohort membership', async () => {
    const { app, ids, store } = await appWithUsers()
    const cohort = await call(
      app,
      authed('POST', '/api/3/cohorts/upload', {
        name: 'All',
        app_id: PROJECT.id,
        id_type: 'BY_USER_ID',
        ids: ['alice', 'bobby', 'carol'],
        owner: 'me@example.com',
        published: true,
      }),
    )
    const { status, body } = await call(
      app,
      requestDeletion({
        user_ids: ['alice'],
        amplitude_ids: [ids.get('bobby')],
        requester: 'dpo@example.com',
      }),
    )
    expect(status).toBe(200)
    expect(body).toEqual({
      day: TODAY,
      status: 'staging',
      // Amplitude ids first, then user ids, as the request lists them.
      amplitude_ids: [
        { amplitude_id: ids.get('bobby'), requester: 'dpo@example.com', requested_on_day: TODAY },
        { amplitude_id: ids.get('alice'), requester: 'dpo@example.com', requested_on_day: TODAY },
      ],
      app: PROJECT.id,
    })
    await waitFor(async () => (await listJobs(app))[0]?.status === 'done')
    expect(await listJobs(app)).toEqual([
      expect.objectContaining({
        day: TODAY,
        status: 'done',
        active_scrub_done_date: TODAY,
        app: PROJECT.id,
      }),
    ])
    for (const user of ['alice', 'bobby']) {
      const search = await call(app, authed('GET', `/api/2/usersearch?user=${user}`))
      expect(search.body.type).toBe('nomatch')
    }
    const activity = await call(app, authed('GET', `/api/2/useractivity?user=${ids.get('alice')}`))
    expect(activity.status).toBe(404)
    const rows = await store.selectRows(
      'SELECT DISTINCT user_id FROM events WHERE project_id = ?',
      [PROJECT.id],
    )
    expect(rows).toEqual([{ user_id: 'carol' }])
    const list = await call(app, authed('GET', '/api/3/cohorts'))
    expect(list.body.cohorts[0].size).toBe(1)
    const requested = await call(
      app,
      authed('GET', `/api/5/cohorts/request/${cohort.body.cohortId}`),
    )
    await awaitJob(app, requested.body.request_id)
    const file = await call(
      app,
      authed('GET', `/api/5/cohorts/request/${requested.body.request_id}/file`),
    )
    expect(file.body).toBe(
      `\tamplitude_id,\tuser_id,\tdevice_ids\r\n${ids.get('carol')},\tcarol,\td-carol\r\n`,
    )
  })

  it('refuses unknown ids with 400 unless ignore_invalid_id, which lists them and deletes the rest', async () => {
    const { app, ids } = await appWithUsers(60_000)
    const refused = await call(
      app,
      requestDeletion({ user_ids: ['alice', 'ghost'], amplitude_ids: [12] }),
    )
    expect(refused.status).toBe(400)
    expect(refused.body).toEqual({
      code: 400,
      error: expect.stringContaining('ignore_invalid_id'),
      invalid_ids: ['12', 'ghost'],
    })
    expect(await listJobs(app)).toEqual([])
    const ignored = await call(
      app,
      requestDeletion({
        user_ids: ['alice', 'ghost'],
        amplitude_ids: ['12'],
        ignore_invalid_id: true,
      }),
    )
    expect(ignored.status).toBe(200)
    expect(ignored.body.invalid_ids).toEqual(['12', 'ghost'])
    expect(ignored.body.amplitude_ids).toEqual([
      { amplitude_id: ids.get('alice'), requester: null, requested_on_day: TODAY },
    ])
  })

  describe('bad request bodies', () => {
    // Refused requests change nothing, so one app serves them all.
    const shared = sharedApp(
      (app) => ingest(app, [{ event_type: 'View', user_id: 'alice', time: NOW }]),
      { now: () => NOW },
    )
    it.each([
      [{}, 'at least one id'],
      [{ amplitude_ids: 'x' }, 'amplitude_ids'],
      [{ amplitude_ids: [1.5] }, 'amplitude_ids[0]'],
      [{ user_ids: [''] }, 'user_ids[0]'],
      [{ user_ids: ['alice'], requester: 5 }, 'requester'],
      [{ user_ids: ['alice'], ignore_invalid_id: 'yes' }, 'ignore_invalid_id'],
      [{ user_ids: Array.from({ length: 101 }, (_, i) => `user-${i}`) }, 'At most 100'],
      [
        {
          user_ids: Array.from({ length: 60 }, (_, i) => `u-${i}`),
          amplitude_ids: Array.from({ length: 41 }, (_, i) => i),
        },
        'At most 100',
      ],
    ])('answers 400 for %#', async (body, message) => {
      const app = shared()
      const answer = await call(app, requestDeletion(body))
      expect(answer.status).toBe(400)
      expect(answer.body.error).toContain(message)
    })
  })

  it('answers bad JSON, a wrong method and missing credentials with clear errors', async () => {
    const { app } = await appWithUsers()
    expect((await call(app, requestDeletion('{"user_ids":'))).status).toBe(400)
    expect((await call(app, requestDeletion('[]'))).status).toBe(400)
    expect((await call(app, authed('PUT', '/api/2/deletions/users', {}))).status).toBe(405)
    const anonymous = await call(
      app,
      new Request(`${ORIGIN}/api/2/deletions/users`, { method: 'POST', body: '{}' }),
    )
    expect(anonymous.status).toBe(401)
  })
})

describe('listing and cancelling deletions', () => {
  it('cancels a staged deletion, which then never runs', async () => {
    const { app, ids } = await appWithUsers(60_000)
    await call(app, requestDeletion({ user_ids: ['alice', 'bobby'] }))
    expect(await listJobs(app)).toEqual([
      expect.objectContaining({ status: 'staging', active_scrub_done_date: null }),
    ])
    const cancelled = await call(
      app,
      authed('DELETE', `/api/2/deletions/users/${ids.get('alice')}/${TODAY}`),
    )
    expect(cancelled).toMatchObject({
      status: 200,
      body: { amplitude_id: ids.get('alice'), requested_on_day: TODAY, requester: null },
    })
    const [job] = await listJobs(app)
    expect(job.amplitude_ids.map((a: { amplitude_id: number }) => a.amplitude_id)).toEqual([
      ids.get('bobby'),
    ])
    const again = await call(
      app,
      authed('DELETE', `/api/2/deletions/users/${ids.get('alice')}/${TODAY}`),
    )
    expect(again.status).toBe(404)
    const search = await call(app, authed('GET', '/api/2/usersearch?user=alice'))
    expect(search.body.type).toBe('match_user_or_device_id')
  })

  it('refuses to cancel a deletion that already ran', async () => {
    const { app, ids } = await appWithUsers()
    await call(app, requestDeletion({ user_ids: ['carol'] }))
    await waitFor(async () => (await listJobs(app))[0]?.status === 'done')
    const late = await call(
      app,
      authed('DELETE', `/api/2/deletions/users/${ids.get('carol')}/${TODAY}`),
    )
    expect(late.status).toBe(400)
    expect(late.body.error).toContain('done')
  })

  it('validates the listing days and the cancel path', async () => {
    const { app } = await appWithUsers()
    const missing = await call(app, authed('GET', '/api/2/deletions/users?start_day=2024-07-01'))
    expect(missing.status).toBe(400)
    expect(missing.body.error).toContain('end_day')
    const reversed = await call(
      app,
      authed('GET', '/api/2/deletions/users?start_day=2024-07-02&end_day=2024-07-01'),
    )
    expect(reversed.status).toBe(400)
    const badDay = await call(app, authed('DELETE', '/api/2/deletions/users/123/2024-13-01'))
    expect(badDay.status).toBe(400)
    const badId = await call(app, authed('DELETE', '/api/2/deletions/users/abc/2024-07-01'))
    expect(badId.status).toBe(400)
    const empty = await call(
      app,
      authed('GET', '/api/2/deletions/users?start_day=2020-01-01&end_day=2020-01-02'),
    )
    expect(empty.body).toEqual([])
  })
})
