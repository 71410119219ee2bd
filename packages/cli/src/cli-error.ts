/**
 * @module The CLI's error: a message for one line on stderr, a code, and the exit status it maps to.
 */

/** A failure the CLI reports as one clear line; `exitCode` 2 marks a usage error. */
export class CliError extends Error {
  override name = 'CliError' as const
  readonly code: string
  readonly exitCode: number

  constructor(
    message: string,
    options: { code?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.code = options.code ?? 'E_CLI'
    this.exitCode = options.exitCode ?? 1
  }
}

/** A usage error (unknown command or option, bad value): exit status 2. */
export function usageError(message: string): CliError {
  return new CliError(message, { code: 'E_USAGE', exitCode: 2 })
}
