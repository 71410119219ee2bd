import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RunningServer, startServer } from '@ampkit/server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../src/run-cli.ts'
import { project } from './helpers/local-target.ts'

let server: RunningServer
let dir: string
beforeEach(async () => {
  server = await startServer({
    port: 0,
    memory: true,
    projects: [project],
    rateLimits: false,
    faults: true,
  })
  dir = await mkdtemp(join(tmpdir(), 'ampkit-import-faults-'))
})
afterEach(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

async function fault(rule: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.url}/_ampkit/faults`, {
    method: 'POST',
    body: JSON.stringify(rule),
  })
  expect(response.status).toBe(201)
}

async function cli(argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(
    [...argv, '--api-key', project.apiKey, '--server-url', `${server.url}/batch`],
    { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: dir },
  )
  return { code, out: out.join(''), err: err.join('') }
}

async function eventCount(userId: string): Promise<number> {
  const auth = `Basic ${Buffer.from(`${project.apiKey}:${project.secretKey}`).toString('base64')}`
  const search = (await (
    await fetch(`${server.url}/api/2/usersearch?user=${userId}`, {
      headers: { authorization: auth },
    })
  ).json()) as { matches: { amplitude_id: number }[] }
  const id = search.matches[0]?.amplitude_id
  if (id === undefined) return 0
  const body = (await (
    await fetch(`${server.url}/api/2/useractivity?user=${id}`, { headers: { authorization: auth } })
  ).json()) as { events: unknown[] }
  return body.events.length
}

async function writeRows(users: string[], perUser: number): Promise<void> {
  const lines: string[] = []
  for (let i = 0; i < perUser; i++)
    for (const user of users)
      lines.push(
        JSON.stringify({ event_type: 'Faulted', user_id: user, time: 1_700_000_000_000 + i }),
      )
  await writeFile(join(dir, 'rows.ndjson'), `${lines.join('\n')}\n`)
}

describe('ampkit import against a failing server', () => {
  it('delivers everything when a user is throttled with 429 and Retry-After', async () => {
    await writeRows(['throttled-user', 'other-user-1'], 20)
    await fault({
      kind: 'throttle',
      path: '/batch',
      throttledUsers: { 'throttled-user': 1500 },
      retryAfterSeconds: 1,
    })
    const result = await cli(['import', 'rows.ndjson'])
    expect(result.err).not.toContain('not delivered')
    expect(result.code).toBe(0)
    expect(result.out).toContain('rows.ndjson: 40 rows, 40 sent, 40 delivered, 0 failed')
    const rules = (await (await fetch(`${server.url}/_ampkit/faults`)).json()) as {
      rules: { injected: number }[]
    }
    // The rule fired once and is used up.
    expect(rules.rules).toEqual([])
    expect(await eventCount('throttled-user')).toBe(20)
    expect(await eventCount('other-user-1')).toBe(20)
  })

  it('keeps the checkpoint before events the server rejected, so the re-run sends them', async () => {
    await writeRows(['rejected-user'], 10)
    await fault({ kind: 'bad-request', path: '/batch', count: 1 })
    const first = await cli(['import', 'rows.ndjson'])
    expect(first.code).toBe(1)
    expect(first.err).toMatch(/rows\.ndjson:1: not delivered: 400 /)
    const checkpoint = JSON.parse(
      await readFile(join(dir, 'rows.ndjson.ampkit-checkpoint.json'), 'utf8'),
    ) as {
      files: Record<string, { offset: number; complete: boolean }>
    }
    expect(Object.values(checkpoint.files)[0]).toEqual({ offset: 0, line: 0, complete: false })
    expect(await eventCount('rejected-user')).toBe(0)
    const second = await cli(['import', 'rows.ndjson'])
    expect(second.code).toBe(0)
    expect(second.out).toContain('rows.ndjson: 10 rows, 10 sent, 10 delivered')
    expect(await eventCount('rejected-user')).toBe(10)
  })
})
