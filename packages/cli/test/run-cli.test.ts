import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type CliIO, runCli } from '../src/run-cli.ts'

interface Captured extends CliIO {
  out: string[]
  err: string[]
}

function capture(signal?: AbortSignal, cwd?: string): Captured {
  const out: string[] = []
  const err: string[] = []
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    ...(signal && { signal }),
    ...(cwd && { cwd }),
  }
}

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ampkit-cli-'))
  dirs.push(dir)
  return dir
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

/** Waits until a captured stream contains the pattern. */
async function until(lines: string[], pattern: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(lines.join(''))
    if (match) return match
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Runs `ampkit serve` in-process on a free port with a known key; stop it with `shutdown`. */
async function serveInProcess(extra: string[]) {
  const shutdown = new AbortController()
  const io = capture(shutdown.signal)
  const running = runCli(
    [
      'serve',
      '--port',
      '0',
      '--memory',
      '--api-key',
      'cli-key-0001',
      '--secret-key',
      'cli-sec-0001',
    ].concat(extra),
    io,
  )
  const [, url] = await until(io.out, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
  return { io, url: url!, shutdown, running }
}

describe('ampkit', () => {
  it('prints the command list for --help and with no arguments', async () => {
    for (const argv of [['--help'], []]) {
      const io = capture()
      expect(await runCli(argv, io)).toBe(0)
      expect(io.out.join('')).toMatch(/Usage: ampkit <command>/)
      expect(io.out.join('')).toMatch(/^\s+serve\s+Run the local Amplitude-compatible server/m)
    }
  })

  it('prints every serve option for serve --help', async () => {
    const io = capture()
    expect(await runCli(['serve', '--help'], io)).toBe(0)
    const help = io.out.join('')
    for (const flag of [
      '--host HOST',
      '--port N',
      '--api-key KEY',
      '--secret-key SECRET',
      '--data DIR',
      '--memory',
      '--faults',
      '--no-rate-limits',
      '--config FILE',
      '--fault JSON (repeatable)',
    ])
      expect(help).toContain(flag)
  })

  it('reports an unknown command as one line on stderr with exit status 2', async () => {
    const io = capture()
    expect(await runCli(['launch'], io)).toBe(2)
    expect(io.err).toEqual([
      "ampkit: unknown command 'launch'. Run 'ampkit --help' for the list.\n",
    ])
  })

  it.each([
    [['--port', 'eighty'], /--port must be an integer/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--api-key', 'k'], /--api-key and --secret-key go together/],
    [['--memory', '--data', 'x'], /--data and --memory cannot be combined/],
    [['--memory', '--fault', '{kind'], /--fault #1 is not valid JSON/],
  ])('refuses serve %j with one clear line', async (args, message) => {
    const io = capture()
    expect(await runCli(['serve', ...args], io)).toBe(2)
    expect(io.err).toHaveLength(1)
    expect(io.err[0]).toMatch(message)
  })

  it('reports a bad config file by the field at fault, exit status 1', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'ampkit.config.json'), JSON.stringify({ projects: [{ id: 0 }] }))
    const io = capture(undefined, dir)
    expect(await runCli(['serve', '--memory', '--port', '0'], io)).toBe(1)
    expect(io.err).toHaveLength(1)
    expect(io.err[0]).toMatch(/projects\[0\]\.id must be a positive integer/)
  })

  it('serves until its signal fires, logging a line per request without keys', async () => {
    const { io, url, shutdown, running } = await serveInProcess([])
    const banner = io.out.join('')
    expect(banner).toContain('cli-key-0001')
    expect(banner).toContain('cli-sec-0001')
    const response = await fetch(`${url}/2/httpapi?api_key=cli-key-0001`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        api_key: 'cli-key-0001',
        events: [{ event_type: 'Ping', device_id: 'device-cli-1' }],
      }),
    })
    expect(response.status).toBe(200)
    await until(io.out, /POST \/2\/httpapi 200 \d+ms events=1\n/)
    shutdown.abort()
    expect(await running).toBe(0)
    const after = io.out.join('').slice(banner.length)
    expect(after).toMatch(/ampkit server stopped/)
    expect(after).not.toContain('cli-key-0001')
  })

  it('serves every project of the config file, with rate limits and faults as configured', async () => {
    const dir = await tempDir()
    await writeFile(
      join(dir, 'custom.json'),
      JSON.stringify({
        projects: [
          { id: 1, name: 'Web', apiKey: 'web-key-0001', secretKey: 'web-sec-0001' },
          { id: 2, name: 'App', apiKey: 'app-key-0002', secretKey: 'app-sec-0002' },
        ],
        memory: true,
        faults: true,
      }),
    )
    const shutdown = new AbortController()
    const io = capture(shutdown.signal, dir)
    const running = runCli(['serve', '--port', '0', '--config', 'custom.json'], io)
    const [, url] = await until(io.out, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
    for (const key of ['web-key-0001', 'app-key-0002']) {
      const response = await fetch(`${url}/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          api_key: key,
          events: [{ event_type: 'Ping', device_id: 'dev-12345' }],
        }),
      })
      expect(response.status).toBe(200)
    }
    expect((await fetch(`${url}/_ampkit/faults`)).status).toBe(200)
    shutdown.abort()
    expect(await running).toBe(0)
  })

  it('starts with the fault rules given as --fault, and reports a bad rule as one line', async () => {
    const { url, shutdown, running } = await serveInProcess([
      '--fault',
      '{"kind":"error","status":502,"path":"/batch"}',
      '--fault',
      '{"kind":"too-large","path":"/batch"}',
    ])
    const send = () =>
      fetch(`${url}/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          api_key: 'cli-key-0001',
          events: [{ event_type: 'Ping', device_id: 'device-cli-1' }],
        }),
      })
    expect((await send()).status).toBe(502)
    expect((await send()).status).toBe(413)
    expect((await send()).status).toBe(200)
    shutdown.abort()
    expect(await running).toBe(0)

    const bad = capture()
    const status = await runCli(
      ['serve', '--memory', '--port', '0', '--fault', '{"kind":"x"}'],
      bad,
    )
    expect(status).toBe(1)
    expect(bad.err).toHaveLength(1)
    expect(bad.err[0]).toMatch(/faultRules\[0\]: Invalid fault rule: kind must be one of/)
  })
})
