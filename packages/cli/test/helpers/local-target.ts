/** A local server and an in-process CLI runner aimed at it, for the commands that send. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RunningServer, type StartServerOptions, startServer } from '@ampkit/server'
import { runCli } from '../../src/run-cli.ts'

export const project = {
  id: 1,
  name: 'CLI',
  apiKey: 'cli-test-key-0001',
  secretKey: 'cli-test-secret-01',
}

export interface LocalTarget {
  server: RunningServer
  dir: string
  /** Runs `ampkit …` in `dir`; `signal` is handed to the command. */
  cli(argv: string[], signal?: AbortSignal): Promise<{ code: number; out: string; err: string }>
  /** `--api-key … --server-url …/path` for the local server. */
  target(path?: string): string[]
  /** `--api-key … --secret-key … --server-url …` for the query commands. */
  queryTarget(): string[]
  /** Posts events to `/batch` (asserting a 200). */
  batch(events: Record<string, unknown>[]): Promise<void>
  /** The events the server holds for a user, via /api/2/usersearch and /api/2/useractivity. */
  activity(userId: string): Promise<Record<string, unknown>[]>
  /** The user properties the server holds for a user. */
  userProperties(userId: string): Promise<Record<string, unknown>>
  close(): Promise<void>
}

/** Starts a memory server for the tests; `options` add to (and may override) the defaults. */
export async function startLocalTarget(options: StartServerOptions = {}): Promise<LocalTarget> {
  const server = await startServer({
    port: 0,
    memory: true,
    projects: [project],
    rateLimits: false,
    ...options,
  })
  const dir = await mkdtemp(join(tmpdir(), 'ampkit-cli-'))
  const auth = `Basic ${Buffer.from(`${project.apiKey}:${project.secretKey}`).toString('base64')}`
  async function get(path: string): Promise<unknown> {
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: auth } })
    return response.json()
  }
  async function amplitudeId(userId: string): Promise<number | undefined> {
    const search = (await get(`/api/2/usersearch?user=${encodeURIComponent(userId)}`)) as {
      matches: { amplitude_id: number }[]
    }
    return search.matches[0]?.amplitude_id
  }
  return {
    server,
    dir,
    async cli(argv, signal) {
      const out: string[] = []
      const err: string[] = []
      const code = await runCli(argv, {
        stdout: (t) => out.push(t),
        stderr: (t) => err.push(t),
        cwd: dir,
        ...(signal !== undefined && { signal }),
      })
      return { code, out: out.join(''), err: err.join('') }
    },
    target(path = '/2/httpapi') {
      return ['--api-key', project.apiKey, '--server-url', `${server.url}${path}`]
    },
    queryTarget() {
      return [
        '--api-key',
        project.apiKey,
        '--secret-key',
        project.secretKey,
        '--server-url',
        server.url,
      ]
    },
    async batch(events) {
      const response = await fetch(`${server.url}/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: project.apiKey, events }),
      })
      if (response.status !== 200)
        throw new Error(`/batch answered ${response.status}: ${await response.text()}`)
    },
    async activity(userId) {
      const id = await amplitudeId(userId)
      if (id === undefined) return []
      const events: Record<string, unknown>[] = []
      for (let offset = 0; ; offset += 1000) {
        const body = (await get(`/api/2/useractivity?user=${id}&offset=${offset}&limit=1000`)) as {
          events: Record<string, unknown>[]
        }
        events.push(...body.events)
        if (body.events.length < 1000) return events
      }
    },
    async userProperties(userId) {
      const id = await amplitudeId(userId)
      if (id === undefined) return {}
      const body = (await get(`/api/2/useractivity?user=${id}&limit=1`)) as {
        userData: {
          properties?: Record<string, unknown>
          user_properties?: Record<string, unknown>
        }
      }
      return body.userData.properties ?? body.userData.user_properties ?? {}
    },
    async close() {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
