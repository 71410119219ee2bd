import { afterEach, describe, expect, it } from 'vitest'
import {
  AuthError,
  ConflictError,
  createAmplitudeApi,
  NotFoundError,
  ParameterError,
} from '../src/index.ts'
import { sendJson, startTestServer, type TestServer } from './helpers/http-server.ts'

const servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function setup(handler: Parameters<typeof startTestServer>[0]) {
  const server = await startTestServer(handler)
  servers.push(server)
  const sleeps: number[] = []
  const api = createAmplitudeApi({
    apiKey: 'key',
    secretKey: 'the-secret',
    baseUrl: server.url,
    hooks: { sleep: async (ms) => void sleeps.push(ms) },
  })
  return { server, api, sleeps }
}

describe('deletions', () => {
  it('splits 250 ids into three requests of at most 100, sent one after another a second apart', async () => {
    let inFlight = 0
    let maxInFlight = 0
    const { server, api, sleeps } = await setup(async (req, res) => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise((r) => setTimeout(r, 5))
      inFlight--
      const body = JSON.parse(req.body)
      sendJson(res, 200, {
        day: '2024-08-01',
        status: 'staging',
        amplitude_ids: (body.amplitude_ids ?? []).map((id: number) => ({
          amplitude_id: id,
          requester: 'me',
          requested_on_day: '2024-07-14',
        })),
      })
    })
    const amplitudeIds = Array.from({ length: 180 }, (_, i) => 1000 + i)
    const userIds = Array.from({ length: 70 }, (_, i) => `user-${i}`)
    const jobs = await api.requestDeletions({
      amplitudeIds,
      userIds,
      requester: 'me',
      ignoreInvalidId: true,
    })
    const bodies = server.requests.map((r) => JSON.parse(r.body))
    expect(bodies.map((b) => (b.amplitude_ids?.length ?? 0) + (b.user_ids?.length ?? 0))).toEqual([
      100, 100, 50,
    ])
    expect(bodies[1]).toMatchObject({ requester: 'me', ignore_invalid_id: true })
    expect(bodies[1].amplitude_ids).toHaveLength(80)
    expect(bodies[1].user_ids).toHaveLength(20)
    expect(maxInFlight).toBe(1)
    expect(sleeps).toEqual([1000, 1000])
    expect(jobs).toHaveLength(3)
    expect(jobs.flatMap((j) => j.amplitude_ids)).toHaveLength(180)
  })

  it('lists jobs between two days and cancels one user', async () => {
    const { server, api } = await setup((req, res) => {
      if (req.method === 'GET')
        return sendJson(res, 200, [{ day: '2024-08-01', status: 'staging', amplitude_ids: [] }])
      sendJson(res, 200, { amplitude_id: 1000, requested_on_day: '2024-07-14', requester: 'me' })
    })
    expect(
      await api.listDeletions({ startDay: '2024-07-01', endDay: new Date(Date.UTC(2024, 7, 31)) }),
    ).toHaveLength(1)
    expect(server.requests[0]?.query.toString()).toBe('start_day=2024-07-01&end_day=2024-08-31')
    expect((await api.cancelDeletion(1000, '2024-07-14')).amplitude_id).toBe(1000)
    expect(server.requests[1]).toMatchObject({
      method: 'DELETE',
      path: '/api/2/deletions/users/1000/2024-07-14',
    })
    await expect(api.requestDeletions({})).rejects.toThrow(ParameterError)
    await expect(api.cancelDeletion('abc', '2024-07-14')).rejects.toThrow(
      /cancelDeletion: amplitudeId/,
    )
  })
})

