import { describe, expect, it } from 'vitest'
import { exportEntries, send } from '../export/export-helpers.ts'
import { activityOf, PROJECT, postForm, testApp } from '../helpers/app-fixture.ts'

/** 2024-07-14 09:00 UTC. */
const NINE = Date.UTC(2024, 6, 14, 9)

async function clockedApp() {
  return testApp({ rateLimits: false, now: () => NINE })
}

describe('language tags are stored as language names', () => {
  it('maps tags case-insensitively to the name of their primary language', async () => {
    const { app } = await clockedApp()
    const sent = ['en-US', 'EN_gb', 'fr-CA', 'pt-BR', 'de', 'English', 'xx-YY', 'und', 'Klingon!']
    await send(
      app,
      sent.map((language, i) => ({
        event_type: 'View',
        user_id: 'user-lang-1',
        time: NINE + i,
        language,
      })),
    )
    const { events } = await activityOf(app, 'user-lang-1')
    expect(events.map((e) => e.language)).toEqual([
      'English',
      'English',
      'French',
      'Portuguese',
      'German',
      'English',
      'xx-YY',
      'und',
      'Klingon!',
    ])
  })

  it('exports the mapped name and shows it on the profile', async () => {
    const { app } = await clockedApp()
    await send(app, [{ event_type: 'View', user_id: 'user-lang-2', time: NINE, language: 'fr-CA' }])
    const entries = await exportEntries(app, '20240714T09', '20240714T09')
    const records = entries.flatMap((entry) => entry.records)
    expect(records.map((r) => r.language)).toEqual(['French'])
    const { userData } = await activityOf(app, 'user-lang-2')
    expect(userData.language).toBe('French')
  })

  it('maps the language an Identify API call sets on the profile', async () => {
    const { app } = await clockedApp()
    await send(app, [{ event_type: 'View', user_id: 'user-lang-3', time: NINE, language: 'de' }])
    const identification = JSON.stringify({ user_id: 'user-lang-3', language: 'pt-BR' })
    const response = await app.handle(
      postForm('/identify', { api_key: PROJECT.apiKey, identification }),
    )
    expect(response.status).toBe(200)
    const { userData } = await activityOf(app, 'user-lang-3')
    expect(userData.language).toBe('Portuguese')
  })
})
