/**
 * @module The command registry: name → command, in the order `ampkit --help` lists them. A new
 * command is one file in this folder plus one line here.
 */
import type { CommandDef } from '../command.ts'
import { cohortsCommand } from './cohorts.ts'
import { deleteUsersCommand } from './delete-users.ts'
import { demoCommand } from './demo.ts'
import { exportCommand } from './export.ts'
import { identifyCommand } from './identify.ts'
import { importCommand } from './import.ts'
import { lintCommand } from './lint.ts'
import { queryCommand } from './query.ts'
import { replayCommand } from './replay.ts'
import { sendCommand } from './send.ts'
import { serveCommand } from './serve.ts'
import { usersCommand } from './users.ts'

/** Every command of `ampkit`. */
export const COMMANDS: Record<string, CommandDef> = {
  serve: serveCommand as unknown as CommandDef,
  demo: demoCommand as unknown as CommandDef,
  send: sendCommand as unknown as CommandDef,
  identify: identifyCommand as unknown as CommandDef,
  import: importCommand as unknown as CommandDef,
  lint: lintCommand as unknown as CommandDef,
  replay: replayCommand as unknown as CommandDef,
  export: exportCommand as unknown as CommandDef,
  query: queryCommand as unknown as CommandDef,
  users: usersCommand as unknown as CommandDef,
  cohorts: cohortsCommand as unknown as CommandDef,
  'delete-users': deleteUsersCommand as unknown as CommandDef,
}
