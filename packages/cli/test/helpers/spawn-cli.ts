/** Spawns the `ampkit` CLI from its TypeScript sources and reads what it prints. */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url))
const TSX = import.meta.resolve('tsx')

export interface SpawnedCli {
  child: ChildProcess
  /** Everything printed on stdout so far. */
  stdout(): string
  stderr(): string
  /** Resolves the first stdout match of `pattern`. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>
  /** Resolves the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | string>
}

export function spawnCli(args: string[], cwd: string): SpawnedCli {
  const child = spawn(
    process.execPath,
    ['--conditions', 'ampkit-source', '--import', TSX, MAIN, ...args],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  child.stdout?.on('data', (chunk) => {
    out += chunk
    for (const wake of waiters.splice(0)) wake()
  })
  child.stderr?.on('data', (chunk) => {
    err += chunk
  })
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const wake of waiters.splice(0)) wake()
      resolve(code ?? signal ?? 'unknown')
    })
  })
  let ended = false
  void exited.then(() => {
    ended = true
  })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out)
          if (match) return resolve(match)
          if (ended) return reject(new Error(`process ended without ${pattern}:\n${out}\n${err}`))
          waiters.push(check)
        }
        check()
      })
    },
  }
}
