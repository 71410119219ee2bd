/**
 * @module Log levels and the default console logger, with the names of `@amplitude/analytics-node`
 * (`LogLevel.None`…`LogLevel.Debug`, `ILogger`) so a `loggerProvider` written for it works unchanged.
 */

/** Log verbosity, the same numbers as Amplitude's `LogLevel` enum. */
export const LogLevel = {
  None: 0,
  Error: 1,
  Warn: 2,
  Verbose: 3,
  Debug: 4,
} as const

/** One of the `LogLevel` values. */
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel]

/** A logger, as `@amplitude/analytics-node` calls it. */
export interface ILogger {
  disable(): void
  enable(logLevel: LogLevel): void
  log(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
  debug(...args: unknown[]): void
}

const PREFIX = 'ampkit'

/** Writes to the console at or below the enabled level. Disabled until `enable()` is called. */
export class Logger implements ILogger {
  logLevel: LogLevel = LogLevel.None

  disable(): void {
    this.logLevel = LogLevel.None
  }

  enable(logLevel: LogLevel = LogLevel.Warn): void {
    this.logLevel = logLevel
  }

  log(...args: unknown[]): void {
    if (this.logLevel >= LogLevel.Verbose) console.log(`${PREFIX}[Log]:`, ...args)
  }

  warn(...args: unknown[]): void {
    if (this.logLevel >= LogLevel.Warn) console.warn(`${PREFIX}[Warn]:`, ...args)
  }

  error(...args: unknown[]): void {
    if (this.logLevel >= LogLevel.Error) console.error(`${PREFIX}[Error]:`, ...args)
  }

  debug(...args: unknown[]): void {
    if (this.logLevel >= LogLevel.Debug) console.debug(`${PREFIX}[Debug]:`, ...args)
  }
}
