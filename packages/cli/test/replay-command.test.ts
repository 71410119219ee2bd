import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type LocalTarget, project, startLocalTarget } from './helpers/local-target.ts'

let local: LocalTarget
beforeEach(async () => {
  local = await startLocalTarget()
})
afterEach(async () => {
  await local.close()
})

const cli = (argv: string[]) => local.cli(argv)
const insertIds = async (userId: string) =>
  (await local.activity(userId)).map((e) => e.$insert_id as string).sort()

function letter(reason: string, insertId: string, eventType: string) {
  return JSON.stringify({
    reason,
    code: 500,
    message: 'Event rejected due to exceeded retry count',
    failedAt: '2026-11-28T09:00:00.000Z',
    event: {
      event_type: eventType,
      user_id: 'replayed-user-1',
      insert_id: insertId,
      time: 1_764_320_000_000,
    },
  })
}

describe('ampkit replay', () => {
  it('re-sends dead letters with their insert_ids, and a second replay duplicates none of them', async () => {
    const file = join(local.dir, 'dead.ndjson')
    await writeFile(
      file,
      [
        letter('retries_exhausted', 'ins-a-0001', 'Order Placed'),
        letter('retries_exhausted', 'ins-b-0002', 'Order Shipped'),
        'not json',
        letter('invalid_api_key', 'ins-c-0003', 'Order Cancelled'),
        '',
      ].join('\n'),
    )
    const argv = ['replay', 'dead.ndjson', '--api-key', project.apiKey]
    const serverUrl = ['--server-url', `${local.server.url}/2/httpapi`]
    const first = await cli([...argv, ...serverUrl, '--reasons', 'retries_exhausted'])
    expect(first.err).toBe('')
    expect(first.code).toBe(0)
    expect(first.out).toMatch(/2 re-sent, 2 delivered, 0 failed, 1 skipped, 1 malformed lines/)
    expect(await insertIds('replayed-user-1')).toEqual(['ins-a-0001', 'ins-b-0002'])

    expect((await cli([...argv, ...serverUrl])).code).toBe(0)
    expect(await insertIds('replayed-user-1')).toEqual(['ins-a-0001', 'ins-b-0002', 'ins-c-0003'])
  })

  it('exits non-zero and names the reason when events fail again', async () => {
    await writeFile(
      join(local.dir, 'dead.ndjson'),
      `${letter('retries_exhausted', 'ins-z-0009', 'X')}\n`,
    )
    const result = await cli([
      'replay',
      'dead.ndjson',
      '--api-key',
      'not-a-known-key',
      '--server-url',
      `${local.server.url}/2/httpapi`,
    ])
    expect(result.code).toBe(1)
    expect(result.out).toMatch(/1 failed \(invalid_api_key 1\)/)
    expect(result.out + result.err).not.toContain('not-a-known-key')
  })

  it('refuses to run without a file or a key', async () => {
    expect((await cli(['replay', '--api-key', 'k'])).code).toBe(2)
    const saved = process.env.AMPLITUDE_API_KEY
    delete process.env.AMPLITUDE_API_KEY
    try {
      const noKey = await cli(['replay', 'dead.ndjson'])
      expect(noKey.code).toBe(2)
      expect(noKey.err).toMatch(/API key is needed/)
    } finally {
      if (saved !== undefined) process.env.AMPLITUDE_API_KEY = saved
    }
  })
})
