import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../src/run-cli.ts'

const FIXTURES = fileURLToPath(new URL('./fixtures/lint/', import.meta.url))
let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ampkit-lint-'))
  for (const name of ['events.ndjson', 'plan.json'])
    await copyFile(join(FIXTURES, name), join(dir, name))
})
afterEach(async () => {
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

describe('ampkit lint', () => {
  it('reports taxonomy findings with file and line and exits 1 on errors', async () => {
    const result = await cli(['lint', 'events.ndjson'])
    expect(result.code).toBe(1)
    expect(result.out).toMatch(/^events\.ndjson:2: error event-type-generic: /m)
    expect(result.out).toMatch(/^events\.ndjson:3: error property-naming: .*song_id/m)
    expect(result.out).toMatch(/^events\.ndjson:5: error pii-email: /m)
    expect(result.out).toMatch(/^events\.ndjson:6: error ndjson-parse: /m)
    expect(result.out).not.toMatch(/^events\.ndjson:1:/m)
    // The value itself is never printed: it may be personal data.
    expect(result.out).not.toContain('someone@example.com')
    expect(result.out).toMatch(/6 lines checked: \d+ errors/)
  })

  it('checks a tracking plan too, and --rule lowers a rule to a warning', async () => {
    const result = await cli([
      'lint',
      'events.ndjson',
      '--plan',
      'plan.json',
      '--rule',
      'pii-email=off,event-type-generic=warning',
      '--json',
    ])
    const report = JSON.parse(result.out) as {
      findings: { line: number; rule: string; severity: string }[]
      counts: Record<string, number>
    }
    const rules = report.findings.map((f) => `${f.line} ${f.rule}`)
    expect(rules).toContain('2 plan-unknown-event')
    expect(rules.some((r) => /^3 plan-/.test(r))).toBe(true)
    expect(rules).not.toContain('5 pii-email')
    expect(report.findings.find((f) => f.rule === 'event-type-generic')?.severity).toBe('warning')
  })

  it('exits 0 for clean events, also from a gzip file', async () => {
    const clean = `${(await readFile(join(dir, 'events.ndjson'), 'utf8')).split('\n')[0]}\n`
    await writeFile(join(dir, 'clean.ndjson.gz'), gzipSync(clean))
    const result = await cli(['lint', 'clean.ndjson.gz', '--plan', 'plan.json'])
    expect(result.code).toBe(0)
    expect(result.out).toBe('1 lines checked: 0 errors, 0 warnings, 0 info\n')
  })

  it('refuses an unknown rule or a plan that is not a plan', async () => {
    expect((await cli(['lint', 'events.ndjson', '--rule', 'no-such-rule=off'])).code).toBe(2)
    await writeFile(join(dir, 'bad-plan.json'), '[1,2]')
    const bad = await cli(['lint', 'events.ndjson', '--plan', 'bad-plan.json'])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/--plan: the plan must be a JSON object/)
  })
})
