import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { environmentForSending, resolveTarget } from '../src/amplitude-target.ts'
import { type LocalTarget, project, startLocalTarget } from './helpers/local-target.ts'

let local: LocalTarget
beforeEach(async () => {
  local = await startLocalTarget()
})
afterEach(async () => {
  await local.close()
})

describe('ampkit send', () => {
  it('sends one event with its properties, time and insert_id and prints the verdict', async () => {
    const result = await local.cli([
      'send',
      'Song Played',
      '--user-id',
      'send-user-1',
      '--props',
      '{"songId":"s-1","seconds":42}',
      '--time',
      '2026-11-01T10:00:00Z',
      '--insert-id',
      'send-insert-0001',
      ...local.target(),
    ])
    expect(result.err).toBe('')
    expect(result.code).toBe(0)
    expect(result.out).toBe('Song Played insert_id=send-insert-0001 delivered (200)\n')
    const events = await local.activity('send-user-1')
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      event_type: 'Song Played',
      $insert_id: 'send-insert-0001',
      event_properties: { songId: 's-1', seconds: 42 },
    })
    expect(String(events[0]?.event_time)).toMatch(/^2026-11-01 10:00:00/)
  })

  it('prints JSON with a generated insert_id, through the Batch API, and never the key', async () => {
    const result = await local.cli([
      'send',
      'App Opened',
      '--device-id',
      'send-device-1',
      '--batch',
      '--json',
      ...local.target('/batch'),
    ])
    expect(result.code).toBe(0)
    const report = JSON.parse(result.out) as { insert_id: string; code: number; delivered: boolean }
    expect(report).toMatchObject({ code: 200, delivered: true, event_type: 'App Opened' })
    expect(report.insert_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.out + result.err).not.toContain(project.apiKey)
  })

  it('exits 1 with the reason when the server refuses the key', async () => {
    const result = await local.cli([
      'send',
      'App Opened',
      '--user-id',
      'send-user-2',
      '--api-key',
      'unknown-key-123',
      '--server-url',
      `${local.server.url}/2/httpapi`,
    ])
    expect(result.code).toBe(1)
    expect(result.out).toMatch(/failed: 400 .*\(invalid_api_key\)/)
    expect(result.out + result.err).not.toContain('unknown-key-123')
  })

  it('takes the key and URL from AMPLITUDE_* variables', async () => {
    const saved = { ...process.env }
    process.env.AMPLITUDE_API_KEY = project.apiKey
    process.env.AMPLITUDE_SERVER_URL = `${local.server.url}/2/httpapi`
    try {
      const result = await local.cli(['send', 'From Env', '--user-id', 'env-user-1'])
      expect(result.code).toBe(0)
    } finally {
      process.env = saved
    }
    expect(await local.activity('env-user-1')).toHaveLength(1)
  })

  it('refuses an event without ids, a bad time or a bad zone as usage errors', async () => {
    expect((await local.cli(['send', 'X', ...local.target()])).code).toBe(2)
    const badTime = await local.cli([
      'send',
      'X',
      '--user-id',
      'u-1234',
      '--time',
      'soon',
      ...local.target(),
    ])
    expect(badTime.code).toBe(2)
    expect(badTime.err).toMatch(/--time/)
    const badZone = await local.cli([
      'send',
      'X',
      '--user-id',
      'u-1234',
      '--server-zone',
      'APAC',
      '--api-key',
      'k',
    ])
    expect(badZone.code).toBe(2)
  })
})

describe('ampkit identify', () => {
  it('sets, sets once, adds and unsets user properties', async () => {
    const first = await local.cli([
      'identify',
      '--user-id',
      'identify-user-1',
      '--set',
      'plan=pro',
      '--set',
      'seats=3',
      '--set-once',
      'firstSeen=2026-11-01',
      '--add',
      'logins=2',
      '--set',
      'trial=true',
      ...local.target(),
    ])
    expect(first.err).toBe('')
    expect(first.code).toBe(0)
    expect(first.out).toMatch(/^\$identify insert_id=\S+ delivered \(200\)\n$/)
    const second = await local.cli([
      'identify',
      '--user-id',
      'identify-user-1',
      '--props',
      '{"$setOnce":{"firstSeen":"2030-01-01"},"$add":{"logins":1}}',
      '--unset',
      'trial',
      '--json',
      ...local.target(),
    ])
    expect(second.code).toBe(0)
    expect(JSON.parse(second.out)).toMatchObject({ event_type: '$identify', delivered: true })
    expect(await local.userProperties('identify-user-1')).toEqual({
      plan: 'pro',
      seats: 3,
      firstSeen: '2026-11-01',
      logins: 3,
    })
  })

  it('refuses an identify with nothing to do or a non-numeric --add', async () => {
    expect((await local.cli(['identify', '--user-id', 'u-12345', ...local.target()])).code).toBe(2)
    const add = await local.cli([
      'identify',
      '--user-id',
      'u-12345',
      '--add',
      'n=x',
      ...local.target(),
    ])
    expect(add.code).toBe(2)
    expect(add.err).toMatch(/--add takes KEY=NUMBER/)
  })
})

describe('credentials and endpoints', () => {
  const none = {
    'api-key': undefined,
    'server-zone': undefined,
    'server-url': undefined,
    config: undefined,
    profile: undefined,
  }

  it('prefers flags over AMPLITUDE_* variables and ignores empty values', () => {
    const env = {
      AMPLITUDE_API_KEY: 'env-key',
      AMPLITUDE_SERVER_ZONE: 'eu',
      AMPLITUDE_SERVER_URL: ' ',
    }
    expect(resolveTarget(none, env)).toEqual({ apiKey: 'env-key', serverZone: 'EU' })
    expect(
      resolveTarget(
        {
          ...none,
          'api-key': 'flag-key',
          'server-zone': 'US',
          'server-url': 'http://127.0.0.1:1/batch',
        },
        env,
      ),
    ).toEqual({ apiKey: 'flag-key', serverZone: 'US', serverUrl: 'http://127.0.0.1:1/batch' })
  })

  it('names what is missing or wrong without echoing a key', () => {
    expect(() => resolveTarget(none, {})).toThrow(
      /--api-key KEY, AMPLITUDE_API_KEY or a config file/,
    )
    expect(() =>
      resolveTarget({ ...none, 'api-key': 'secret-key-1' }, { AMPLITUDE_SERVER_ZONE: 'APAC' }),
    ).toThrow(/^--server-zone must be US or EU, got 'APAC'$/)
  })

  it('hands the client an environment without the test-mode switches', () => {
    expect(
      environmentForSending({ NODE_ENV: 'test', ENV: 'test', AMPLITUDE_API_KEY: 'k' }),
    ).toEqual({
      AMPLITUDE_API_KEY: 'k',
    })
  })
})
