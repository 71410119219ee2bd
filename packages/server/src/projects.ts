/**
 * @module The projects a server holds and the constant-time lookup of their keys. A key is never
 * compared with `===`: both sides are hashed to equal-length digests and compared with
 * `timingSafeEqual`, and every project is checked, so timing reveals neither a key nor a prefix.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { ConfigError } from './errors.ts'

/** One Amplitude project: its numeric id (the export record's `app`) and its two keys. */
export interface Project {
  /** Numeric project id, a positive integer. */
  id: number
  name: string
  /** The API key SDKs send as `api_key`. */
  apiKey: string
  /** The secret key, the password of HTTP Basic auth on the query APIs. */
  secretKey: string
  /**
   * IANA time zone in which the Dashboard REST API reads `start`/`end` and cuts day, week and month
   * buckets (query-api.md §1.3). @default 'UTC'
   */
  timeZone?: string
}

/** A project's time zone, `UTC` when not set. */
export function projectTimeZone(project: Project): string {
  return project.timeZone ?? 'UTC'
}

function knownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
    return true
  } catch {
    return false
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

interface KeyedProject {
  project: Project
  apiKeyDigest: Buffer
  secretKeyDigest: Buffer
}

/** Looks projects up by key in constant time. */
export class ProjectRegistry {
  readonly #projects: KeyedProject[]

  constructor(projects: readonly Project[]) {
    if (projects.length === 0) throw new ConfigError('projects: at least one project is required')
    const ids = new Set<number>()
    const keys = new Set<string>()
    this.#projects = projects.map((project, index) => {
      if (!Number.isSafeInteger(project.id) || project.id < 1)
        throw new ConfigError(`projects[${index}].id must be a positive integer, got ${project.id}`)
      if (ids.has(project.id))
        throw new ConfigError(`projects[${index}].id ${project.id} is used twice`)
      for (const field of ['apiKey', 'secretKey'] as const) {
        if (typeof project[field] !== 'string' || project[field].length === 0)
          throw new ConfigError(`projects[${index}].${field} must be a non-empty string`)
      }
      if (project.timeZone !== undefined && !knownTimeZone(project.timeZone))
        throw new ConfigError(
          `projects[${index}].timeZone ${JSON.stringify(project.timeZone)} is not an IANA time zone`,
        )
      // Named without the value: a key never appears in a message.
      if (keys.has(project.apiKey))
        throw new ConfigError(`projects[${index}].apiKey is used by another project`)
      ids.add(project.id)
      keys.add(project.apiKey)
      return {
        project: { ...project },
        apiKeyDigest: digest(project.apiKey),
        secretKeyDigest: digest(project.secretKey),
      }
    })
  }

  /** All projects, in configuration order. */
  get projects(): Project[] {
    return this.#projects.map((entry) => ({ ...entry.project }))
  }

  /** The project whose API key this is, or `undefined`. */
  byApiKey(apiKey: string): Project | undefined {
    const wanted = digest(apiKey)
    let found: Project | undefined
    for (const entry of this.#projects) {
      if (timingSafeEqual(entry.apiKeyDigest, wanted)) found = entry.project
    }
    return found
  }

  /**
   * The project whose secret key this is (the User Profile API's `Api-Key`), or `undefined`. Two
   * projects sharing a secret key resolve to the first configured.
   */
  bySecretKey(secretKey: string): Project | undefined {
    const wanted = digest(secretKey)
    let found: Project | undefined
    for (const entry of this.#projects) {
      if (timingSafeEqual(entry.secretKeyDigest, wanted)) found ??= entry.project
    }
    return found
  }

  /** The project when both keys match it (HTTP Basic on the query APIs), or `undefined`. */
  byCredentials(apiKey: string, secretKey: string): Project | undefined {
    const wantedApi = digest(apiKey)
    const wantedSecret = digest(secretKey)
    let found: Project | undefined
    for (const entry of this.#projects) {
      const apiOk = timingSafeEqual(entry.apiKeyDigest, wantedApi)
      const secretOk = timingSafeEqual(entry.secretKeyDigest, wantedSecret)
      if (apiOk && secretOk) found = entry.project
    }
    return found
  }
}

/** A development project with fresh random keys, for a server started without configuration. */
export function generateDevelopmentProject(id = 1): Project {
  return {
    id,
    name: 'Development',
    apiKey: randomBytes(16).toString('hex'),
    secretKey: randomBytes(16).toString('hex'),
  }
}
