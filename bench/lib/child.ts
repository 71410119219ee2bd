/**
 * @module Runs one benchmark worker in its own Node process, so that heaps, GC and CPU accounting of
 * different clients never interfere. Workers are TypeScript files run through tsx; they report one
 * JSON-able result over the IPC channel (`process.send`).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The repository root: every worker runs with it as its working directory. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/**
 * When `BENCH_SOURCE=1`, ampkit packages resolve to their TypeScript sources (the `ampkit-source`
 * export condition) instead of `dist`, so the bench runs without a build.
 */
export const fromSource = process.env.BENCH_SOURCE === '1'

/** Node flags every worker gets: tsx to run TypeScript, and the source condition when asked. */
export function workerExecArgv(extra: readonly string[] = []): string[] {
  const argv = ['--import', 'tsx']
  if (fromSource) argv.push('--conditions=ampkit-source')
  return [...argv, ...extra]
}

/** Resolves a worker file relative to the bench folder. */
export function benchFile(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url))
}

export interface ChildOptions {
  /** Extra Node flags, e.g. `--expose-gc`. Default: none. */
  nodeFlags?: readonly string[]
  /** Kill the worker (SIGKILL) after this many ms. Default: 600,000. */
  timeoutMs?: number
  /** Called with every IPC message that is not the final result (progress, ready signals). */
  onMessage?: (message: unknown, child: ChildProcess) => void
  /** Extra environment variables. */
  env?: Record<string, string>
}

export interface ChildOutcome<T> {
  /** The worker's `{ type: 'result', result }` message, when it sent one. */
  result: T | undefined
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  /** The last few KB of the worker's stdout and stderr, for diagnosing a failed run. */
  outputTail: string
  wallMs: number
}

const outputTailChars = 4_000

/**
 * Starts `file` with `input` as its single JSON argument and waits for it to exit. The worker's own
 * logging (the official SDK logs every failed request) is captured rather than interleaved with the
 * tables; its tail is kept for error reports.
 */
export function runChild<T>(
  file: string,
  input: unknown,
  options: ChildOptions = {},
): { child: ChildProcess; done: Promise<ChildOutcome<T>> } {
  const startedAt = performance.now()
  const child = spawn(
    process.execPath,
    [...workerExecArgv(options.nodeFlags ?? []), benchFile(file), JSON.stringify(input)],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
    },
  )
  let outputTail = ''
  const keepTail = (chunk: Buffer): void => {
    outputTail = (outputTail + chunk.toString('utf8')).slice(-outputTailChars)
  }
  child.stdout?.on('data', keepTail)
  child.stderr?.on('data', keepTail)
  let result: T | undefined
  child.on('message', (message) => {
    if (isResultMessage(message)) result = message.result as T
    else options.onMessage?.(message, child)
  })
  const done = new Promise<ChildOutcome<T>>((resolve) => {
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs ?? 600_000)
    child.on('exit', (exitCode, signal) => {
      clearTimeout(timer)
      resolve({
        result,
        exitCode,
        signal,
        timedOut,
        outputTail,
        wallMs: performance.now() - startedAt,
      })
    })
  })
  return { child, done }
}

function isResultMessage(message: unknown): message is { type: 'result'; result: unknown } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'result'
  )
}

/** Inside a worker: the JSON argument the parent passed. */
export function workerInput<T>(): T {
  const raw = process.argv[2]
  if (raw === undefined) throw new Error('bench worker started without its JSON input argument')
  return JSON.parse(raw) as T
}

/**
 * Inside a worker: resolves when the parent sends `{ type }` over IPC. Call it at module load, so a
 * message sent while the worker is still starting up is not missed.
 */
export function parentSignal(type: string): Promise<void> {
  return new Promise<void>((resolve) => {
    process.on('message', (message) => {
      if ((message as { type?: unknown }).type === type) resolve()
    })
  })
}

/** Inside a worker: sends the result to the parent and exits once the message is flushed. */
export function finishWorker(result: unknown): void {
  if (process.send === undefined) {
    console.log(JSON.stringify(result, null, 2))
    process.exit(0)
  }
  process.send({ type: 'result', result }, () => process.exit(0))
}

/** Inside a worker: reports an unexpected failure as a result instead of a bare crash. */
export function failWorker(error: unknown): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  finishWorker({ error: message })
}
