/** The cohort download over real HTTP on 127.0.0.1: request, poll, file, and the 302 to a link. */
import { afterEach, describe, expect, it } from 'vitest'
import { createServerApp } from '../../src/app.ts'
import { type ListeningServer, listen } from '../../src/listen.ts'
import { basicAuth, OTHER_PROJECT, PROJECT } from '../helpers/app-fixture.ts'
import { RecordingStore } from '../helpers/recording-store.ts'

let server: ListeningServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

const headers = { authorization: basicAuth(PROJECT.apiKey, PROJECT.secretKey) }

describe('cohorts over loopback', () => {
  it('uploads, then downloads through request, status polling, and a followed 302', async () => {
    const store = await RecordingStore.open()
    server = await listen(
      createServerApp({
        store,
        projects: [PROJECT, OTHER_PROJECT],
        cohorts: { cohortJobMinMs: 30, inlineFileMaxBytes: 0 },
      }),
    )
    const { url } = server
    const ingested = await fetch(`${url}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        api_key: PROJECT.apiKey,
        events: [
          { event_type: 'View', user_id: 'alice', device_id: 'd-alice' },
          { event_type: 'View', user_id: 'bobby', device_id: 'd-bobby' },
        ],
      }),
    })
    expect(ingested.status).toBe(200)
    const uploaded = await fetch(`${url}/api/3/cohorts/upload`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Both',
        app_id: PROJECT.id,
        id_type: 'BY_USER_ID',
        ids: ['alice', 'bobby'],
        owner: 'me@example.com',
        published: true,
      }),
    })
    const { cohortId } = (await uploaded.json()) as { cohortId: string }
    const requested = await fetch(`${url}/api/5/cohorts/request/${cohortId}`, { headers })
    expect(requested.status).toBe(202)
    const { request_id: requestId } = (await requested.json()) as { request_id: string }
    const statuses: number[] = []
    for (;;) {
      const status = await fetch(`${url}/api/5/cohorts/request-status/${requestId}`, { headers })
      statuses.push(status.status)
      await status.arrayBuffer()
      if (status.status !== 202) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(statuses[0]).toBe(202)
    expect(statuses.at(-1)).toBe(200)
    const redirect = await fetch(`${url}/api/5/cohorts/request/${requestId}/file`, {
      headers,
      redirect: 'manual',
    })
    expect(redirect.status).toBe(302)
    const location = redirect.headers.get('location')!
    expect(location.startsWith(`${url}/_ampkit/files/`)).toBe(true)
    // The link needs no credentials, like a pre-signed S3 URL.
    const file = await fetch(location)
    const text = await file.text()
    expect(text.split('\r\n')[0]).toBe('\tamplitude_id,\tuser_id,\tdevice_ids')
    expect(text).toContain(',\talice,\td-alice\r\n')
    expect(text).toContain(',\tbobby,\td-bobby\r\n')
    // fetch follows the redirect itself, with a new link each time.
    const followed = await fetch(`${url}/api/5/cohorts/request/${requestId}/file`, { headers })
    expect(await followed.text()).toBe(text)
  })
})
