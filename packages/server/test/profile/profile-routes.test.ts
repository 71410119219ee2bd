import { describe, expect, it } from 'vitest'
import { authed, call, ingest } from '../cohorts/requests.ts'
import { ORIGIN, OTHER_PROJECT, PROJECT, testApp } from '../helpers/app-fixture.ts'

const NOW = Date.UTC(2024, 6, 14, 12, 0, 0)

function profile(query: string, key: string | null = PROJECT.secretKey): Request {
  return new Request(`${ORIGIN}/v1/userprofile?${query}`, {
    headers: key === null ? {} : { authorization: `Api-Key ${key}` },
  })
}

async function appWithUsers() {
  const fixture = await testApp({ now: () => NOW })
  await ingest(fixture.app, [
    { event_type: 'View', device_id: 'anon-device', time: NOW - 5000 },
    {
      event_type: 'View',
      user_id: 'alice',
      device_id: 'anon-device',
      time: NOW - 4000,
      user_properties: { plan: 'pro', visits: 3 },
    },
    { event_type: 'View', user_id: 'bobby', device_id: 'd-bobby', time: NOW - 3000 },
  ])
  return fixture
}

describe('GET /v1/userprofile', () => {
  it('answers a user with its properties and cohorts when asked, nulls otherwise', async () => {
    const { app } = await appWithUsers()
    const cohort = await call(
      app,
      authed('POST', '/api/3/cohorts/upload', {
        name: 'Pros',
        app_id: PROJECT.id,
        id_type: 'BY_USER_ID',
        ids: ['alice'],
        owner: 'me@example.com',
        published: true,
      }),
    )
    const full = await call(app, profile('user_id=alice&get_amp_props=true&get_cohort_ids=true'))
    expect(full).toMatchObject({ status: 200 })
    expect(full.body).toEqual({
      userData: {
        user_id: 'alice',
        device_id: 'anon-device',
        recommendations: null,
        amp_props: { plan: 'pro', visits: 3 },
        cohort_ids: [cohort.body.cohortId],
      },
    })
    const bare = await call(app, profile('user_id=bobby'))
    expect(bare.body).toEqual({
      userData: {
        user_id: 'bobby',
        device_id: 'd-bobby',
        recommendations: null,
        amp_props: null,
        cohort_ids: null,
      },
    })
    const noCohorts = await call(app, profile('user_id=bobby&get_cohort_ids=true'))
    expect(noCohorts.body.userData.cohort_ids).toEqual([])
  })

  it('finds a user by a device id, following the merge of an anonymous device', async () => {
    const { app } = await appWithUsers()
    const byDevice = await call(app, profile('device_id=anon-device&get_amp_props=true'))
    expect(byDevice.body.userData).toMatchObject({
      user_id: 'alice',
      device_id: 'anon-device',
      amp_props: { plan: 'pro' },
    })
  })

  it('answers models it does not have as a project without them', async () => {
    const { app } = await appWithUsers()
    const { status, body } = await call(
      app,
      profile(
        'user_id=alice&get_recs=true&rec_id=abc&get_computations=true&get_propensity=true&prediction_id=p1',
      ),
    )
    expect(status).toBe(200)
    expect(body.userData).toMatchObject({ recommendations: null, amp_props: {} })
    expect(body.userData).not.toHaveProperty('propensity')
  })

  it('answers an unknown user, missing ids and bad keys with Amplitude\u2019s error bodies', async () => {
    const { app } = await appWithUsers()
    const unknown = await call(app, profile('user_id=nobody&device_id=nothing'))
    expect(unknown).toMatchObject({
      status: 400,
      body: { error: 'User id and device id not seen before' },
    })
    const none = await call(app, profile('get_amp_props=true'))
    expect(none.status).toBe(400)
    expect(none.body.error).toContain('user_id')
    const missing = await call(app, profile('user_id=alice', null))
    expect(missing).toMatchObject({
      status: 401,
      body: { error: 'Missing Api-Key in Authorization header' },
    })
    const basic = await call(
      app,
      new Request(`${ORIGIN}/v1/userprofile?user_id=alice`, {
        headers: { authorization: 'Basic abc' },
      }),
    )
    expect(basic.body).toEqual({ error: 'Missing Api-Key in Authorization header' })
    const wrong = await call(app, profile('user_id=alice', 'not-the-secret'))
    expect(wrong).toMatchObject({ status: 401, body: { error: 'Invalid Api-Key' } })
    // The API key is not the secret key.
    const apiKey = await call(app, profile('user_id=alice', PROJECT.apiKey))
    expect(apiKey.status).toBe(401)
    // Another project's secret sees that project's users only.
    const other = await call(app, profile('user_id=alice', OTHER_PROJECT.secretKey))
    expect(other.body).toEqual({ error: 'User id and device id not seen before' })
    const post = await call(
      app,
      new Request(`${ORIGIN}/v1/userprofile`, {
        method: 'POST',
        headers: { authorization: `Api-Key ${PROJECT.secretKey}` },
      }),
    )
    expect(post.status).toBe(405)
  })
})
