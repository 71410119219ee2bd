/** A user deletion over real HTTP on 127.0.0.1, then the user is gone from the query APIs. */
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

describe('deletions over loopback', () => {
  it('deletes a user, reports the job done, and the user no longer appears', async () => {
    const store = await RecordingStore.open()
    server = await listen(createServerApp({ store, projects: [PROJECT, OTHER_PROJECT] }))
    const { url } = server
    await fetch(`${url}/2/httpapi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        api_key: PROJECT.apiKey,
        events: [{ event_type: 'View', user_id: 'alice', device_id: 'd-alice' }],
      }),
    })
    const requested = await fetch(`${url}/api/2/deletions/users`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ user_ids: ['alice'], requester: 'dpo@example.com' }),
    })
    expect(requested.status).toBe(200)
    const job = (await requested.json()) as { day: string; status: string }
    expect(job.status).toBe('staging')
    let status = ''
    for (let attempt = 0; attempt < 200 && status !== 'done'; attempt++) {
      const listed = await fetch(
        `${url}/api/2/deletions/users?start_day=${job.day}&end_day=${job.day}`,
        { headers },
      )
      status = ((await listed.json()) as Array<{ status: string }>)[0]?.status ?? ''
      if (status !== 'done') await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(status).toBe('done')
    const search = await fetch(`${url}/api/2/usersearch?user=alice`, { headers })
    expect(await search.json()).toEqual({ type: 'nomatch', matches: [] })
  })
})
