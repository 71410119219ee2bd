/**
 * @module Starting a complete local server: opens the DuckDB store (a file under the data directory,
 * or in memory), picks the projects (configured, or a development project whose generated keys are
 * kept in the data directory so a restart keeps them), creates the app and binds it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createServerApp, type ServerAppOptions } from './app.ts'
import { type ListeningServer, listen } from './listen.ts'
import { generateDevelopmentProject, type Project } from './projects.ts'
import { openDuckDbStore } from './store/duckdb-store.ts'

/** The default data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.ampkit'
/** The database file inside the data directory. */
export const DATABASE_FILE = 'ampkit.duckdb'
/** Directory (in the data directory) of cohort download files. */
export const COHORT_FILES_DIR = 'cohort-files'
/** Where a generated development project's keys are kept inside the data directory. */
export const DEVELOPMENT_PROJECT_FILE = 'development-project.json'

/**
 * Options of `startServer`: where to bind and store, which projects, and every app option
 * (`rateLimits`, `faults`, `logger`, …) with the app's defaults.
 */
export interface StartServerOptions extends Omit<ServerAppOptions, 'store' | 'projects'> {
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
  const {
    host,
    port,
    dataDir: dataDirOption,
    memory,
    projects: configured,
    ...appOptions
  } = options
  const dataDir = memory === true ? undefined : (dataDirOption ?? DEFAULT_DATA_DIR)
  let projects: Project[]
  let origin: RunningServer['developmentProject']
  if (configured !== undefined && configured.length > 0) {
    projects = [...configured]
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
    // Cohort download files go next to the database (leftovers of a previous run are deleted at
    // start); with --memory, under os.tmpdir().
    const cohorts =
      dataDir === undefined
        ? appOptions.cohorts
        : { fileDir: join(dataDir, COHORT_FILES_DIR), ...appOptions.cohorts }
    const app = createServerApp({
      ...appOptions,
      ...(cohorts !== undefined && { cohorts }),
      store,
      projects,
    })
    const listening = await listen(app, {
      ...(host !== undefined && { host }),
      ...(port !== undefined && { port }),
    })
    return { ...listening, projects, developmentProject: origin, databasePath }
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
}
