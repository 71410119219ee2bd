import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { describe, expect, it } from 'vitest'
import type { ServerApp } from '../../src/app.ts'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { exportEntries, send } from '../export/export-helpers.ts'
import {
  activityOf,
  amplitudeIdOf,
  appWith,
  PROJECT,
  postForm,
  testApp,
} from '../helpers/app-fixture.ts'
import { tempDir } from '../store/store-helpers.ts'

/** 2024-07-14 09:00 UTC. */
const NINE = Date.UTC(2024, 6, 14, 9)
const HOUR_MS = 3_600_000
const IDFA = 'AEBE52E7-03EE-455A-B3C4-E57283966239'
const ADID = 'f1b2c3d4-0000-4000-8000-00000000abcd'

async function attribute(app: ServerApp, event: Record<string, unknown>): Promise<void> {
  const response = await app.handle(
    postForm('/attribution', { api_key: PROJECT.apiKey, event: JSON.stringify(event) }),
  )
  expect(response.status).toBe(200)
  expect(await response.text()).toBe('success')
}

const install = (ids: Record<string, string>, properties: Record<string, unknown> = {}) => ({
  event_type: '[Adjust] Install',
  platform: 'ios',
  ...ids,
  user_properties: { network: 'adnet', ...properties },
})

async function clockedApp() {
  let nowMs = NINE
  const fixture = await testApp({ now: () => nowMs })
  return {
    ...fixture,
    advance(ms: number) {
      nowMs += ms
    },
  }
}

describe('POST /attribution for a user already seen with the advertising id', () => {
  it('applies its user properties and puts the event on the user timeline', async () => {
    const { app } = await clockedApp()
    await send(app, [{ event_type: 'Open', user_id: 'user-attr-1', idfa: IDFA, time: NINE - 1 }])
    await attribute(app, { ...install({ idfa: IDFA }), time: NINE - 500 })
    const { userData, events } = await activityOf(app, 'user-attr-1')
    expect(userData.properties).toEqual({ network: 'adnet' })
    const attribution = events.find((e) => e.event_type === '[Adjust] Install')
    expect(attribution).toMatchObject({
      is_attribution_event: true,
      user_id: 'user-attr-1',
      user_properties: { network: 'adnet' },
      idfa: IDFA,
      platform: 'ios',
      event_time: '2024-07-14 08:59:59.500000',
    })
    expect(events.find((e) => e.event_type === 'Open')?.is_attribution_event).toBeNull()
    const exported = (await exportEntries(app, '20240714T09', '20240714T09')).flatMap(
      (entry) => entry.records,
    )
    expect(exported.find((r) => r.event_type === '[Adjust] Install')).toMatchObject({
      is_attribution_event: true,
      user_id: 'user-attr-1',
    })
  })

  it('matches by idfv, adid or android_app_set_id as well', async () => {
    const { app } = await clockedApp()
    await send(app, [
      { event_type: 'Open', user_id: 'user-attr-2', idfv: 'idfv-0002', time: NINE },
      { event_type: 'Open', user_id: 'user-attr-3', adid: ADID, time: NINE },
      { event_type: 'Open', user_id: 'user-attr-4', android_app_set_id: 'set-0004', time: NINE },
    ])
    await attribute(app, install({ idfv: 'idfv-0002' }, { n: 2 }))
    await attribute(app, { ...install({ adid: ADID }, { n: 3 }), platform: 'android' })
    await attribute(app, {
      ...install({ android_app_set_id: 'set-0004' }, { n: 4 }),
      platform: 'android',
    })
    for (const n of [2, 3, 4]) {
      const { userData } = await activityOf(app, `user-attr-${n}`)
      expect(userData.properties).toEqual({ network: 'adnet', n })
    }
  })
})

