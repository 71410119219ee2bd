/**
 * @module Starting a complete local server: opens the DuckDB store (a file under the data directory,
 * or in memory), picks the projects (configured, or a development project whose generated keys are
 * kept in the data directory so a restart keeps them), creates the app and binds it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createServerApp, type RateLimitOptions, type ServerLogger } from './app.ts'
import type { FaultRuleInput } from './faults.ts'
import { type ListeningServer, listen } from './listen.ts'
import { generateDevelopmentProject, type Project } from './projects.ts'
import { openDuckDbStore } from './store/duckdb-store.ts'

/** The default data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.ampkit'
/** The database file inside the data directory. */
export const DATABASE_FILE = 'ampkit.duckdb'
/** Where a generated development project's keys are kept inside the data directory. */
export const DEVELOPMENT_PROJECT_FILE = 'development-project.json'

/** Options of `startServer`. */
export interface StartServerOptions {
  /** Interface to bind. @default '127.0.0.1' */
  host?: string
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number
  /** Directory of the DuckDB database. @default '.ampkit' */
  dataDir?: string
  /** Keep everything in memory (nothing survives a restart). @default false */
  memory?: boolean
  /** Projects served. @default a development project with generated keys */
  projects?: readonly Project[]
  /** Per user/device throttling; `false` turns it off. @default true */
  rateLimits?: boolean | RateLimitOptions
  /** Enables the fault-injection admin API. @default false */
  faults?: boolean
  /** Fault rules in force from the start; implies `faults`. @default [] */
  faultRules?: readonly FaultRuleInput[]
  /** Request log sink. @default silent */
  logger?: ServerLogger
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number
  /** Deadline for a request body, in ms. @default 30000 */
  bodyTimeoutMs?: number
}

/** A started server. */
export interface RunningServer extends ListeningServer {
  projects: Project[]
  /** How the development project came about, when none was configured. */
  developmentProject: 'generated' | 'reused' | undefined
  /** The database file, or `':memory:'`. */
  databasePath: string
}

async function developmentProject(
  dataDir: string | undefined,
): Promise<{ project: Project; origin: 'generated' | 'reused' }> {
  if (dataDir === undefined) return { project: generateDevelopmentProject(), origin: 'generated' }
  const file = join(dataDir, DEVELOPMENT_PROJECT_FILE)
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as Partial<Project>
    if (
      typeof saved.id === 'number' &&
      typeof saved.apiKey === 'string' &&
      typeof saved.secretKey === 'string'
    ) {
      const project: Project = {
        id: saved.id,
        name: typeof saved.name === 'string' ? saved.name : 'Development',
        apiKey: saved.apiKey,
        secretKey: saved.secretKey,
      }
      return { project, origin: 'reused' }
    }
  } catch {
    // No saved project yet (or an unreadable one): generate a fresh one below.
  }
  const project = generateDevelopmentProject()
  await mkdir(dataDir, { recursive: true })
  // Owner-only: the file holds the secret key.
  await writeFile(file, `${JSON.stringify(project, null, 2)}\n`, { mode: 0o600 })
  return { project, origin: 'generated' }
}

/** Opens the store, creates the app and binds it. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const memory = options.memory === true
  const dataDir = memory ? undefined : (options.dataDir ?? DEFAULT_DATA_DIR)
  let projects: Project[]
  let origin: RunningServer['developmentProject']
  if (options.projects !== undefined && options.projects.length > 0) {
    projects = [...options.projects]
  } else {
    const development = await developmentProject(dataDir)
    projects = [development.project]
    origin = development.origin
  }
  const databasePath = dataDir === undefined ? ':memory:' : join(dataDir, DATABASE_FILE)
  const store = await openDuckDbStore({
    path: databasePath,
    ...(options.now !== undefined && { now: options.now }),
  })
  try {
    const app = createServerApp({
      store,
      projects,
      ...(options.rateLimits !== undefined && { rateLimits: options.rateLimits }),
      ...(options.faults !== undefined && { faults: options.faults }),
      ...(options.faultRules !== undefined && { faultRules: options.faultRules }),
      ...(options.logger !== undefined && { logger: options.logger }),
      ...(options.now !== undefined && { now: options.now }),
      ...(options.bodyTimeoutMs !== undefined && { bodyTimeoutMs: options.bodyTimeoutMs }),
    })
    const listening = await listen(app, {
      ...(options.host !== undefined && { host: options.host }),
      ...(options.port !== undefined && { port: options.port }),
    })
    return { ...listening, projects, developmentProject: origin, databasePath }
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
}
