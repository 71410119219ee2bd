import { describe, expect, it } from 'vitest'
import { safeUrl } from '../src/http/safe-url.ts'
import { ConfigError, createAmplitudeApi, resolveApiOptions } from '../src/index.ts'

/** A fetch that answers locally and records where the request would have gone. */
function recordingFetch() {
  const urls: string[] = []
  const fetchFn = async (url: string) => {
    urls.push(url)
    return new Response(JSON.stringify({ type: 'nomatch', matches: [] }), { status: 200 })
  }
  return { urls, fetchFn }
}

describe('options', () => {
  it('sends to the zone hosts: US by default, EU on request, the Profile API on its own host', async () => {
    const us = recordingFetch()
    await createAmplitudeApi({
      apiKey: 'k',
      secretKey: 's',
      hooks: { fetch: us.fetchFn },
    }).userSearch('u')
    const eu = recordingFetch()
    await createAmplitudeApi({
      apiKey: 'k',
      secretKey: 's',
      zone: 'EU',
      hooks: { fetch: eu.fetchFn },
    }).userSearch('u')
    expect(us.urls).toEqual(['https://amplitude.com/api/2/usersearch?user=u'])
    expect(eu.urls).toEqual(['https://analytics.eu.amplitude.com/api/2/usersearch?user=u'])
    expect(resolveApiOptions({ apiKey: 'k', secretKey: 's', zone: 'EU' }).profileUrl).toBe(
      'https://profile-api.amplitude.com',
    )
    expect(
      resolveApiOptions({ apiKey: 'k', secretKey: 's', baseUrl: 'http://127.0.0.1:9/' }),
    ).toMatchObject({
      baseUrl: 'http://127.0.0.1:9',
      profileUrl: 'http://127.0.0.1:9',
    })
  })

  const bad: [string, Record<string, unknown>, string][] = [
    ['a missing api key', { apiKey: '' }, 'apiKey'],
    ['a missing secret key', { secretKey: undefined }, 'secretKey'],
    ['an unknown zone', { zone: 'APAC' }, 'zone'],
    ['a relative base URL', { baseUrl: '/api' }, 'baseUrl'],
    ['a base URL with credentials', { baseUrl: 'https://user:pw@example.test' }, 'baseUrl'],
    ['zero concurrency', { maxConcurrentRequests: 0 }, 'maxConcurrentRequests'],
    ['a fractional timeout', { timeoutMs: 1.5 }, 'timeoutMs'],
    ['zero attempts', { retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
  ]
  it.each(bad)('refuses %s with a ConfigError naming the option', (_name, override, option) => {
    const error = (() => {
      try {
        resolveApiOptions({ apiKey: 'k', secretKey: 'the-secret', ...override } as never)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect(error).toMatchObject({ option, code: 'E_CONFIG' })
    expect(String((error as Error).message)).not.toContain('the-secret')
  })
})

describe('safeUrl', () => {
  it('drops user info and redacts signature-like query parameters', () => {
    expect(
      safeUrl('https://u:p@bucket.s3.test/f.csv?X-Amz-Signature=abc&X-Amz-Credential=id&part=2'),
    ).toBe('https://bucket.s3.test/f.csv?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&part=2')
  })
})
