/**
 * @module Runs the CLI for an argument list and resolves the exit status. Nothing here exits the
 * process (`main.ts` does, in one place); every failure becomes one line on stderr.
 */
import { Writable } from 'node:stream'
import { CliError, usageError } from './cli-error.ts'
import { type CommandDef, commandHelp, parseCommandArgs } from './command.ts'
import { COMMANDS } from './commands/index.ts'

/** The CLI's version (the package version). */
export const CLI_VERSION = '0.1.0'

/** Process-wide facilities, injected so the CLI runs in tests. */
export interface CliIO {
  /** Writes text to standard output (a trailing newline is added per line). */
  stdout(text: string): void
  /** Writes text to standard error. */
  stderr(text: string): void
  /** Aborted on SIGTERM/SIGINT. @default never aborted */
  signal?: AbortSignal
  /** Working directory. @default process.cwd() */
  cwd?: string
  /** Whether standard error is a terminal. @default false */
  isTTY?: boolean
  /**
   * Standard output as a byte stream, for commands that write data (`export` to stdout, possibly
   * gzipped). @default a stream that hands text to `stdout`
   */
  stdoutStream?: Writable
}

/** A byte stream over `stdout(text)`, for in-process runs. */
function textStream(stdout: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      stdout(chunk.toString('utf8'))
      callback()
    },
  })
}

/** The root `--help` text. */
export function rootHelp(commands: Record<string, CommandDef> = COMMANDS): string {
  const names = Object.keys(commands)
  const width = Math.max(...names.map((name) => name.length))
  return [
    'ampkit: a toolkit for Amplitude analytics',
    '',
    'Usage: ampkit <command> [options]',
    '',
    'Commands:',
    ...names.map((name) => `  ${name.padEnd(width)}  ${commands[name]!.meta.description}`),
    '',
    'Options:',
    '  -h, --help     Show help (also after a command: ampkit serve --help)',
    '  -v, --version  Show the version',
    '  --debug        On failure, also print the chain of causes',
  ].join('\n')
}

/** One line naming what failed; never a stack, never a key. */
function describeFailure(error: unknown, command: string | undefined): string {
  const prefix = command === undefined ? 'ampkit' : `ampkit ${command}`
  if (error instanceof CliError) return `${prefix}: ${error.message}`
  if (error instanceof Error) {
    // Configuration errors from the libraries carry a clear message of their own.
    if (error.name === 'ConfigError') return `${prefix}: ${error.message}`
    return `${prefix} failed: ${error.message}`
  }
  return `${prefix} failed: ${String(error)}`
}

/** `  caused by: …` lines for each cause below `error`, with the first stack frame of each. */
function causeChain(error: unknown): string[] {
  const lines: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 10 && current instanceof Error; depth++) {
    const frame = current.stack?.split('\n').find((line) => line.trim().startsWith('at '))
    lines.push(`  ${depth === 0 ? 'error' : 'caused by'}: ${current.name}: ${current.message}`)
    if (frame !== undefined) lines.push(`    ${frame.trim()}`)
    current = current.cause
  }
  if (current !== undefined && !(current instanceof Error))
    lines.push(`  caused by: ${String(current)}`)
  return lines
}

/** Runs one invocation; resolves the exit status. */
export async function runCli(
  argv: readonly string[],
  io: CliIO,
  commands: Record<string, CommandDef> = COMMANDS,
): Promise<number> {
  const out = (line: string) => io.stdout(`${line}\n`)
  const err = (line: string) => io.stderr(`${line}\n`)
  // `--debug` is global: anywhere on the line, it adds the cause chain to a failure's one line.
  const debug = argv.includes('--debug')
  const [first, ...rest] = argv.filter((arg) => arg !== '--debug')
  let name: string | undefined
  try {
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      out(rootHelp(commands))
      return 0
    }
    if (first === '-v' || first === '--version') {
      out(CLI_VERSION)
      return 0
    }
    const command = Object.hasOwn(commands, first) ? commands[first] : undefined
    if (command === undefined)
      throw usageError(`unknown command '${first}'. Run 'ampkit --help' for the list.`)
    name = first
    if (rest.includes('-h') || rest.includes('--help')) {
      out(commandHelp(command))
      return 0
    }
    const { args, positionals } = parseCommandArgs(command, rest)
    const status = await command.run({
      args,
      positionals,
      out,
      err,
      signal: io.signal ?? new AbortController().signal,
      cwd: io.cwd ?? process.cwd(),
      isTTY: io.isTTY ?? false,
      stdout: io.stdoutStream ?? textStream(io.stdout),
    })
    return status ?? 0
  } catch (error) {
    err(describeFailure(error, name))
    if (debug) for (const line of causeChain(error)) err(line)
    return error instanceof CliError ? error.exitCode : 1
  }
}
