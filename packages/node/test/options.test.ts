import { describe, expect, it } from 'vitest'
import { ConfigError } from '../src/errors.ts'
import { resolveNodeOptions } from '../src/options.ts'

const KEY = 'test-api-key-0001'

describe('resolveNodeOptions', () => {
  it('fills the documented defaults', () => {
    const options = resolveNodeOptions(KEY, { env: {} })
    expect(options).toMatchObject({
      serverUrl: 'https://api2.amplitude.com/2/httpapi',
      serverZone: 'US',
      flushQueueSize: 2000,
      flushIntervalMillis: 10_000,
      flushMaxRetries: 12,
      requestTimeoutMillis: 10_000,
      maxInFlightRequests: 4,
      maxBatchBytes: 1_000_000,
      gzip: true,
      overflowPolicy: 'dropOldest',
      disabledBy: undefined,
      library: 'ampkit-node/0.1.0',
    })
  })

  it('picks the zone and API from serverZone and useBatch', () => {
    expect(resolveNodeOptions(KEY, { env: {}, serverZone: 'EU', useBatch: true })).toMatchObject({
      serverUrl: 'https://api.eu.amplitude.com/batch',
      maxBatchBytes: 20_000_000,
    })
  })

  it('does not gzip to a custom serverUrl unless asked', () => {
    const url = 'http://127.0.0.1:1/2/httpapi'
    expect(resolveNodeOptions(KEY, { env: {}, serverUrl: url }).gzip).toBe(false)
    expect(
      resolveNodeOptions(KEY, { env: {}, serverUrl: url, enableRequestBodyCompression: true }).gzip,
    ).toBe(true)
    expect(resolveNodeOptions(KEY, { env: {}, serverUrl: url, gzip: true }).gzip).toBe(true)
  })

  it('caps flushQueueSize at 2,000 and treats 0 as the default, like the official SDK', () => {
    expect(resolveNodeOptions(KEY, { env: {}, flushQueueSize: 5000 }).flushQueueSize).toBe(2000)
    expect(resolveNodeOptions(KEY, { env: {}, flushQueueSize: 0 }).flushQueueSize).toBe(2000)
    expect(resolveNodeOptions(KEY, { env: {}, flushQueueSize: 50 }).flushQueueSize).toBe(50)
  })

  it.each([
    ['flushQueueSize', { flushQueueSize: -1 }],
    ['flushIntervalMillis', { flushIntervalMillis: Number.NaN }],
    ['serverUrl', { serverUrl: 'ftp://example' }],
    ['serverZone', { serverZone: 'MARS' as 'US' }],
    ['maxInFlightRequests', { maxInFlightRequests: 0 }],
    ['overflowPolicy', { overflowPolicy: 'block' as 'dropOldest' }],
    ['sessions.timeoutMs', { sessions: { timeoutMs: 0 } }],
    ['exitHooks.signals', { exitHooks: { signals: ['SIGHUP' as 'SIGINT'] } }],
  ])('throws a ConfigError naming %s', (setting, options) => {
    const attempt = () => resolveNodeOptions(KEY, { env: {}, ...options })
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(setting)
  })

  it('throws when there is no API key anywhere', () => {
    expect(() => resolveNodeOptions(undefined, { env: {} })).toThrow(/apiKey is missing/)
  })
})

describe('environment variables', () => {
  it('configure key, zone, interval, batch size and timeout', () => {
    const options = resolveNodeOptions(undefined, {
      env: {
        AMPLITUDE_API_KEY: KEY,
        AMPLITUDE_SERVER_ZONE: 'eu',
        AMPLITUDE_FLUSH_INTERVAL: '250',
        AMPLITUDE_BATCH_SIZE: '100',
        AMPLITUDE_TIMEOUT: '3000',
      },
    })
    expect(options).toMatchObject({
      apiKey: KEY,
      serverZone: 'EU',
      serverUrl: 'https://api.eu.amplitude.com/2/httpapi',
      flushIntervalMillis: 250,
      flushQueueSize: 100,
      requestTimeoutMillis: 3000,
    })
  })

  it('lose to explicit options', () => {
    const options = resolveNodeOptions('explicit-key-01', {
      env: { AMPLITUDE_API_KEY: KEY, AMPLITUDE_BATCH_SIZE: '100' },
      flushQueueSize: 10,
    })
    expect(options).toMatchObject({ apiKey: 'explicit-key-01', flushQueueSize: 10 })
  })

  it('set the server URL', () => {
    const url = 'http://127.0.0.1:9/2/httpapi'
    expect(resolveNodeOptions(KEY, { env: { AMPLITUDE_SERVER_URL: url } })).toMatchObject({
      serverUrl: url,
      serverZone: undefined,
    })
  })

  it.each([
    ['AMPLITUDE_SERVER_ZONE', 'MARS'],
    ['AMPLITUDE_SERVER_URL', 'not a url'],
    ['AMPLITUDE_FLUSH_INTERVAL', 'soon'],
    ['AMPLITUDE_FLUSH_INTERVAL', '-5'],
    ['AMPLITUDE_BATCH_SIZE', '2001'],
    ['AMPLITUDE_BATCH_SIZE', '1.5'],
    ['AMPLITUDE_TIMEOUT', '0'],
    ['AMPLITUDE_DISABLED', 'maybe'],
    ['AMPLITUDE_FORCE_ENABLE', '2'],
  ])('reject a bad %s (%s) with an error naming the variable', (name, value) => {
    const attempt = () => resolveNodeOptions(KEY, { env: { [name]: value } })
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(name)
  })

  it('disable the client with AMPLITUDE_DISABLED', () => {
    expect(resolveNodeOptions(KEY, { env: { AMPLITUDE_DISABLED: 'true' } }).disabledBy).toBe(
      'AMPLITUDE_DISABLED',
    )
  })

  it('disable the client under NODE_ENV=test or ENV=test unless AMPLITUDE_FORCE_ENABLE=1', () => {
    expect(resolveNodeOptions(KEY, { env: { NODE_ENV: 'test' } }).disabledBy).toBe('NODE_ENV=test')
    expect(resolveNodeOptions(KEY, { env: { ENV: 'test' } }).disabledBy).toBe('ENV=test')
    expect(
      resolveNodeOptions(KEY, { env: { NODE_ENV: 'test', AMPLITUDE_FORCE_ENABLE: '1' } })
        .disabledBy,
    ).toBeUndefined()
  })

  it('need no API key while the client is disabled', () => {
    expect(resolveNodeOptions(undefined, { env: { NODE_ENV: 'test' } }).apiKey).toBe('')
  })

  it('treat an empty variable as unset', () => {
    expect(resolveNodeOptions(KEY, { env: { AMPLITUDE_BATCH_SIZE: '' } }).flushQueueSize).toBe(2000)
  })

  it('never put the API key in a ConfigError', () => {
    const secret = 'super-secret-key-42'
    try {
      resolveNodeOptions(secret, { env: { AMPLITUDE_BATCH_SIZE: 'x' } })
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(secret)
      return
    }
    expect.unreachable()
  })
})
