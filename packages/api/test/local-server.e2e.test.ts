/**
 * The client against the real local server (`@ampkit/server`) on 127.0.0.1:0: every family of
 * endpoints end to end, and the server's fault injection driving the retry paths.
 */
import { type RunningServer, startServer } from '@ampkit/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AmplitudeApi,
  AuthError,
  ConflictError,
  createAmplitudeApi,
  NotFoundError,
  ServerError,
  seriesValues,
  TimeoutError,
} from '../src/index.ts'

const project = { id: 7, name: 'API', apiKey: 'api-e2e-key-0001', secretKey: 'api-e2e-secret-01' }
let server: RunningServer
let api: AmplitudeApi
const sleeps: number[] = []

const events = [
  {
    event_type: 'Search',
    user_id: 'alice',
    device_id: 'd-alice',
    insert_id: 'i1',
    event_properties: { q: 'rock' },
  },
  {
    event_type: 'Play Song',
    user_id: 'alice',
    device_id: 'd-alice',
    insert_id: 'i2',
    event_properties: { genre: 'rock' },
  },
  {
    event_type: 'Search',
    user_id: 'bobby',
    device_id: 'd-bobby',
    insert_id: 'i3',
    event_properties: { q: 'jazz' },
  },
]

function client(extra: Parameters<typeof createAmplitudeApi>[0]['hooks'] = {}) {
  return createAmplitudeApi({
    apiKey: project.apiKey,
    secretKey: project.secretKey,
    baseUrl: server.url,
    retry: { maxAttempts: 3 },
    hooks: {
      random: () => 0,
      // Real sleeps are only needed for the cohort job; backoffs are recorded and skipped.
      sleep: async (ms) => {
        sleeps.push(ms)
        if (ms <= 50) await new Promise((r) => setTimeout(r, ms))
      },
      ...extra,
    },
  })
}

/** One element of a funnel answer, as the client's own signature types it. */
type FunnelAnswer = Awaited<ReturnType<AmplitudeApi['funnels']>>['data'][number]

async function addFault(rule: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.url}/_ampkit/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  })
  expect(response.status).toBeLessThan(300)
}

beforeAll(async () => {
  server = await startServer({
    port: 0,
    memory: true,
    projects: [project],
    rateLimits: false,
    faults: true,
    cohorts: { cohortJobMinMs: 20, inlineFileMaxBytes: 0 },
    // Deletions stay cancellable (staging) for a minute.
    deletions: { deletionDelayMs: 60_000 },
  })
  const now = Date.now()
  const response = await fetch(`${server.url}/2/httpapi`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      api_key: project.apiKey,
      events: events.map((e, i) => ({ ...e, time: now - 1000 * (3 - i) })),
    }),
  })
  expect(response.status).toBe(200)
  api = client()
})

afterAll(async () => {
  await server?.close()
})

const today = () => new Date()