describe('user profile', () => {
  it('sends the secret as Api-Key with the flags, and maps an unknown user to NotFoundError', async () => {
    const { server, api } = await setup((req, res) => {
      if (req.headers.authorization !== 'Api-Key the-secret')
        return sendJson(res, 401, { error: 'Invalid Api-Key' })
      if (req.query.get('user_id') === 'ghost')
        return sendJson(res, 200, { error: 'User id and device id not seen before' })
      sendJson(res, 200, {
        userData: {
          user_id: 'u1',
          device_id: null,
          recommendations: null,
          amp_props: { plan: 'pro' },
          cohort_ids: ['c1'],
        },
      })
    })
    const profile = await api.getUserProfile({
      userId: 'u1',
      ampProps: true,
      cohortIds: true,
      computations: ['c1', 'c2'],
    })
    expect(profile.userData.amp_props).toEqual({ plan: 'pro' })
    expect(server.requests[0]?.path).toBe('/v1/userprofile')
    expect(server.requests[0]?.query.toString()).toBe(
      'user_id=u1&get_amp_props=true&get_cohort_ids=true&comp_id=c1%2Cc2',
    )
    const missing = await api.getUserProfile({ userId: 'ghost' }).catch((e) => e)
    expect(missing).toBeInstanceOf(NotFoundError)
    expect(missing.message).toBe(
      'GET /v1/userprofile failed: 200 User id and device id not seen before',
    )
    await expect(api.getUserProfile({})).rejects.toThrow(/userId or deviceId is required/)
  })

  it('reports a refused key as an AuthError without the key in it', async () => {
    const { api } = await setup((_req, res) => sendJson(res, 401, { error: 'Invalid Api-Key' }))
    const error = await api.getUserProfile({ deviceId: 'd1' }).catch((e) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(`${error.message}${JSON.stringify(error)}`).not.toContain('the-secret')
  })
})

describe('taxonomy', () => {
  it('creates, lists, updates, deletes and restores with form bodies; a 409 is a ConflictError', async () => {
    const { server, api } = await setup((req, res) => {
      if (
        req.method === 'POST' &&
        req.path === '/api/2/taxonomy/event' &&
        req.body.includes('Exists')
      )
        return sendJson(res, 409, {
          success: false,
          errors: [{ message: 'Attempted to add event Exists, which already exists.' }],
        })
      if (req.method === 'GET')
        return sendJson(res, 200, {
          success: true,
          data: [{ event_property: 'genre', event_type: 'Play', type: 'string' }],
        })
      sendJson(res, 200, { success: true })
    })
    await api.taxonomy.events.create('Play Song', {
      category: 'Music',
      description: 'A song played',
      tags: ['a', 'b'],
      is_active: true,
    })
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/api/2/taxonomy/event' })
    expect(server.requests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(server.requests[0]?.body))).toEqual({
      event_type: 'Play Song',
      category: 'Music',
      description: 'A song played',
      tags: 'a,b',
      is_active: 'true',
    })
    const conflict = await api.taxonomy.events.create('Exists').catch((e) => e)
    expect(conflict).toBeInstanceOf(ConflictError)
    expect(conflict.messages).toEqual(['Attempted to add event Exists, which already exists.'])
    const properties = await api.taxonomy.eventProperties.list({ eventType: 'Play' })
    expect(properties[0]?.event_property).toBe('genre')
    await api.taxonomy.eventProperties.update('genre', {
      eventType: 'Play',
      type: 'enum',
      enum_values: ['rock', 'jazz'],
    })
    await api.taxonomy.userProperties.delete('gp:plan')
    await api.taxonomy.userProperties.restore('gp:plan')
    expect(
      server.requests.slice(2).map((r) => `${r.method} ${r.path}?${r.query} ${r.body}`),
    ).toEqual([
      'GET /api/2/taxonomy/event-property?event_type=Play ',
      'PUT /api/2/taxonomy/event-property/genre? event_type=Play&type=enum&enum_values=rock%2Cjazz',
      'DELETE /api/2/taxonomy/user-property/gp%3Aplan? ',
      'POST /api/2/taxonomy/user-property/gp%3Aplan/restore? ',
    ])
    await expect(api.taxonomy.eventProperties.create('genre', {})).rejects.toThrow(
      /eventType is required/,
    )
  })
})
