/** The User Profile API over real HTTP on 127.0.0.1. */
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

describe('the User Profile API over loopback', () => {
  it('answers the properties of an identified user', async () => {
    const store = await RecordingStore.open()
    server = await listen(createServerApp({ store, projects: [PROJECT, OTHER_PROJECT] }))
    const { url } = server
    await fetch(`${url}/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        api_key: PROJECT.apiKey,
        identification: JSON.stringify({ user_id: 'alice', user_properties: { plan: 'pro' } }),
      }).toString(),
    })
    const answer = await fetch(`${url}/v1/userprofile?user_id=alice&get_amp_props=true`, {
      headers: { authorization: `Api-Key ${PROJECT.secretKey}` },
    })
    expect(answer.status).toBe(200)
    expect(await answer.json()).toEqual({
      userData: {
        user_id: 'alice',
        device_id: null,
        recommendations: null,
        amp_props: { plan: 'pro' },
        cohort_ids: null,
      },
    })
  })
})