describe('@ampkit/api against the local server', () => {
  it('exports what was ingested: every event once, 55 keys each', async () => {
    const hour = 3_600_000
    const exported = []
    for await (const e of api.exportEvents({
      start: new Date(Date.now() - hour),
      end: new Date(Date.now() + hour),
    }))
      exported.push(e)
    expect(exported.map((e) => e.$insert_id).sort()).toEqual(['i1', 'i2', 'i3'])
    for (const e of exported) {
      expect(Object.keys(e)).toHaveLength(55)
      const sent = events.find((s) => s.insert_id === e.$insert_id)!
      expect(e).toMatchObject({
        event_type: sent.event_type,
        user_id: sent.user_id,
        device_id: sent.device_id,
        event_properties: sent.event_properties,
        app: project.id,
      })
    }
    const lines = []
    for await (const line of api.exportLines({
      start: new Date(Date.now() - hour),
      end: new Date(),
    }))
      lines.push(JSON.parse(line.toString('utf8')))
    expect(lines).toEqual(exported)
  })

  it('finds no data (not an error) in an hour without uploads', async () => {
    const out = []
    for await (const e of api.exportEvents({ start: '20200101T00', end: '20200101T05' }))
      out.push(e)
    expect(out).toEqual([])
  })

  it('answers user search and user activity', async () => {
    const search = await api.userSearch('alice')
    const amplitudeId = search.matches[0]?.amplitude_id
    expect(amplitudeId).toBeTypeOf('number')
    const activity = await api.userActivity({ user: amplitudeId!, direction: 'earliest' })
    expect(activity.events.map((e) => e.event_type)).toEqual(['Search', 'Play Song'])
    expect((await api.userSearch('nobody-at-all')).matches).toEqual([])
  })

  it('answers segmentation and users with today’s counts', async () => {
    const segmentation = await api.segmentation({
      event: 'Search',
      metric: 'totals',
      start: today(),
      end: today(),
    })
    expect(seriesValues(segmentation.data.series[0] ?? [])).toEqual([2])
    const uniques = await api.segmentation({ event: '_active', start: today(), end: today() })
    expect(seriesValues(uniques.data.series[0] ?? [])).toEqual([2])
    const users = await api.users({ start: today(), end: today() })
    expect(users.data.series[0]).toEqual([2])
  })

  it('answers sessions, composition, events list and realtime in their documented shapes', async () => {
    const range = { start: today(), end: today() }
    expect(Array.isArray((await api.sessionLength(range)).data.series)).toBe(true)
    expect(Array.isArray((await api.sessionAverage(range)).data.xValues)).toBe(true)
    expect(Array.isArray((await api.sessionsPerUser(range)).data.series)).toBe(true)
    expect(
      (await api.composition({ ...range, property: 'platform' })).data.xValues.length,
    ).toBeGreaterThan(0)
    const list = await api.eventsList()
    expect(list.data.map((e) => e.value).sort()).toEqual(['Play Song', 'Search'])
    expect((await api.realtime()).data.series.length).toBeGreaterThan(0)
  })

  it('answers retention', async () => {
    const retention = await api.retention({
      startEvent: '_new',
      returnEvent: '_all',
      start: today(),
      end: today(),
    })
    expect(retention.data.series[0]?.dates).toHaveLength(1)
  })

  it('answers a funnel: alice searched then played, bobby only searched', async () => {
    const funnel = await api.funnels({
      steps: ['Search', 'Play Song'],
      start: today(),
      end: today(),
    })
    const [series] = funnel.data
    expect(series?.cumulativeRaw).toEqual([2, 1])
    expect(series?.stepByStep).toEqual([1, 0.5])
    // One day, one converting user (alice): the day's times are hers, as are the overall ones.
    const aliceMs = series?.medianTransTimes[1]
    expect(series?.avgTransTimes).toEqual([0, aliceMs])
    expect(series?.dayMedianTransTimes?.series).toEqual([[0, aliceMs]])
    expect(series?.dayAvgTransTimes?.series).toEqual([[0, aliceMs]])
    // The histograms hold her once: her transition time, and one Search before Play Song.
    const filled = (distribution: FunnelAnswer['stepTransTimeDistribution']) =>
      distribution?.step_bins.map((step) =>
        step.bins.filter((bin) => bin.bin_dist.uniques > 0).map((bin) => bin.bin_dist),
      )
    expect(filled(series?.stepTransTimeDistribution)).toEqual([
      [],
      [{ uniques: 1, totals: 1, sums: aliceMs }],
    ])
    expect(filled(series?.stepPrevStepCountDistribution)).toEqual([
      [],
      [{ uniques: 1, totals: 1, sums: 1 }],
    ])
    const sequential = await api.funnels({
      steps: ['Search', 'Play Song'],
      start: today(),
      end: today(),
      mode: 'sequential',
      conversionWindowSeconds: 3600,
    })
    expect(sequential.data[0]?.cumulativeRaw).toEqual([2, 1])
  })

  it('answers revenue LTV in its documented shape', async () => {
    const ltv = await api.revenueLtv({ start: today(), end: today(), metric: 'total' })
    expect(Array.isArray(ltv.data.series)).toBe(true)
  })

  it('uploads a cohort and downloads its members through request, polling and the 302', async () => {
    const search = await api.userSearch('alice')
    const upload = await api.uploadCohort({
      name: 'Both',
      app_id: project.id,
      id_type: 'BY_USER_ID',
      ids: ['alice', 'bobby'],
      owner: 'me@example.com',
      published: true,
    })
    const members = []
    for await (const m of api.downloadCohort(upload.cohortId, {
      pollIntervalMs: 10,
      maxPollIntervalMs: 20,
    }))
      members.push(m)
    expect(members.map((m) => m.userId).sort()).toEqual(['alice', 'bobby'])
    expect(members.find((m) => m.userId === 'alice')).toMatchObject({
      amplitudeId: search.matches[0]?.amplitude_id,
      deviceIds: ['d-alice'],
    })
    const cohorts = await api.listCohorts()
    expect(cohorts.map((c) => c.id)).toContain(upload.cohortId)
    const changed = await api.updateCohortMembership({
      cohort_id: upload.cohortId,
      count_group: 'User',
      memberships: [{ ids: ['bobby'], id_type: 'BY_NAME', operation: 'REMOVE' }],
    })
    expect(changed.cohort_id).toBe(upload.cohortId)
  })

  it('requests, lists and cancels a deletion', async () => {
    const bobby = (await api.userSearch('bobby')).matches[0]!.amplitude_id
    const jobs = await api.requestDeletions({ amplitudeIds: [bobby], requester: 'me@example.com' })
    const day = jobs[0]!.day
    expect(jobs[0]?.amplitude_ids.map((a) => a.amplitude_id)).toEqual([bobby])
    const listed = await api.listDeletions({ startDay: day, endDay: day })
    expect(listed.flatMap((j) => j.amplitude_ids.map((a) => a.amplitude_id))).toContain(bobby)
    const cancelled = await api.cancelDeletion(bobby, day)
    expect(cancelled.amplitude_id).toBe(bobby)
  })

  it('reads a user profile and maps an unknown user to NotFoundError', async () => {
    const profile = await api.getUserProfile({ userId: 'alice', ampProps: true })
    expect(profile.userData.user_id).toBe('alice')
    await expect(api.getUserProfile({ userId: 'never-seen' })).rejects.toThrow(NotFoundError)
  })

  it('creates, reads, conflicts on, deletes and restores taxonomy event types', async () => {
    await api.taxonomy.events.create('Checkout', { description: 'Paid', category: 'Commerce' })
    const conflict = await api.taxonomy.events.create('Checkout').catch((e) => e)
    expect(conflict).toBeInstanceOf(ConflictError)
    expect((await api.taxonomy.events.get('Checkout')).event_type).toBe('Checkout')
    await api.taxonomy.events.update('Checkout', { description: 'Paid order' })
    await api.taxonomy.events.delete('Checkout')
    await api.taxonomy.events.restore('Checkout')
    const listed = await api.taxonomy.events.list()
    expect(listed.find((e) => e.event_type === 'Checkout')?.description).toBe('Paid order')
    await api.taxonomy.eventProperties.create('genre', { eventType: 'Play Song', type: 'string' })
    const props = await api.taxonomy.eventProperties.list({ eventType: 'Play Song' })
    expect(props.map((p) => p.event_property)).toEqual(['genre'])
    await api.taxonomy.userProperties.create('plan', { type: 'enum', enum_values: ['free', 'pro'] })
    expect((await api.taxonomy.userProperties.list()).map((p) => p.user_property)).toContain(
      'gp:plan',
    )
  })

  it('retries injected 429s (honouring Retry-After) and 503s, then answers', async () => {
    const expected = (await api.users({ start: today(), end: today() })).data.series[0]
    sleeps.length = 0
    await addFault({ kind: 'throttle', path: '/api/2/users', count: 1, retryAfterSeconds: 2 })
    await addFault({ kind: 'error', path: '/api/2/users', count: 1, status: 503 })
    const users = await api.users({ start: today(), end: today() })
    expect(users.data.series[0]).toEqual(expected)
    expect(sleeps[0]).toBe(2000)
    expect(sleeps).toHaveLength(2)
  })

  it('gives up on a persistent 503 with a ServerError after maxAttempts', async () => {
    await addFault({ kind: 'error', path: '/api/2/users', count: 3, status: 503 })
    await expect(api.users({ start: today(), end: today() })).rejects.toThrow(ServerError)
  })

  it('times out a request the server holds', async () => {
    await addFault({
      kind: 'hang',
      path: '/api/2/users',
      count: 1,
      delayMs: 1000,
      afterDelay: 'drop',
    })
    const impatient = createAmplitudeApi({
      apiKey: project.apiKey,
      secretKey: project.secretKey,
      baseUrl: server.url,
      timeoutMs: 100,
      retry: { maxAttempts: 1 },
    })
    await expect(impatient.users({ start: today(), end: today() })).rejects.toThrow(TimeoutError)
  })

  it('reports wrong keys as an AuthError', async () => {
    const wrong = createAmplitudeApi({
      apiKey: project.apiKey,
      secretKey: 'wrong-secret',
      baseUrl: server.url,
    })
    const error = await wrong.users({ start: today(), end: today() }).catch((e) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error.message).not.toContain('wrong-secret')
  })
})

