/**
 * @module @ampkit/cli: the `ampkit` command as a library (the binary is `main.ts`), so commands can
 * be run and tested in-process.
 */
export { CliError, usageError } from './cli-error.ts'
export {
  type ArgDef,
  type CommandContext,
  type CommandDef,
  commandHelp,
  defineCommand,
  type ParsedArgs,
  parseCommandArgs,
} from './command.ts'
export { COMMANDS } from './commands/index.ts'
export { serveCommand } from './commands/serve.ts'
export { CLI_VERSION, type CliIO, rootHelp, runCli } from './run-cli.ts'
