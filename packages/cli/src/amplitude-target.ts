/**
 * @module Where and as whom the CLI sends to Amplitude: the shared options (`--api-key`,
 * `--server-zone`, `--server-url`) with their `AMPLITUDE_*` fallbacks, and the one place a tracking
 * client is built from them. The API key is only ever handed to the client: never printed.
 */
import { type AmpkitClient, createInstance, type NodeOptions } from '@ampkit/node'
import { CONFIG_FILE_ARGS, loadCliConfig, nonEmpty } from './cli-config.ts'
import { usageError } from './cli-error.ts'
import type { ArgDef } from './command.ts'

const ZONES = ['US', 'EU'] as const

/** The options of every command that talks to Amplitude. */
export const TARGET_ARGS = {
  'api-key': {
    type: 'string',
    description: 'Project API key (default: $AMPLITUDE_API_KEY)',
    valueHint: 'KEY',
  },
  'server-zone': {
    type: 'string',
    description: 'US or EU (default: $AMPLITUDE_SERVER_ZONE, else US)',
    valueHint: 'ZONE',
  },
  'server-url': {
    type: 'string',
    description:
      'Ingestion URL, e.g. http://127.0.0.1:8250/2/httpapi (overrides the zone; default: $AMPLITUDE_SERVER_URL)',
    valueHint: 'URL',
  },
  ...CONFIG_FILE_ARGS,
} as const satisfies Record<string, ArgDef>

/** The parsed target options. */
export interface TargetArgs {
  'api-key': string | undefined
  'server-zone': string | undefined
  'server-url': string | undefined
  config: string | undefined
  profile: string | undefined
}

/** A resolved target: the key (never print it), the zone, and the URL when one was given. */
export interface AmplitudeTarget {
  apiKey: string
  serverZone?: (typeof ZONES)[number]
  serverUrl?: string
}

/**
 * Resolves flags over the environment over the config file (`cli-config.ts`); a missing key or a bad
 * zone is a usage error.
 */
export function resolveTarget(
  args: TargetArgs,
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd = process.cwd(),
  warn: (line: string) => void = () => {},
): AmplitudeTarget {
  const config = loadCliConfig({ config: args.config, profile: args.profile }, env, cwd)
  if (config.warning !== undefined) warn(config.warning)
  const apiKey =
    nonEmpty(args['api-key']) ?? nonEmpty(env.AMPLITUDE_API_KEY) ?? config.settings.apiKey
  if (apiKey === undefined)
    throw usageError(
      config.unresolved ??
        'an API key is needed: --api-key KEY, AMPLITUDE_API_KEY or a config file',
    )
  const zoneText =
    nonEmpty(args['server-zone']) ??
    nonEmpty(env.AMPLITUDE_SERVER_ZONE) ??
    config.settings.serverZone
  const zone = zoneText?.toUpperCase()
  if (zone !== undefined && !(ZONES as readonly string[]).includes(zone))
    throw usageError(`--server-zone must be US or EU, got '${zoneText}'`)
  const serverUrl =
    nonEmpty(args['server-url']) ?? nonEmpty(env.AMPLITUDE_SERVER_URL) ?? config.settings.serverUrl
  return {
    apiKey,
    ...(zone !== undefined && { serverZone: zone as (typeof ZONES)[number] }),
    ...(serverUrl !== undefined && { serverUrl }),
  }
}

/**
 * The environment handed to the client: the process's, without `NODE_ENV`/`ENV`. The client's
 * test-mode switch (`NODE_ENV=test` disables it) protects test suites that embed the library; a
 * command the user typed sends because they asked it to.
 */
export function environmentForSending(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string | undefined> {
  const { NODE_ENV: _node, ENV: _env, ...rest } = env
  return rest
}

/**
 * Builds and initialises a client for the target. `options` add to (and may override) the
 * defaults: no exit hooks (the CLI shuts the client down itself).
 */
export async function createTargetClient(
  target: AmplitudeTarget,
  options: NodeOptions = {},
): Promise<AmpkitClient> {
  const client = createInstance()
  await client.init(target.apiKey, {
    env: environmentForSending(),
    ...(target.serverUrl !== undefined && { serverUrl: target.serverUrl }),
    ...(target.serverZone !== undefined && { serverZone: target.serverZone }),
    exitHooks: false,
    ...options,
  }).promise
  return client
}
