/**
 * @module Where and as whom the query commands (export, cohorts, users, delete-users, query) talk to
 * Amplitude: `--api-key`, `--secret-key`, `--server-zone`, `--server-url` over `AMPLITUDE_API_KEY`,
 * `AMPLITUDE_SECRET_KEY`, `AMPLITUDE_SERVER_ZONE`, `AMPLITUDE_SERVER_URL` over the config file, and
 * the one place a query client is built from them. Keys are only handed to the client.
 */
import { type AmplitudeApi, type ApiOptions, createAmplitudeApi } from '@ampkit/api'
import { CONFIG_FILE_ARGS, loadCliConfig, nonEmpty } from './cli-config.ts'
import { usageError } from './cli-error.ts'
import type { ArgDef } from './command.ts'

/** The options of every command that queries Amplitude. */
export const QUERY_TARGET_ARGS = {
  'api-key': {
    type: 'string',
    description: 'Project API key (default: $AMPLITUDE_API_KEY, then the config file)',
    valueHint: 'KEY',
  },
  'secret-key': {
    type: 'string',
    description: 'Project secret key (default: $AMPLITUDE_SECRET_KEY, then the config file)',
    valueHint: 'KEY',
  },
  'server-zone': {
    type: 'string',
    description: 'US or EU (default: $AMPLITUDE_SERVER_ZONE, then the config file, else US)',
    valueHint: 'ZONE',
  },
  'server-url': {
    type: 'string',
    description:
      'API base URL, e.g. http://127.0.0.1:8250 for `ampkit serve` (overrides the zone; a path is ignored)',
    valueHint: 'URL',
  },
  ...CONFIG_FILE_ARGS,
} as const satisfies Record<string, ArgDef>

/** The parsed query-target options. */
export interface QueryTargetArgs {
  'api-key': string | undefined
  'secret-key': string | undefined
  'server-zone': string | undefined
  'server-url': string | undefined
  config: string | undefined
  profile: string | undefined
}

/** The origin of a URL (the query APIs live at fixed paths under it). */
function baseUrlOf(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw usageError(`--server-url is not a URL: '${text}'`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`--server-url must be http or https, got '${url.protocol}'`)
  return url.origin
}

/** Resolves the options of the query client; a missing key or a bad zone is a usage error. */
export function resolveQueryTarget(
  args: QueryTargetArgs,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  warn: (line: string) => void,
): ApiOptions {
  const config = loadCliConfig({ config: args.config, profile: args.profile }, env, cwd)
  if (config.warning !== undefined) warn(config.warning)
  const apiKey =
    nonEmpty(args['api-key']) ?? nonEmpty(env.AMPLITUDE_API_KEY) ?? config.settings.apiKey
  const secretKey =
    nonEmpty(args['secret-key']) ?? nonEmpty(env.AMPLITUDE_SECRET_KEY) ?? config.settings.secretKey
  if (apiKey === undefined)
    throw usageError(
      config.unresolved ??
        'an API key is needed: --api-key KEY, AMPLITUDE_API_KEY or a config file',
    )
  if (secretKey === undefined)
    throw usageError(
      config.unresolved ??
        'a secret key is needed: --secret-key KEY, AMPLITUDE_SECRET_KEY or a config file',
    )
  const zoneText =
    nonEmpty(args['server-zone']) ??
    nonEmpty(env.AMPLITUDE_SERVER_ZONE) ??
    config.settings.serverZone
  const zone = zoneText?.toUpperCase()
  if (zone !== undefined && zone !== 'US' && zone !== 'EU')
    throw usageError(`--server-zone must be US or EU, got '${zoneText}'`)
  const url =
    nonEmpty(args['server-url']) ?? nonEmpty(env.AMPLITUDE_SERVER_URL) ?? config.settings.serverUrl
  return {
    apiKey,
    secretKey,
    ...(zone !== undefined && { zone }),
    ...(url !== undefined && { baseUrl: baseUrlOf(url) }),
  }
}

/** The query client for the resolved target. */
export function createQueryClient(
  args: QueryTargetArgs,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  warn: (line: string) => void,
): AmplitudeApi {
  return createAmplitudeApi(resolveQueryTarget(args, env, cwd, warn))
}
