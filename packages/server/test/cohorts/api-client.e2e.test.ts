/**
 * `@ampkit/api` (the query client) against the local server over loopback: cohorts, deletions, the
 * User Profile API and the Taxonomy API, as a user of both packages would call them.
 */
import { type AmplitudeApi, createAmplitudeApi } from '@ampkit/api'
import { afterEach, describe, expect, it } from 'vitest'
import { createServerApp } from '../../src/app.ts'
import { type ListeningServer, listen } from '../../src/listen.ts'
import { OTHER_PROJECT, PROJECT } from '../helpers/app-fixture.ts'
import { RecordingStore } from '../helpers/recording-store.ts'

let server: ListeningServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

async function start(): Promise<{ api: AmplitudeApi; url: string }> {
  const store = await RecordingStore.open()
  server = await listen(
    createServerApp({
      store,
      projects: [PROJECT, OTHER_PROJECT],
      cohorts: { cohortJobMinMs: 20, inlineFileMaxBytes: 0 },
    }),
  )
  const { url } = server
  const sent = await fetch(`${url}/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      api_key: PROJECT.apiKey,
      events: [
        {
          event_type: 'Purchase',
          user_id: 'alice',
          device_id: 'd-alice',
          user_properties: { plan: 'pro' },
        },
        { event_type: 'Purchase', user_id: 'alice', device_id: 'd-alice' },
        { event_type: 'View', user_id: 'bobby', device_id: 'd-bobby' },
      ],
    }),
  })
  expect(sent.status).toBe(200)
  const api = createAmplitudeApi({
    apiKey: PROJECT.apiKey,
    secretKey: PROJECT.secretKey,
    baseUrl: url,
  })
  return { api, url }
}

describe('@ampkit/api against the local server', () => {
  it('uploads, changes, lists and downloads cohorts (polling, redirect, tab-prefixed CSV)', async () => {
    const { api } = await start()
    const uploaded = await api.uploadCohort({
      name: 'Alice',
      app_id: PROJECT.id,
      id_type: 'BY_USER_ID',
      ids: ['alice'],
      owner: 'me@example.com',
      published: true,
    })
    expect(uploaded.metadata).toEqual({ matched: 1, totals: 1, invalid_ids_sample: [] })
    const changed = await api.updateCohortMembership({
      cohort_id: uploaded.cohortId,
      count_group: 'User',
      memberships: [{ ids: ['bobby', 'ghost'], id_type: 'BY_NAME', operation: 'ADD' }],
    })
    expect(changed.memberships_result).toEqual([
      { skipped_ids: ['ghost'], id_type: 'BY_NAME', operation: 'ADD' },
    ])
    const cohorts = await api.listCohorts()
    expect(cohorts).toEqual([expect.objectContaining({ id: uploaded.cohortId, size: 2 })])
    const members = []
    for await (const member of api.downloadCohort(uploaded.cohortId, {
      props: true,
      pollIntervalMs: 5,
    })) {
      members.push(member)
    }
    expect(members.map((m) => [m.userId, m.deviceIds, m.properties])).toEqual(
      expect.arrayContaining([
        ['alice', ['d-alice'], { plan: 'pro' }],
        ['bobby', ['d-bobby'], { plan: '' }],
      ]),
    )
    expect(members).toHaveLength(2)
  })

  it('uploads a group cohort and downloads its members as typed group values', async () => {
    const { api, url } = await start()
    const identified = await fetch(`${url}/groupidentify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        api_key: PROJECT.apiKey,
        identification: JSON.stringify([
          { group_type: 'company', group_value: 'acme', group_properties: { plan: 'pro' } },
          { group_type: 'company', group_value: 'globex', group_properties: {} },
        ]),
      }),
    })
    expect(identified.status).toBe(200)
    const uploaded = await api.uploadCohort({
      name: 'Accounts',
      app_id: PROJECT.id,
      id_type: 'BY_USER_ID',
      ids: ['globex', 'acme', 'hooli'],
      owner: 'me@example.com',
      published: true,
      cg: 'company',
    })
    expect(uploaded.metadata).toEqual({ matched: 2, totals: 2, invalid_ids_sample: ['hooli'] })
    const members = []
    for await (const member of api.downloadCohort(uploaded.cohortId, {
      props: true,
      pollIntervalMs: 5,
    })) {
      members.push(member)
    }
    expect(members).toEqual([
      {
        amplitudeId: null,
        userId: null,
        deviceIds: [],
        groupValue: 'acme',
        properties: { plan: 'pro' },
      },
      {
        amplitudeId: null,
        userId: null,
        deviceIds: [],
        groupValue: 'globex',
        properties: { plan: '' },
      },
    ])
  })

  it('requests, lists and completes a deletion, then the user is gone from search', async () => {
    const { api } = await start()
    const jobs = await api.requestDeletions({ userIds: ['bobby'], requester: 'dpo@example.com' })
    expect(jobs).toEqual([expect.objectContaining({ status: 'staging' })])
    const day = jobs[0]!.day
    let listed = await api.listDeletions({ startDay: day, endDay: day })
    for (let attempt = 0; attempt < 200 && listed[0]?.status !== 'done'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      listed = await api.listDeletions({ startDay: day, endDay: day })
    }
    expect(listed[0]?.status).toBe('done')
    expect((await api.userSearch('bobby')).matches).toEqual([])
  })

  it('reads a user profile with its cohorts', async () => {
    const { api } = await start()
    const uploaded = await api.uploadCohort({
      name: 'Alice',
      app_id: PROJECT.id,
      id_type: 'BY_USER_ID',
      ids: ['alice'],
      owner: 'me@example.com',
      published: true,
    })
    const profile = await api.getUserProfile({
      userId: 'alice',
      ampProps: true,
      cohortIds: true,
    })
    expect(profile.userData).toMatchObject({
      user_id: 'alice',
      amp_props: { plan: 'pro' },
      cohort_ids: [uploaded.cohortId],
    })
  })

  it('creates, updates, lists, deletes and restores taxonomy records', async () => {
    const { api } = await start()
    await api.taxonomy.events.create('Song Played', { description: 'A song started' })
    await api.taxonomy.eventProperties.create('genre', { eventType: 'Song Played', type: 'string' })
    await api.taxonomy.events.update('Song Played', { description: 'Playback began' })
    expect(await api.taxonomy.events.get('Song Played')).toMatchObject({
      description: 'Playback began',
    })
    expect(await api.taxonomy.eventProperties.list({ eventType: 'Song Played' })).toEqual([
      expect.objectContaining({ event_property: 'genre', type: 'string' }),
    ])
    await expect(api.taxonomy.events.create('Song Played')).rejects.toMatchObject({ status: 409 })
    await api.taxonomy.events.delete('Song Played')
    expect(await api.taxonomy.events.list()).toEqual([])
    await api.taxonomy.events.restore('Song Played')
    expect(await api.taxonomy.events.list()).toHaveLength(1)
  })
})
