#!/usr/bin/env node
/**
 * @module The `ampkit` binary: wires the process (argv, stdio, signals) to `runCli`, and is the one
 * place that calls `process.exit`.
 */
import { runCli } from './run-cli.ts'

const shutdown = new AbortController()
let signals = 0
function onSignal(signal: NodeJS.Signals): void {
  signals++
  // The first signal asks running commands to stop cleanly; a second one means "now".
  if (signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143)
  shutdown.abort()
}
process.on('SIGTERM', onSignal)
process.on('SIGINT', onSignal)

const status = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: shutdown.signal,
  isTTY: process.stderr.isTTY === true,
  stdoutStream: process.stdout,
})
process.exit(status)
