/**
 * Crash tests with real processes (issue 4): a child tracks events into the outbox while the
 * endpoint refuses connections and is killed with SIGKILL at a random moment, many times over the
 * same directory (each child also replays what the earlier ones left, and may die doing so); then a
 * client against a live server delivers. Every event acknowledged as persisted before a kill
 * arrives, and an event that arrives twice carries the same insert_id both times.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createInstance, LogLevel, OutboxError } from '../../src/index.ts'
import { TestServer } from '../helpers/test-server.ts'

const CHILD = join(import.meta.dirname, 'fixtures', 'crash-child.ts')
const RUNS = 10

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ampkit-crash-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** A port nothing listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function startChild(args: string[]): {
  child: ChildProcess
  lines: string[]
  ready: Promise<void>
} {
  const child = spawn(
    process.execPath,
    ['--conditions=ampkit-source', '--import', 'tsx', CHILD, ...args],
    {
      env: { ...process.env, AMPLITUDE_FORCE_ENABLE: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const lines: string[] = []
  let buffered = ''
  let markReady!: () => void
  const ready = new Promise<void>((resolve) => {
    markReady = resolve
  })
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    for (const line of parts) {
      if (line === 'ready') markReady()
      else lines.push(line)
    }
  })
  child.on('exit', () => markReady())
  return { child, lines, ready }
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

/** Restarts a client on the outbox directory against a live server and lets it deliver everything. */
async function deliverWhatTheOutboxHolds(dir: string, serverUrl: string): Promise<void> {
  const client = createInstance()
  client.init('crash-test-key-0001', {
    serverUrl,
    env: {},
    exitHooks: false,
    logLevel: LogLevel.None,
    persistence: { dir },
  })
  await client.flush().promise
  await client.shutdown()
}

describe('the outbox across SIGKILL', () => {
  it('delivers after restart every event acknowledged as persisted before each kill', async () => {
    const down = `http://127.0.0.1:${await closedPort()}/2/httpapi`
    const acknowledged = new Map<string, string>()
    for (let run = 0; run < RUNS; run++) {
      const durability = run % 2 === 0 ? 'os' : 'fsync'
      const { child, lines, ready } = startChild([dir, down, durability, String(run)])
      await ready
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400))
      await kill(child)
      for (const line of lines) {
        if (!line.startsWith('persisted ')) continue
        for (const pair of line.slice('persisted '.length).split(' ')) {
          const [key, insertId] = pair.split('=') as [string, string]
          acknowledged.set(key, insertId)
        }
      }
    }
    expect(acknowledged.size).toBeGreaterThan(RUNS)

    const server = await TestServer.start()
    try {
      await deliverWhatTheOutboxHolds(dir, server.url)
      const arrived = new Map<string, Set<string>>()
      for (const event of server.accepted) {
        const key = String(event.event_properties?.key)
        const ids = arrived.get(key) ?? new Set<string>()
        ids.add(event.insert_id as string)
        arrived.set(key, ids)
      }
      const missing = [...acknowledged.keys()].filter((key) => !arrived.has(key))
      expect(missing).toEqual([])
      for (const [key, insertId] of acknowledged)
        expect(arrived.get(key)).toEqual(new Set([insertId]))
      // Repeats of any event (acknowledged or not) carry one insert_id.
      expect([...arrived.values()].filter((ids) => ids.size > 1)).toEqual([])
      // Everything acknowledged: every segment reclaimed, the lock released.
      expect(readdirSync(dir)).toEqual([])
    } finally {
      await server.close()
    }
  }, 60_000)

  it('keeps events tracked just before process.exit() in the same turn', async () => {
    const { child, lines } = startChild([dir, 'http://127.0.0.1:9/2/httpapi', 'os', 'x', 'exit'])
    await new Promise((resolve) => child.once('exit', resolve))
    const tracked = (lines.find((line) => line.startsWith('tracked ')) ?? '')
      .slice('tracked '.length)
      .split(' ')
      .map((pair) => pair.split('=')[1])
    expect(tracked).toHaveLength(25)
    const server = await TestServer.start()
    try {
      await deliverWhatTheOutboxHolds(dir, server.url)
      expect(server.accepted.map((event) => event.insert_id)).toEqual(tracked)
    } finally {
      await server.close()
    }
  }, 20_000)

  it('refuses a second process on the same directory, and takes over the lock once the owner is dead', async () => {
    const { child, ready } = startChild([dir, 'http://127.0.0.1:9/2/httpapi', 'os', '0', 'hold'])
    await ready
    const options = {
      serverUrl: 'http://127.0.0.1:9/2/httpapi',
      env: {},
      exitHooks: false,
      logLevel: LogLevel.None,
      persistence: { dir },
    } as const
    let error: unknown
    try {
      createInstance().init('lock-test-key-0001', options)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(OutboxError)
    expect(error).toMatchObject({ code: 'E_OUTBOX_LOCKED' })
    expect(String((error as Error).message)).toContain(`process ${child.pid}`)
    await kill(child)
    const client = createInstance()
    expect(() => client.init('lock-test-key-0001', options)).not.toThrow()
    await client.shutdown({ timeoutMs: 1 })
  }, 20_000)
})
