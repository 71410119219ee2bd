/**
 * The client never holds a process open by itself (all its timers are unref'd), and by default it
 * flushes on `beforeExit`, so a script that tracks and simply ends still delivers.
 */
import { spawn } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TestServer } from './helpers/test-server.ts'

let server: TestServer

beforeEach(async () => {
  server = await TestServer.start()
})

afterEach(async () => {
  await server.close()
})

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
}

function runScript(options: string, tail = '', onReady?: (pid: number) => void): Promise<Exit> {
  const script = `
    import { createInstance } from '@ampkit/node'
    const client = createInstance()
    client.init('exit-key-12345', { serverUrl: '${server.url}', env: {}, flushIntervalMillis: 600000, ${options} })
    client.track('Last Words', undefined, { user_id: 'user-00001' })
    ${tail}
  `
  const child = spawn(
    process.execPath,
    ['--conditions=ampkit-source', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  child.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('ready') && child.pid !== undefined) onReady?.(child.pid)
  })
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  )
}

describe('at process exit', () => {
  it('flushes on beforeExit by default, so a script that just ends still delivers', async () => {
    const { code, stderr } = await runScript('')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(server.accepted.map((e) => e.event_type)).toEqual(['Last Words'])
  })

  it('does not keep the process alive for its 10-minute flush timer when exit hooks are off', async () => {
    const { code } = await runScript('exitHooks: false')
    expect(code).toBe(0)
    expect(server.accepted).toEqual([])
  })

  it('delivers on SIGTERM when signal hooks are on, then ends by that signal', async () => {
    const exit = await runScript(
      'exitHooks: true',
      "console.log('ready'); setInterval(() => {}, 1000)",
      (pid) => process.kill(pid, 'SIGTERM'),
    )
    expect(exit.signal).toBe('SIGTERM')
    expect(server.accepted.map((e) => e.event_type)).toEqual(['Last Words'])
  })
})
