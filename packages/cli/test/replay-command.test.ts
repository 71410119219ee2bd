import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RunningServer, startServer } from '@ampkit/server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../src/run-cli.ts'

const project = { id: 1, name: 'Replay', apiKey: 'replay-key-0001', secretKey: 'replay-secret-01' }
let server: RunningServer
let dir: string

beforeEach(async () => {
  server = await startServer({ port: 0, memory: true, projects: [project], rateLimits: false })
  dir = await mkdtemp(join(tmpdir(), 'ampkit-replay-'))
})
afterEach(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

async function cli(argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(argv, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd: dir,
  })
  return { code, out: out.join(''), err: err.join('') }
}

async function activity(userId: string) {
  const auth = `Basic ${Buffer.from(`${project.apiKey}:${project.secretKey}`).toString('base64')}`
  const search = (await (
    await fetch(`${server.url}/api/2/usersearch?user=${userId}`, {
      headers: { authorization: auth },
    })
  ).json()) as { matches: { amplitude_id: number }[] }
  const id = search.matches[0]?.amplitude_id
  if (id === undefined) return []
  const body = (await (
    await fetch(`${server.url}/api/2/useractivity?user=${id}`, { headers: { authorization: auth } })
  ).json()) as { events: { event_type: string; $insert_id: string }[] }
  return body.events
}

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
    const file = join(dir, 'dead.ndjson')
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
    const serverUrl = ['--server-url', `${server.url}/2/httpapi`]
    const first = await cli([...argv, ...serverUrl, '--reasons', 'retries_exhausted'])
    expect(first.err).toBe('')
    expect(first.code).toBe(0)
    expect(first.out).toMatch(/2 re-sent, 2 delivered, 0 failed, 1 skipped, 1 malformed lines/)
    const events = await activity('replayed-user-1')
    expect(events.map((e) => e.$insert_id).sort()).toEqual(['ins-a-0001', 'ins-b-0002'])

    expect((await cli([...argv, ...serverUrl])).code).toBe(0)
    const after = await activity('replayed-user-1')
    expect(after.map((e) => e.$insert_id).sort()).toEqual([
      'ins-a-0001',
      'ins-b-0002',
      'ins-c-0003',
    ])
  })

  it('exits non-zero and names the reason when events fail again', async () => {
    await writeFile(join(dir, 'dead.ndjson'), `${letter('retries_exhausted', 'ins-z-0009', 'X')}\n`)
    const result = await cli([
      'replay',
      'dead.ndjson',
      '--api-key',
      'not-a-known-key',
      '--server-url',
      `${server.url}/2/httpapi`,
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
