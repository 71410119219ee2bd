import { describe, expect, it } from 'vitest'
import { runCli } from '../src/run-cli.ts'

describe('ampkit serve --json', () => {
  it('prints the start-up facts as one JSON object, no request lines with --quiet, then stops on the signal', async () => {
    const lines: string[] = []
    const controller = new AbortController()
    let started: () => void = () => {}
    const ready = new Promise<void>((resolve) => {
      started = resolve
    })
    const status = runCli(
      [
        'serve',
        '--memory',
        '--port',
        '0',
        '--json',
        '--quiet',
        '--api-key',
        'json-key-0001',
        '--secret-key',
        'json-secret-01',
      ],
      {
        stdout: (text) => {
          lines.push(...text.trimEnd().split('\n'))
          started()
        },
        stderr: () => {},
        signal: controller.signal,
      },
    )
    await ready
    const facts = JSON.parse(lines[0] as string) as {
      url: string
      projects: { id: number; apiKey: string }[]
    }
    expect(facts).toMatchObject({ storage: null, faults: false, rateLimits: true })
    expect(facts.projects).toEqual([
      { id: 1, name: 'Default', apiKey: 'json-key-0001', secretKey: 'json-secret-01' },
    ])
    const health = await fetch(`${facts.url}/_ampkit/health`)
    expect(health.status).toBe(200)
    controller.abort()
    expect(await status).toBe(0)
    expect(lines.slice(1)).toEqual(['{"stopped":true}'])
  })
})