describe('@ampkit/api against the local server writing ZIP64 archives in many parts', () => {
  it('reads every event of a ZIP64 archive split into one-event parts', async () => {
    const zip64 = await startServer({
      port: 0,
      memory: true,
      projects: [project],
      rateLimits: false,
      export: { forceZip64: true, maxEventsPerPart: 1 },
    })
    try {
      const sent = Array.from({ length: 5 }, (_, i) => ({
        event_type: 'Tick',
        user_id: `user-${i}`,
        insert_id: `z${i}`,
      }))
      const response = await fetch(`${zip64.url}/2/httpapi`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: project.apiKey, events: sent }),
      })
      expect(response.status).toBe(200)
      const client = createAmplitudeApi({
        apiKey: project.apiKey,
        secretKey: project.secretKey,
        baseUrl: zip64.url,
      })
      let files = 0
      const ids: unknown[] = []
      for await (const e of client.exportEvents({
        start: new Date(Date.now() - 3_600_000),
        end: new Date(Date.now() + 3_600_000),
        onProgress: (p) => {
          files = p.files
        },
      }))
        ids.push(e.$insert_id)
      expect(ids.sort()).toEqual(['z0', 'z1', 'z2', 'z3', 'z4'])
      expect(files).toBe(5)
    } finally {
      await zip64.close()
    }
  })
})
