import { LogLevel, type TaxonomyViolation } from '@ampkit/node'
import { afterEach, describe, expect, it } from 'vitest'
import { testClient } from '../helpers/client.ts'
import { TestServer } from '../helpers/test-server.ts'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const ids = { user_id: 'user-0001' }

describe('the taxonomy guard in the client', () => {
  it('warn (the production default): sends the event, reports each kind once, counts in stats', async () => {
    server = await TestServer.start()
    const warnings: string[] = []
    const client = testClient(server, {
      logLevel: LogLevel.Warn,
      loggerProvider: {
        disable() {},
        enable() {},
        log() {},
        debug() {},
        error() {},
        warn: (...args: unknown[]) => warnings.push(args.map(String).join(' ')),
      },
    })
    const violations: TaxonomyViolation[] = []
    client.on('taxonomy', (v) => violations.push(v))
    client.track('song_played', { songId: 's1' }, ids)
    const result = await client.track('song_played', { songId: 's2' }, ids).promise
    expect(result.code).toBe(200)
    expect(server.accepted.map((e) => e.event_type)).toEqual(['song_played', 'song_played'])
    expect(violations).toEqual([
      expect.objectContaining({ rule: 'event-type-naming', action: 'sent' }),
    ])
    expect(warnings.filter((w) => w.includes('event-type-naming'))).toHaveLength(1)
    expect(client.stats().taxonomy).toMatchObject({
      mode: 'warn',
      checked: 2,
      violations: { 'event-type-naming': 2 },
    })
    await client.shutdown()
  })

  it('strict: refuses the event with a result naming the rule and sends nothing', async () => {
    server = await TestServer.start()
    const client = testClient(server, { taxonomy: 'strict' })
    const result = await client.track('SongShared', { note: 'mail jane@example.com' }, ids).promise
    expect(result).toMatchObject({ code: 0, reason: 'taxonomy' })
    expect(result.message).toMatch(
      /^Event refused by the taxonomy guard: pii-email: event "SongShared" property "note": /,
    )
    await client.flush().promise
    expect(server.requests).toEqual([])
    expect(client.stats()).toMatchObject({ dropped: { taxonomy: 1 }, taxonomy: { refused: 1 } })
    await client.shutdown()
  })

  it('strict is the default under NODE_ENV=test when the client is forced on', async () => {
    server = await TestServer.start()
    const client = testClient(server, { env: { NODE_ENV: 'test', AMPLITUDE_FORCE_ENABLE: '1' } })
    const result = await client.track('click', {}, ids).promise
    expect(result).toMatchObject({ code: 0, reason: 'taxonomy' })
    await client.shutdown()
  })

  it('redact: replaces personal data and sends the event', async () => {
    server = await TestServer.start()
    const client = testClient(server, { taxonomy: { mode: 'redact' } })
    const result = await client.track('SongShared', { note: 'jane@example.com', songId: 's1' }, ids)
      .promise
    expect(result.code).toBe(200)
    expect(server.accepted[0]?.event_properties).toEqual({
      note: '[redacted:email]',
      songId: 's1',
    })
    await client.shutdown()
  })

  it('off: checks nothing', async () => {
    server = await TestServer.start()
    const client = testClient(server, { taxonomy: false })
    expect((await client.track('click', {}, ids).promise).code).toBe(200)
    expect(client.stats().taxonomy).toMatchObject({ mode: 'off', checked: 0 })
    await client.shutdown()
  })
})
