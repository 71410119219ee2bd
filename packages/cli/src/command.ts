/**
 * @module Commands as data (citty's shape, over `node:util.parseArgs`): each command declares its
 * options with descriptions and defaults, so parsing and `--help` come from one declaration.
 */
import type { Writable } from 'node:stream'
import { parseArgs } from 'node:util'
import { usageError } from './cli-error.ts'

/** One option of a command. */
export type ArgDef =
  | { type: 'string'; description: string; default?: string; valueHint?: string; short?: string }
  | { type: 'strings'; description: string; valueHint?: string; short?: string }
  | { type: 'boolean'; description: string; short?: string }

/** The parsed value of each option. */
export type ParsedArgs<A extends Record<string, ArgDef>> = {
  [K in keyof A]: A[K] extends { type: 'boolean' }
    ? boolean
    : A[K] extends { type: 'strings' }
      ? string[]
      : A[K] extends { default: string }
        ? string
        : string | undefined
}

/** What a running command can use. Everything process-wide is injected, so commands run in tests. */
export interface CommandContext<A extends Record<string, ArgDef> = Record<string, ArgDef>> {
  args: ParsedArgs<A>
  /** Arguments that are not options, for commands that declare `positionals`. */
  positionals: string[]
  /** Writes a line to standard output. */
  out(line: string): void
  /** Writes a line to standard error. */
  err(line: string): void
  /** Aborted on SIGTERM or SIGINT: long-running commands stop cleanly when it fires. */
  signal: AbortSignal
  /** Working directory for relative paths. */
  cwd: string
  /** Whether standard error is a terminal (progress bars instead of periodic lines). */
  isTTY: boolean
  /** Standard output as a byte stream (data output; `out` is for lines). */
  stdout: Writable
}

/** A command. `run` resolves the exit status (default 0); it never calls `process.exit`. */
export interface CommandDef<A extends Record<string, ArgDef> = Record<string, ArgDef>> {
  meta: { name: string; description: string; examples?: string[] }
  args: A
  /** Non-option arguments the command takes (e.g. `FILE…`); none when absent. */
  positionals?: { name: string; description: string; min: number }
  run(context: CommandContext<A>): Promise<number | undefined>
}

/** Identity helper that keeps the option types for `run`. */
export function defineCommand<const A extends Record<string, ArgDef>>(
  command: CommandDef<A>,
): CommandDef<A> {
  return command
}

/** Parses a command's options; unknown options and stray arguments are usage errors. */
export function parseCommandArgs<A extends Record<string, ArgDef>>(
  command: CommandDef<A>,
  argv: readonly string[],
): { args: ParsedArgs<A>; positionals: string[] } {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; multiple?: boolean; short?: string }
  > = {}
  for (const [name, def] of Object.entries(command.args)) {
    options[name] = {
      type: def.type === 'boolean' ? 'boolean' : 'string',
      ...(def.type === 'strings' && { multiple: true }),
      ...(def.short !== undefined && { short: def.short }),
    }
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>
  let positionals: string[]
  const takesPositionals = command.positionals !== undefined
  try {
    ;({ values, positionals } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: takesPositionals,
    }))
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw usageError(`${message}. Run 'ampkit ${command.meta.name} --help'.`)
  }
  const parsed: Record<string, string | string[] | boolean | undefined> = {}
  for (const [name, def] of Object.entries(command.args)) {
    const value = values[name]
    if (def.type === 'boolean') parsed[name] = value === true
    else if (def.type === 'strings')
      parsed[name] = Array.isArray(value) ? value.filter((v) => typeof v === 'string') : []
    else parsed[name] = typeof value === 'string' ? value : def.default
  }
  const wanted = command.positionals
  if (wanted !== undefined && positionals.length < wanted.min)
    throw usageError(
      `${command.meta.name}: missing ${wanted.name}. Run 'ampkit ${command.meta.name} --help'.`,
    )
  return { args: parsed as ParsedArgs<A>, positionals }
}

/** The `--help` text of a command. */
export function commandHelp(command: CommandDef): string {
  const rows = Object.entries(command.args).map(([name, def]) => {
    const flag =
      def.type === 'boolean'
        ? `--${name}`
        : `--${name} ${def.valueHint ?? 'VALUE'}${def.type === 'strings' ? ' (repeatable)' : ''}`
    const short = def.short === undefined ? '' : `-${def.short}, `
    const fallback =
      def.type === 'string' && def.default !== undefined ? ` (default: ${def.default})` : ''
    return [`${short}${flag}`, `${def.description}${fallback}`] as const
  })
  rows.push(['-h, --help', 'Show this help'])
  const width = Math.max(...rows.map(([flag]) => flag.length))
  const operands = command.positionals
    ? ['', 'Arguments:', `  ${command.positionals.name}  ${command.positionals.description}`]
    : []
  const lines = [
    `ampkit ${command.meta.name}: ${command.meta.description}`,
    '',
    `Usage: ampkit ${command.meta.name} [options]${command.positionals ? ` ${command.positionals.name}` : ''}`,
    ...operands,
    '',
    'Options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
  ]
  if (command.meta.examples && command.meta.examples.length > 0)
    lines.push('', 'Examples:', ...command.meta.examples.map((example) => `  ${example}`))
  return lines.join('\n')
}
