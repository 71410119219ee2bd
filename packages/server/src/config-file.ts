/**
 * @module The server's JSON config file (`ampkit.config.json` by default): projects and keys, and
 * defaults for the serve options. Every bad value is a `ConfigError` naming the field (never a key).
 *
 * @example
 * { "projects": [{ "id": 1, "name": "Web", "apiKey": "…", "secretKey": "…", "timeZone": "UTC" }],
 *   "host": "127.0.0.1", "port": 8250, "data": ".ampkit", "faults": false, "rateLimits": true }
 */
import { readFile } from 'node:fs/promises'
import { ConfigError } from './errors.ts'
import type { Project } from './projects.ts'

/** The default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = 'ampkit.config.json'

/** What a config file may hold. Every field is optional. */
export interface ServerConfigFile {
  projects?: Project[]
  host?: string
  port?: number
  /** Data directory of the DuckDB store. */
  data?: string
  /** Keep data in memory only. */
  memory?: boolean
  faults?: boolean
  rateLimits?: boolean
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Checks a parsed config object. `source` names the file in messages. */
export function parseServerConfig(value: unknown, source: string): ServerConfigFile {
  if (!isRecord(value)) throw new ConfigError(`${source}: expected a JSON object`)
  const config: ServerConfigFile = {}
  const fail = (field: string, rule: string) => new ConfigError(`${source}: ${field} ${rule}`)
  if (value.projects !== undefined) {
    if (!Array.isArray(value.projects)) throw fail('projects', 'must be an array')
    config.projects = value.projects.map((item: unknown, index) => {
      if (!isRecord(item)) throw fail(`projects[${index}]`, 'must be an object')
      const { id, name, apiKey, secretKey, timeZone } = item
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1)
        throw fail(`projects[${index}].id`, 'must be a positive integer')
      if (name !== undefined && typeof name !== 'string')
        throw fail(`projects[${index}].name`, 'must be a string')
      if (typeof apiKey !== 'string' || apiKey === '')
        throw fail(`projects[${index}].apiKey`, 'must be a non-empty string')
      if (typeof secretKey !== 'string' || secretKey === '')
        throw fail(`projects[${index}].secretKey`, 'must be a non-empty string')
      if (timeZone !== undefined && typeof timeZone !== 'string')
        throw fail(`projects[${index}].timeZone`, 'must be an IANA time zone name')
      return {
        id,
        name: name ?? `Project ${id}`,
        apiKey,
        secretKey,
        ...(timeZone === undefined ? {} : { timeZone }),
      }
    })
  }
  for (const field of ['host', 'data'] as const) {
    const item = value[field]
    if (item === undefined) continue
    if (typeof item !== 'string' || item === '') throw fail(field, 'must be a non-empty string')
    config[field] = item
  }
  if (value.port !== undefined) {
    const port = value.port
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
      throw fail('port', 'must be an integer 0..65535')
    config.port = port
  }
  for (const field of ['memory', 'faults', 'rateLimits'] as const) {
    const item = value[field]
    if (item === undefined) continue
    if (typeof item !== 'boolean') throw fail(field, 'must be true or false')
    config[field] = item
  }
  return config
}

/** Reads and checks a config file. */
export async function loadServerConfig(path: string): Promise<ServerConfigFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    })
  }
  return parseServerConfig(parsed, path)
}
