import { describe, expect, it } from 'vitest'
import { event, ORIGIN, PROJECT, postForm, postJson, testApp } from './helpers/app-fixture.ts'

const KEY = PROJECT.apiKey

/** Bodies a confused or hostile client might send; none may produce a 5xx. */
const UPLOAD_BODIES: string[] = [
  'null',
  '[]',
  '"text"',
  '12',
  '{}',
  `{"api_key":${JSON.stringify(KEY)},"events":{}}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[null,1,"x",[],true]}`,
  `{"api_key":42,"events":[{}]}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":{},"user_id":[],"device_id":{}}]}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"x","device_id":"device-1","time":1e400}]}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"x","device_id":"device-1","session_id":"abc"}]}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"x","device_id":"device-1","groups":{"a":[1,2]}}]}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"x","device_id":"device-1","user_properties":{"$set":"x"}}]}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"$identify","device_id":"device-1","user_properties":{"$add":{"n":"abc"},"$append":{"n":{}}}}]}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"$groupidentify","groups":{},"group_properties":{"$set":{}}}]}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"x","device_id":"device-1","constructor":{},"toString":1,"__proto__":{"polluted":true}}]}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"\\ud800","device_id":"dev\\u0000ice-1"}],"options":{"min_id_length":0}}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"x","device_id":"device-1"}],"options":{"min_id_length":"3"}}`,
  `{"api_key":${JSON.stringify(KEY)},"events":[{"event_type":"x","device_id":"device-1","price":"9.99","revenue":null}]}`,
  '\u0000\u0001\u0002',
  '{"api_key":"',
]

describe('bad input never breaks the server', () => {
  it.each(UPLOAD_BODIES.map((body) => [body.slice(0, 60), body]))(
    'answers %j without a 5xx, with a code in the body',
    async (_label, body) => {
      const { app } = await testApp()
      for (const path of ['/2/httpapi', '/batch']) {
        const response = await app.handle(postJson(path, body))
        expect(response.status).toBeLessThan(500)
        const parsed = (await response.json()) as { code?: number }
        expect(parsed.code).toBe(response.status)
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      const healthy = await app.handle(postJson('/batch', { api_key: KEY, events: [event()] }))
      expect(healthy.status).toBe(200)
    },
  )

  it.each([
    ['identification', '{"user_id":{"a":1}}'],
    ['identification', '[{"device_id":"device-1","groups":{"org":{}}}]'],
    ['identification', '{"user_id":"user-0001","user_properties":"x"}'],
    ['identification', '{"user_id":"user-0001","user_properties":{"$unset":"x","$set":[1]}}'],
    ['identification', '1'],
    ['identification', 'null'],
  ])('answers /identify %s=%s without a 5xx', async (field, value) => {
    const { app } = await testApp()
    const response = await app.handle(postForm('/identify', { api_key: KEY, [field]: value }))
    expect(response.status).toBeLessThan(500)
  })

  it('answers odd multipart and form bodies on /identify without a 5xx', async () => {
    const { app } = await testApp()
    const broken = new Request(`${ORIGIN}/identify`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=zzz' },
      body: '--zzz\r\nContent-Disposition: form-data; name="api_key"\r\n\r\nabc',
    })
    expect((await app.handle(broken)).status).toBeLessThan(500)
    const percent = new Request(`${ORIGIN}/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'api_key=%ZZ&identification=%E0%A4%A',
    })
    expect((await app.handle(percent)).status).toBeLessThan(500)
  })
})
