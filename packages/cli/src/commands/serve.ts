/**
 * @module `ampkit serve`: the local Amplitude-compatible server. Flags override the config file
 * (`--config FILE`, or `ampkit.config.json` in the working directory when present), which overrides
 * the defaults. Prints the URL and keys once, a line per request, and stops cleanly on SIGTERM/SIGINT.
 */
import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  DEFAULT_CONFIG_FILE,
  DEFAULT_DATA_DIR,
  DEVELOPMENT_PROJECT_FILE,
  type FaultRuleInput,
  loadServerConfig,
  type Project,
  type RunningServer,
  type ServerConfigFile,
  startServer,
} from '@ampkit/server'
import { usageError } from '../cli-error.ts'
import { defineCommand } from '../command.ts'

/** Port used when neither a flag nor the config file names one. */
export const DEFAULT_PORT = 8250

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1'])

function parsePort(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > 65535)
    throw usageError(`--port must be an integer 0..65535 (0 picks a free port), got '${raw}'`)
  return Number(raw)
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

export const serveCommand = defineCommand({
  meta: {
    name: 'serve',
    description: 'Run the local Amplitude-compatible server (ingestion, profiles, inspection)',
    examples: [
      'ampkit serve                                  # 127.0.0.1:8250, data in .ampkit/',
      'ampkit serve --port 0 --memory                # a free port, nothing kept',
      'ampkit serve --api-key KEY --secret-key SECRET --faults',
      'ampkit serve --memory --fault \'{"kind":"error","status":503,"count":2}\'',
    ],
  },
  args: {
    host: {
      type: 'string',
      description:
        'Interface to bind; anything but loopback exposes the server to the network (default: 127.0.0.1)',
      valueHint: 'HOST',
    },
    port: {
      type: 'string',
      description: `TCP port; 0 picks a free one (default: ${DEFAULT_PORT})`,
      valueHint: 'N',
    },
    'api-key': {
      type: 'string',
      description: 'API key of a single project (with --secret-key); replaces configured projects',
      valueHint: 'KEY',
    },
    'secret-key': {
      type: 'string',
      description: 'Secret key of that project (HTTP Basic password of /api/2/*)',
      valueHint: 'SECRET',
    },
    data: {
      type: 'string',
      description: `Data directory of the DuckDB database (default: ${DEFAULT_DATA_DIR})`,
      valueHint: 'DIR',
    },
    memory: { type: 'boolean', description: 'Keep data in memory only; nothing survives a stop' },
    faults: {
      type: 'boolean',
      description: 'Enable the fault-injection admin API at /_ampkit/faults',
    },
    fault: {
      type: 'strings',
      description:
        'A fault rule in force from the start, as JSON posted to /_ampkit/faults; implies --faults',
      valueHint: 'JSON',
    },
    'no-rate-limits': {
      type: 'boolean',
      description:
        'Turn off the per-user/device limits (30 EPS HTTP V2, 1,000 EPS Batch, 1,800 user-property updates per hour)',
    },
    config: {
      type: 'string',
      description: `Config file with projects and defaults (default: ./${DEFAULT_CONFIG_FILE} if present)`,
      valueHint: 'FILE',
    },
    quiet: { type: 'boolean', description: 'No line per request (start, stop and errors only)' },
    json: {
      type: 'boolean',
      description:
        'Print JSON lines: the start-up facts as one object, then {"request": …} per request',
    },
  },
  async run({ args, out, err, signal, cwd }) {
    let config: ServerConfigFile = {}
    if (args.config !== undefined) config = await loadServerConfig(resolve(cwd, args.config))
    else if (await exists(resolve(cwd, DEFAULT_CONFIG_FILE)))
      config = await loadServerConfig(resolve(cwd, DEFAULT_CONFIG_FILE))

    const apiKey = args['api-key']
    const secretKey = args['secret-key']
    if ((apiKey === undefined) !== (secretKey === undefined))
      throw usageError('--api-key and --secret-key go together')
    if (args.memory && args.data !== undefined)
      throw usageError('--data and --memory cannot be combined')
    let projects: Project[] | undefined = config.projects
    if (apiKey !== undefined && secretKey !== undefined)
      projects = [{ id: 1, name: 'Default', apiKey, secretKey }]

    const faultRules = args.fault.map((text, index) => {
      try {
        return JSON.parse(text) as FaultRuleInput
      } catch {
        throw usageError(`--fault #${index + 1} is not valid JSON: ${text}`)
      }
    })
    const faults = args.faults || config.faults === true || faultRules.length > 0
    const memory = args.memory || (args.data === undefined && config.memory === true)
    const dataDir = resolve(cwd, args.data ?? config.data ?? DEFAULT_DATA_DIR)
    const port = args.port === undefined ? (config.port ?? DEFAULT_PORT) : parsePort(args.port)
    const server: RunningServer = await startServer({
      host: args.host ?? config.host ?? '127.0.0.1',
      port,
      ...(memory ? { memory: true } : { dataDir }),
      ...(projects !== undefined && { projects }),
      faults,
      faultRules,
      rateLimits: !args['no-rate-limits'] && config.rateLimits !== false,
      logger: {
        info: (line) => {
          if (!args.quiet) out(args.json ? JSON.stringify({ request: line }) : line)
        },
        error: (line) => err(args.json ? JSON.stringify({ error: line }) : line),
      },
    })

    if (args.json) {
      // One object a script can parse for the URL and the keys it needs (printed once, as in text).
      out(
        JSON.stringify({
          url: server.url,
          storage: memory ? null : server.databasePath,
          projects: server.projects.map(({ id, name, apiKey, secretKey }) => ({
            id,
            name,
            apiKey,
            secretKey,
          })),
          faults,
          rateLimits: !(args['no-rate-limits'] || config.rateLimits === false),
        }),
      )
      if (!signal.aborted)
        await new Promise<void>((done) =>
          signal.addEventListener('abort', () => done(), { once: true }),
        )
      await server.close()
      out(JSON.stringify({ stopped: true }))
      return 0
    }

    out(`ampkit server listening on ${server.url}`)
    out(`  storage      ${memory ? 'in memory (nothing is kept)' : server.databasePath}`)
    for (const project of server.projects) {
      out(`  project ${project.id}    ${project.name}`)
      out(`    api key    ${project.apiKey}`)
      out(`    secret key ${project.secretKey}`)
    }
    if (server.developmentProject === 'generated' && !memory)
      out(`    (generated; kept in ${resolve(dataDir, DEVELOPMENT_PROJECT_FILE)})`)
    out(`  HTTP V2      ${server.url}/2/httpapi`)
    out(`  Batch        ${server.url}/batch`)
    out(`  inspect      ${server.url}/api/2/usersearch?user=ID (Basic auth: api key, secret key)`)
    if (faults)
      out(`  faults       ${server.url}/_ampkit/faults (${faultRules.length} rules at start)`)
    if (args['no-rate-limits'] || config.rateLimits === false) out('  rate limits  off')
    if (!LOOPBACK_HOSTS.has(server.host))
      out(`  warning      bound to ${server.host}: other machines can reach this server`)
    out('Press Ctrl+C to stop.')

    if (!signal.aborted)
      await new Promise<void>((done) =>
        signal.addEventListener('abort', () => done(), { once: true }),
      )
    out('ampkit server stopping: finishing in-flight requests')
    await server.close()
    out('ampkit server stopped')
    return 0
  },
})
