/**
 * @module Starts the real ampkit server in its own process for the ingestion scenario: through the CLI
 * (`ampkit serve`, built or from source) when it exists, otherwise through a small runner worker that
 * wires `@ampkit/server`'s public API the same way. The server's stdout (one log line per request) is
 * drained and discarded — an unread pipe would block it — and only the start-up URL is parsed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { cliEntry } from './availability.ts'
import { repoRoot, runChild, workerExecArgv } from './child.ts'

export interface ServerProcess {
  url: string
  pid: number
  /** How it was started, for the report: the command line without keys. */
  launchedWith: string
  /** SIGTERM, then waits for a clean exit (SIGKILL after `timeoutMs`); resolves the exit code. */
  stop(timeoutMs?: number): Promise<number | null>
}

export interface ServerStartOptions {
  apiKey: string
  secretKey: string
  dataDir: string
}

/** Whether the CLI's sources mention a flag (so the bench passes only flags that exist). */
function cliMentions(flag: string): boolean {
  const search = (dir: string): boolean => {
    if (!existsSync(dir)) return false
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) {
        if (search(path)) return true
      } else if (/\.(ts|js)$/.test(name) && readFileSync(path, 'utf8').includes(flag)) return true
    }
    return false
  }
  return search(join(repoRoot, 'packages/cli/src')) || search(join(repoRoot, 'packages/cli/dist'))
}

function stopper(child: ChildProcess): (timeoutMs?: number) => Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })
  return async (timeoutMs = 30_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const code = await exited
    clearTimeout(timer)
    return code
  }
}

export async function startAmpkitServer(options: ServerStartOptions): Promise<ServerProcess> {
  const cli = cliEntry()
  if (cli !== undefined) return startViaCli(cli, options)
  return startViaRunner(options)
}

async function startViaCli(cli: string, options: ServerStartOptions): Promise<ServerProcess> {
  const flags = ['serve', '--port', '0', '--data', options.dataDir]
  if (cliMentions('no-rate-limits')) flags.push('--no-rate-limits')
  if (cliMentions('--quiet')) flags.push('--quiet')
  const nodeArgs = cli.endsWith('.ts') ? workerExecArgv() : []
  const child = spawn(
    process.execPath,
    [...nodeArgs, cli, ...flags, '--api-key', options.apiKey, '--secret-key', options.secretKey],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ampkit serve printed no URL within 60 s: ${output.slice(-500)}`)),
      60_000,
    )
    const onData = (chunk: Buffer): void => {
      if (output.length < 20_000) output += chunk.toString('utf8')
      const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (match !== null && match[1] !== '0') {
        clearTimeout(timer)
        resolve(`http://127.0.0.1:${match[1]}`)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`ampkit serve exited ${code} before listening: ${output.slice(-500)}`))
    })
  })
  // Keep draining: the server logs a line per request.
  child.stdout?.resume()
  child.stderr?.resume()
  return {
    url,
    pid: child.pid ?? 0,
    launchedWith: `node ${cli.replace(repoRoot, '')} ${flags.join(' ')} --api-key … --secret-key …`,
    stop: stopper(child),
  }
}

async function startViaRunner(options: ServerStartOptions): Promise<ServerProcess> {
  let resolveUrl: (url: string) => void = () => {}
  const ready = new Promise<string>((resolve) => {
    resolveUrl = resolve
  })
  const { child, done } = runChild<{ error?: string }>('workers/server-runner.ts', options, {
    timeoutMs: 24 * 3_600_000,
    onMessage: (message) => {
      if ((message as { type?: unknown }).type === 'listening') {
        resolveUrl((message as { url: string }).url)
      }
    },
  })
  const url = await Promise.race([
    ready,
    done.then((outcome) => {
      throw new Error(
        `server runner exited before listening: ${outcome.result?.error ?? outcome.outputTail.slice(-500)}`,
      )
    }),
  ])
  return {
    url,
    pid: child.pid ?? 0,
    launchedWith:
      'bench/workers/server-runner.ts (CLI not available): startServer({ dataDir, projects, rateLimits: false })',
    stop: stopper(child),
  }
}

/** Resident set size of a process in bytes (Linux `/proc`), or undefined once it is gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /VmRSS:\s+(\d+) kB/.exec(status)
    return match === null ? undefined : Number(match[1]) * 1_024
  } catch {
    return undefined
  }
}