describe('POST /attribution that matches no user yet', () => {
  it('is held and applied when an event with its id arrives, before that event', async () => {
    const { app, advance } = await clockedApp()
    await attribute(app, { ...install({ adid: ADID }), platform: 'android' })
    advance(71 * HOUR_MS)
    await send(app, [
      {
        event_type: 'Open',
        user_id: 'user-attr-5',
        adid: ADID,
        time: NINE + 71 * HOUR_MS,
        user_properties: { plan: 'free' },
      },
    ])
    const { userData, events } = await activityOf(app, 'user-attr-5')
    expect(userData.properties).toEqual({ network: 'adnet', plan: 'free' })
    expect(events.map((e) => [e.event_type, e.is_attribution_event])).toEqual([
      ['[Adjust] Install', true],
      ['Open', null],
    ])
    // Applied once: the next user seen with the id gets nothing.
    await send(app, [{ event_type: 'Open', user_id: 'user-attr-6', adid: ADID, time: NINE }])
    expect((await activityOf(app, 'user-attr-6')).userData.properties).toEqual({})
  })

  it('is dropped 72 hours after it was received', async () => {
    const { app, advance } = await clockedApp()
    await attribute(app, install({ idfa: IDFA }))
    advance(72 * HOUR_MS)
    await send(app, [{ event_type: 'Open', user_id: 'user-attr-7', idfa: IDFA, time: NINE }])
    const { userData, events } = await activityOf(app, 'user-attr-7')
    expect(userData.properties).toEqual({})
    expect(events.map((e) => e.event_type)).toEqual(['Open'])
  })

  it('never matches a placeholder advertising id such as the all-zero IDFA', async () => {
    const { app } = await clockedApp()
    const zero = '00000000-0000-0000-0000-000000000000'
    await send(app, [{ event_type: 'Open', user_id: 'user-attr-8', idfa: zero, time: NINE }])
    await attribute(app, install({ idfa: zero, idfv: 'idfv-0009' }))
    expect((await activityOf(app, 'user-attr-8')).userData.properties).toEqual({})
  })

  it('is still held after a restart, and gone from the database once expired', async () => {
    const { dir, cleanup } = tempDir()
    try {
      let nowMs = NINE
      const path = join(dir, 'ampkit.duckdb')
      const open = async () =>
        appWith(await openDuckDbStore({ path, now: () => nowMs }), { now: () => nowMs })
      let fixture = await open()
      await attribute(fixture.app, install({ idfa: IDFA }))
      await attribute(fixture.app, install({ idfa: 'idfa-expiring' }))
      await fixture.app.close()

      nowMs += 10 * HOUR_MS
      fixture = await open()
      await send(fixture.app, [
        { event_type: 'Open', user_id: 'user-attr-10', idfa: IDFA, time: nowMs },
      ])
      expect((await activityOf(fixture.app, 'user-attr-10')).userData.properties).toEqual({
        network: 'adnet',
      })
      await fixture.app.close()

      nowMs += 62 * HOUR_MS
      fixture = await open()
      const held = await fixture.store.selectRows(
        "SELECT event FROM attributions WHERE status = 'held'",
      )
      // The applied one keeps its log rows; the one that expired unmatched is gone.
      expect(held.map((r) => JSON.parse(r.event as string).idfa)).toEqual([IDFA])
      await send(fixture.app, [
        { event_type: 'Open', user_id: 'user-attr-11', idfa: 'idfa-expiring', time: nowMs },
      ])
      expect((await activityOf(fixture.app, 'user-attr-11')).userData.properties).toEqual({})
      await fixture.app.close()
    } finally {
      cleanup()
    }
  })

  it('matches a user seen before a restart', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, 'ampkit.duckdb')
      const now = () => NINE
      let fixture = appWith(await openDuckDbStore({ path, now }), { now })
      await send(fixture.app, [{ event_type: 'Open', user_id: 'user-attr-12', idfa: IDFA }])
      await fixture.app.close()
      fixture = appWith(await openDuckDbStore({ path, now }), { now })
      await attribute(fixture.app, install({ idfa: IDFA }))
      expect((await activityOf(fixture.app, 'user-attr-12')).userData.properties).toEqual({
        network: 'adnet',
      })
      expect(await amplitudeIdOf(fixture.app, 'user-attr-12')).toBeDefined()
      await fixture.app.close()
    } finally {
      cleanup()
    }
  })
})

describe('attribution data across upgrades and deletions', () => {
  it('opens a data file whose attributions table predates matching and keeps its rows', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, 'ampkit.duckdb')
      const old = await DuckDBInstance.create(path)
      const c = await old.connect()
      await c.run(`CREATE TABLE attributions (project_id INTEGER, received_ms BIGINT, path VARCHAR,
        source_ip VARCHAR, event VARCHAR)`)
      await c.run(`INSERT INTO attributions VALUES (7, ${NINE}, '/attribution', NULL, '{}')`)
      c.closeSync()
      old.closeSync()

      const now = () => NINE
      const fixture = appWith(await openDuckDbStore({ path, now }), { now })
      await send(fixture.app, [{ event_type: 'Open', user_id: 'user-attr-13', idfa: IDFA }])
      await attribute(fixture.app, install({ idfa: IDFA }))
      expect((await activityOf(fixture.app, 'user-attr-13')).userData.properties).toEqual({
        network: 'adnet',
      })
      const rows = await fixture.store.selectRows(
        'SELECT status FROM attributions ORDER BY received_ms, status NULLS FIRST',
      )
      expect(rows.map((r) => r.status)).toEqual([null, 'applied'])
      await fixture.app.close()
    } finally {
      cleanup()
    }
  })

  it("forgets a deleted user's advertising ids and attribution rows", async () => {
    const { app, store } = await clockedApp()
    await send(app, [{ event_type: 'Open', user_id: 'user-attr-14', idfa: IDFA, time: NINE }])
    await attribute(app, install({ idfa: IDFA }))
    const id = await amplitudeIdOf(app, 'user-attr-14')
    await store.deleteUsers(PROJECT.id, [id!])
    const count = async (table: string) =>
      (await store.selectRows(`SELECT count(*)::INTEGER AS n FROM ${table}`))[0]?.n
    expect(await count('advertising_ids')).toBe(0)
    expect(await count('attributions')).toBe(0)
    // A later attribution for the id finds no user and is held.
    await attribute(app, install({ idfa: IDFA }))
    expect(
      (await store.selectRows('SELECT status FROM attributions')).map((r) => r.status),
    ).toEqual(['held'])
  })
})
