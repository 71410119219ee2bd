import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveQueryTarget } from '../src/query-target.ts'
import { runCli } from '../src/run-cli.ts'

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ampkit-cli-config-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

const noFlags = {
  'api-key': undefined,
  'secret-key': undefined,
  'server-zone': undefined,
  'server-url': undefined,
  config: undefined,
  profile: undefined,
}

function writeConfig(value: unknown, mode = 0o600): string {
  const path = join(dir, 'config.json')
  writeFileSync(path, JSON.stringify(value))
  chmodSync(path, mode)
  return path
}

const profiles = {
  defaultProfile: 'prod',
  profiles: {
    prod: { apiKey: 'prod-api', secretKey: 'prod-secret', serverZone: 'eu' },
    local: {
      apiKey: 'local-api',
      secretKey: 'local-secret',
      serverUrl: 'http://127.0.0.1:8250/2/httpapi',
    },
  },
}

describe('CLI credentials from flags, environment and config file', () => {
  it('reads the default profile, or the one named, and takes the URL origin as the API base', () => {
    const config = writeConfig(profiles)
    const warnings: string[] = []
    expect(resolveQueryTarget({ ...noFlags, config }, {}, dir, (l) => warnings.push(l))).toEqual({
      apiKey: 'prod-api',
      secretKey: 'prod-secret',
      zone: 'EU',
    })
    expect(
      resolveQueryTarget({ ...noFlags, config, profile: 'local' }, {}, dir, (l) =>
        warnings.push(l),
      ),
    ).toEqual({ apiKey: 'local-api', secretKey: 'local-secret', baseUrl: 'http://127.0.0.1:8250' })
    expect(warnings).toEqual([])
  })

  it('lets flags win over the environment, and the environment over the file', () => {
    const config = writeConfig(profiles)
    const env = { AMPLITUDE_API_KEY: 'env-api', AMPKIT_CONFIG: config }
    expect(
      resolveQueryTarget({ ...noFlags, 'secret-key': 'flag-secret' }, env, dir, () => {}),
    ).toEqual({
      apiKey: 'env-api',
      secretKey: 'flag-secret',
      zone: 'EU',
    })
  })

  it('says what is missing without echoing a key, and warns about a file others can read', () => {
    const config = writeConfig({ apiKey: 'only-api-key' }, 0o644)
    const warnings: string[] = []
    expect(() =>
      resolveQueryTarget({ ...noFlags, config }, {}, dir, (l) => warnings.push(l)),
    ).toThrow(/^a secret key is needed: --secret-key KEY, AMPLITUDE_SECRET_KEY or a config file$/)
    expect(warnings).toEqual([
      `warning: config file ${config} is readable by other users; chmod 600 it`,
    ])
    expect(() =>
      resolveQueryTarget(
        { ...noFlags, config: writeConfig(profiles), profile: 'staging' },
        {},
        dir,
        () => {},
      ),
    ).toThrow(/has no profile 'staging' \(it has prod, local\)/)
  })

  it('lets flags alone work when the file has several profiles and none is chosen', () => {
    const config = writeConfig({ profiles: profiles.profiles })
    expect(
      resolveQueryTarget(
        { ...noFlags, config, 'api-key': 'a-key', 'secret-key': 's-key' },
        {},
        dir,
        () => {},
      ),
    ).toEqual({ apiKey: 'a-key', secretKey: 's-key' })
    expect(() => resolveQueryTarget({ ...noFlags, config }, {}, dir, () => {})).toThrow(
      /has several profiles: choose one with --profile \(prod, local\)/,
    )
  })

  it('fails on a broken file with one line, and shows the cause chain with --debug', async () => {
    const config = join(dir, 'broken.json')
    writeFileSync(config, '{"apiKey": ')
    const run = async (argv: string[]) => {
      const lines: string[] = []
      const status = await runCli(argv, {
        stdout: () => {},
        stderr: (t) => lines.push(...t.trimEnd().split('\n')),
      })
      return { status, lines }
    }
    const plain = await run(['send', 'Clicked', '--user-id', 'user-0001', '--config', config])
    expect(plain.status).toBe(1)
    expect(plain.lines).toEqual([`ampkit send: config file ${config} is not valid JSON`])
    const debug = await run([
      'send',
      'Clicked',
      '--user-id',
      'user-0001',
      '--config',
      config,
      '--debug',
    ])
    expect(debug.lines[0]).toBe(`ampkit send: config file ${config} is not valid JSON`)
    expect(debug.lines.some((l) => l.startsWith('  caused by: SyntaxError:'))).toBe(true)
  })
})
