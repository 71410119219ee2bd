import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type SpawnedCli, spawnCli } from './helpers/spawn-cli.ts'

const KEY = 'proc-key-0001'
const SECRET = 'proc-sec-0001'
const running: SpawnedCli[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const cli of running.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
    await cli.exited
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ampkit-serve-'))
  dirs.push(dir)
  return dir
}

async function serve(args: string[], cwd: string): Promise<{ cli: SpawnedCli; url: string }> {
  const cli = spawnCli(['serve', '--port', '0', ...args], cwd)
  running.push(cli)
  const [, url] = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/)
  return { cli, url: url! }
}

async function send(url: string, events: unknown[]): Promise<Response> {
  return fetch(`${url}/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: KEY, events }),
  })
}

async function activityOf(url: string, userId: string): Promise<string[]> {
  const auth = { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}` }
  const search = (await (
    await fetch(`${url}/api/2/usersearch?user=${userId}`, { headers: auth })
  ).json()) as { matches: Array<{ amplitude_id: number }> }
  const id = search.matches[0]?.amplitude_id
  if (id === undefined) return []
  const activity = (await (
    await fetch(`${url}/api/2/useractivity?user=${id}&direction=earliest`, { headers: auth })
  ).json()) as { events: Array<{ event_type: string }> }
  return activity.events.map((event) => event.event_type)
}

describe('ampkit serve as a process', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops cleanly on %s with exit status 0',
    async (signal) => {
      const { cli, url } = await serve(['--memory'], await tempDir())
      expect((await fetch(`${url}/_ampkit/health`)).status).toBe(200)
      cli.child.kill(signal)
      expect(await cli.exited).toBe(0)
      expect(cli.stdout()).toMatch(/ampkit server stopped/)
      expect(cli.stderr()).toBe('')
    },
  )

  it('keeps acknowledged data across a SIGTERM restart with the same --data dir', async () => {
    const cwd = await tempDir()
    const flags = ['--data', 'store', '--api-key', KEY, '--secret-key', SECRET]
    const first = await serve(flags, cwd)
    const events = [
      { event_type: 'Signed Up', user_id: 'user-restart-1', device_id: 'device-restart-1' },
      { event_type: 'Checkout', user_id: 'user-restart-1', device_id: 'device-restart-1' },
    ]
    expect((await send(first.url, events)).status).toBe(200)
    first.cli.child.kill('SIGTERM')
    expect(await first.cli.exited).toBe(0)

    const second = await serve(flags, cwd)
    expect(await activityOf(second.url, 'user-restart-1')).toEqual(['Signed Up', 'Checkout'])
  })

  it('keeps a 200-acknowledged batch when the process is killed with SIGKILL', async () => {
    const cwd = await tempDir()
    const flags = ['--data', 'store', '--api-key', KEY, '--secret-key', SECRET]
    const first = await serve(flags, cwd)
    const events = [{ event_type: 'Paid', user_id: 'user-kill-01', device_id: 'device-kill-01' }]
    expect((await send(first.url, events)).status).toBe(200)
    first.cli.child.kill('SIGKILL')
    expect(await first.cli.exited).toBe('SIGKILL')

    const second = await serve(flags, cwd)
    expect(await activityOf(second.url, 'user-kill-01')).toEqual(['Paid'])
  })

  it('reuses the generated development project of a data dir on restart', async () => {
    const cwd = await tempDir()
    const first = await serve([], cwd)
    const [, apiKey] = await first.cli.waitFor(/api key\s+([0-9a-f]{32})/)
    first.cli.child.kill('SIGTERM')
    await first.cli.exited
    const second = await serve([], cwd)
    const [, again] = await second.cli.waitFor(/api key\s+([0-9a-f]{32})/)
    expect(again).toBe(apiKey)
  })
})
