import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../src/run-cli.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function runDemo(args: string[], cwd?: string) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(['demo', '--port', '0', '--exit', ...args], {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    ...(cwd && { cwd }),
  })
  return { code, out: out.join(''), err: err.join('') }
}

describe('ampkit demo (npm start)', () => {
  it('sends the journey through @ampkit/node and reads back the merged profile', async () => {
    const { code, out, err } = await runDemo(['--memory'])
    expect(err).toBe('')
    expect(code).toBe(0)
    expect(out).toMatch(/17 calls delivered/)
    expect(out).not.toMatch(/failed/)
    // Anonymous views and sign-up land on one user: the device is merged into demo-user-1001.
    expect(out).toMatch(/devices\s+\["demo-device-7f3a9c"\]/)
    expect(out).toMatch(/"plan":"paid"/)
    expect(out).toMatch(/"orderCount":1/)
    expect(out).toMatch(/"initialReferrer":"google"/)
    expect(out).toMatch(/"company":"Acme Inc"/)
    expect(out).toMatch(/revenue\s+374\.5/)
    expect(out).toMatch(
      /curl -u \S+:\S+ 'http:\/\/127\.0\.0\.1:\d+\/api\/2\/usersearch\?user=demo-user-1001'/,
    )
  })

  it('keeps the data in its directory, so a second run adds to the same profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ampkit-demo-'))
    dirs.push(dir)
    expect((await runDemo([], dir)).code).toBe(0)
    const second = await runDemo([], dir)
    expect(second.code).toBe(0)
    expect(second.out).toMatch(/"orderCount":2/)
    expect(second.out).toMatch(/"logins":2/)
  })
})
