/**
 * @module The CLI's config file: credentials and endpoints, so scripts need no keys on the command line
 * (where `ps` and shell history would see them). Found at `--config FILE`, else `$AMPKIT_CONFIG`, else
 * `$XDG_CONFIG_HOME/ampkit/config.json` (`~/.config/ampkit/config.json`) when it exists. Either one
 * flat set of settings or named profiles:
 *
 * ```json
 * { "defaultProfile": "prod",
 *   "profiles": { "prod":  { "apiKey": "…", "secretKey": "…", "serverZone": "EU" },
 *                 "local": { "apiKey": "…", "secretKey": "…", "serverUrl": "http://127.0.0.1:8250" } } }
 * ```
 *
 * Flags win over environment variables, which win over the file. Keys are never printed; a file that
 * other users can read gets a warning, as ssh does for keys.
 */
import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { CliError, usageError } from './cli-error.ts'
import type { ArgDef } from './command.ts'

/** The options that choose the config file and profile, shared by every command that uses it. */
export const CONFIG_FILE_ARGS = {
  config: {
    type: 'string',
    description:
      'Config file (default: $AMPKIT_CONFIG, else ~/.config/ampkit/config.json when present)',
    valueHint: 'FILE',
  },
  profile: {
    type: 'string',
    description: 'Profile of the config file (default: $AMPKIT_PROFILE, else its defaultProfile)',
    valueHint: 'NAME',
  },
} as const satisfies Record<string, ArgDef>

/** A trimmed flag or variable, or undefined when empty. */
export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === '' ? undefined : trimmed
}

/** One set of settings. */
export interface CliSettings {
  apiKey?: string
  secretKey?: string
  serverZone?: string
  /** Ingestion URL for sending commands; its origin is the query API's base for query commands. */
  serverUrl?: string
}

const SETTING_KEYS = ['apiKey', 'secretKey', 'serverZone', 'serverUrl'] as const

/** What was loaded, and from where (for messages; never the values). */
export interface LoadedConfig {
  settings: CliSettings
  path: string | undefined
  profile: string | undefined
  /** A warning to print (e.g. a readable-by-others file), once. */
  warning: string | undefined
  /**
   * Why no settings came from the file although it exists (several profiles, none chosen): said only
   * when a setting is actually missing, so flags alone still work.
   */
  unresolved?: string
}

function readSettings(value: unknown, where: string): CliSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CliError(`${where} must be an object`, { code: 'E_CONFIG' })
  const record = value as Record<string, unknown>
  const settings: CliSettings = {}
  for (const key of SETTING_KEYS) {
    const v = record[key]
    if (v === undefined) continue
    if (typeof v !== 'string' || v.trim() === '')
      throw new CliError(`${where}.${key} must be a non-empty string`, { code: 'E_CONFIG' })
    settings[key] = v.trim()
  }
  return settings
}

/** The config file to read: the flag, the environment, or the default location when it exists. */
export function configPath(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): { path: string; explicit: boolean } | undefined {
  const named = flag ?? env.AMPKIT_CONFIG
  if (named !== undefined && named !== '')
    return { path: isAbsolute(named) ? named : resolve(cwd, named), explicit: true }
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config')
  const path = join(base, 'ampkit', 'config.json')
  try {
    statSync(path)
    return { path, explicit: false }
  } catch {
    return undefined
  }
}

/** Loads the settings of the chosen profile (none when there is no file). */
export function loadCliConfig(
  options: { config?: string | undefined; profile?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): LoadedConfig {
  const found = configPath(options.config, env, cwd)
  const profileName = options.profile ?? (env.AMPKIT_PROFILE || undefined)
  if (found === undefined) {
    if (profileName !== undefined)
      throw usageError(`--profile ${profileName} needs a config file (--config FILE)`)
    return { settings: {}, path: undefined, profile: undefined, warning: undefined }
  }
  let text: string
  let mode = 0
  try {
    text = readFileSync(found.path, 'utf8')
    mode = statSync(found.path).mode
  } catch (error) {
    throw new CliError(`cannot read config file ${found.path}: ${(error as Error).message}`, {
      code: 'E_CONFIG',
      cause: error,
    })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new CliError(`config file ${found.path} is not valid JSON`, {
      code: 'E_CONFIG',
      cause: error,
    })
  }
  const warning =
    (mode & 0o077) !== 0 && process.platform !== 'win32'
      ? `warning: config file ${found.path} is readable by other users; chmod 600 it`
      : undefined
  const record = (value ?? {}) as Record<string, unknown>
  if (record.profiles === undefined) {
    if (profileName !== undefined)
      throw usageError(`config file ${found.path} has no profiles (asked for '${profileName}')`)
    return {
      settings: readSettings(value, found.path),
      path: found.path,
      profile: undefined,
      warning,
    }
  }
  const profiles = record.profiles as Record<string, unknown>
  if (profiles === null || typeof profiles !== 'object' || Array.isArray(profiles))
    throw new CliError(`${found.path}: profiles must be an object`, { code: 'E_CONFIG' })
  const chosen =
    profileName ?? (typeof record.defaultProfile === 'string' ? record.defaultProfile : undefined)
  if (chosen === undefined) {
    const names = Object.keys(profiles)
    if (names.length !== 1)
      return {
        settings: {},
        path: found.path,
        profile: undefined,
        warning,
        unresolved: `config file ${found.path} has several profiles: choose one with --profile (${names.join(', ')})`,
      }
    return {
      settings: readSettings(profiles[names[0] as string], `${found.path} profiles.${names[0]}`),
      path: found.path,
      profile: names[0],
      warning,
    }
  }
  if (!Object.hasOwn(profiles, chosen))
    throw usageError(
      `config file ${found.path} has no profile '${chosen}' (it has ${Object.keys(profiles).join(', ')})`,
    )
  return {
    settings: readSettings(profiles[chosen], `${found.path} profiles.${chosen}`),
    path: found.path,
    profile: chosen,
    warning,
  }
}
