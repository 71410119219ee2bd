/**
 * @module Cohort download jobs (query-api.md §4.2): a request starts a job that computes the file in
 * the background; its status is `JOB INPROGRESS` until the file is ready, then `JOB COMPLETED`. Files
 * above a size answer through one-time local links (Amplitude's pre-signed S3 URL). Everything is
 * bounded: jobs expire after `jobTtlMs` and at most `maxJobs` are kept; links are single-use, expire
 * after `fileLinkTtlMs`, and at most `MAX_LINKS` exist.
 *
 * Files live on disk (`cohort-files.ts`), written as they are produced and served as streams. A
 * file lives as long as its job: the `/file` URL stays valid for the job's 7 days (each call mints
 * a new one-time link), so fetching it does not delete it; expiry, eviction and close do.
 */
import { randomBytes } from 'node:crypto'
import type { CohortJobStatus } from '@ampkit/protocol'
import { ConfigError } from '../errors.ts'
import {
  type CohortFile,
  CohortFiles,
  cohortFileName,
  type OpenedCohortFile,
  type WriteText,
} from './cohort-files.ts'

/** Options of the cohort download jobs. */
export interface CohortJobOptions {
  /**
   * Least time a job reports `JOB INPROGRESS`, in ms, so a client's polling loop can be tested
   * against at least one 202. @default 0
   */
  cohortJobMinMs?: number
  /** Largest file `/file` answers inline, in bytes; larger files answer 302 to a local link. @default 1048576 */
  inlineFileMaxBytes?: number
  /** How long a one-time file link stays valid, in ms (Amplitude's S3 links: about a minute). @default 60000 */
  fileLinkTtlMs?: number
  /** How long a job and its file are kept, in ms (Amplitude: 7 days). @default 604800000 */
  jobTtlMs?: number
  /** Most jobs kept at once; the oldest are dropped first. @default 100 */
  maxJobs?: number
  /**
   * Most bytes of finished files kept on disk at once, in bytes; past it the oldest jobs are
   * dropped first (the newest file is always kept). @default 1073741824 (1 GiB)
   */
  maxStoredFileBytes?: number
  /**
   * Directory of the finished files; its cohort files are deleted when the app starts (they belong
   * to an earlier run's jobs) and closes. `ampkit serve` passes `<data dir>/cohort-files`.
   * @default a directory of this process under `os.tmpdir()`, removed at close
   */
  fileDir?: string
}

/** The path prefix of one-time file links. */
export const COHORT_FILE_PREFIX = '/_ampkit/files/'

/** Most live one-time links; the oldest are dropped first. */
const MAX_LINKS = 1000

/** Longest wait between expiry sweeps of an idle app, in ms (requests sweep too). */
const SWEEP_INTERVAL_MS = 60_000

/** One download job. */
export interface CohortJob {
  requestId: string
  projectId: number
  cohortId: string
  createdMs: number
  status: CohortJobStatus
  /** The CSV on disk, once completed. */
  file?: CohortFile
  /** Why the job failed (for the log and the error body; never a key). */
  failure?: string
}

interface ResolvedJobOptions {
  cohortJobMinMs: number
  inlineFileMaxBytes: number
  fileLinkTtlMs: number
  jobTtlMs: number
  maxJobs: number
  maxStoredFileBytes: number
  fileDir: string | undefined
}

function option(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < min)
    throw new ConfigError(
      `createServerApp: cohorts.${name} must be a number >= ${min}, got ${value}`,
    )
  return value
}

function directoryOption(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '')
    throw new ConfigError(
      `createServerApp: cohorts.fileDir must be a non-empty path, got ${JSON.stringify(value)}`,
    )
  return value
}

/** Fills defaults and checks the options; throws `ConfigError` naming the bad one. */
export function resolveCohortJobOptions(options: CohortJobOptions = {}): ResolvedJobOptions {
  return {
    cohortJobMinMs: option(options.cohortJobMinMs, 'cohortJobMinMs', 0, 0),
    inlineFileMaxBytes: option(options.inlineFileMaxBytes, 'inlineFileMaxBytes', 1 << 20, 0),
    fileLinkTtlMs: option(options.fileLinkTtlMs, 'fileLinkTtlMs', 60_000, 1),
    jobTtlMs: option(options.jobTtlMs, 'jobTtlMs', 7 * 24 * 60 * 60 * 1000, 1),
    maxJobs: option(options.maxJobs, 'maxJobs', 100, 1),
    maxStoredFileBytes: option(options.maxStoredFileBytes, 'maxStoredFileBytes', 2 ** 30, 0),
    fileDir: directoryOption(options.fileDir),
  }
}

/** An opaque id that does not reveal how many jobs or links exist. */
function token(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** The jobs and links of one server app. */
export class CohortJobs {
  readonly options: ResolvedJobOptions
  readonly #now: () => number
  /** In creation order (a Map keeps insertion order), so the oldest are evicted first. */
  readonly #jobs = new Map<string, CohortJob>()
  readonly #links = new Map<string, { job: CohortJob; expiresMs: number }>()
  readonly #running = new Set<Promise<void>>()
  /** Pending sleeps: their timers, and how to end them early at close. */
  readonly #sleeps = new Map<NodeJS.Timeout, () => void>()
  readonly #files: CohortFiles
  readonly #sweeper: NodeJS.Timeout
  #closed = false

  constructor(options: CohortJobOptions | undefined, now: () => number) {
    this.options = resolveCohortJobOptions(options)
    this.#now = now
    this.#files = new CohortFiles(this.options.fileDir)
    // Expired files leave the disk even when no request comes to sweep them.
    this.#sweeper = setInterval(
      () => this.#sweep(),
      Math.max(1000, Math.min(SWEEP_INTERVAL_MS, this.options.jobTtlMs)),
    )
    this.#sweeper.unref()
  }

  /** Forgets a job and deletes its file. */
  #drop(id: string): void {
    const job = this.#jobs.get(id)
    this.#jobs.delete(id)
    if (job?.file !== undefined) this.#files.remove(job.file)
  }

  #sweep(): void {
    const nowMs = this.#now()
    for (const [id, job] of this.#jobs) {
      if (nowMs - job.createdMs >= this.options.jobTtlMs) this.#drop(id)
    }
    for (const [id, link] of this.#links) {
      if (nowMs >= link.expiresMs || !this.#jobs.has(link.job.requestId)) this.#links.delete(id)
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#sleeps.delete(timer)
        resolve()
      }, ms)
      timer.unref()
      this.#sleeps.set(timer, resolve)
    })
  }

  /**
   * Starts a job whose file `produce` writes piece by piece, in the background (after this call
   * returns, so the request is answered 202 at once). A failure marks the job `JOB FAILED` and is
   * reported.
   */
  start(
    projectId: number,
    cohortId: string,
    produce: (write: WriteText) => Promise<void>,
    report: (message: string) => void,
  ): CohortJob {
    this.#sweep()
    while (this.#jobs.size >= this.options.maxJobs) {
      const oldest = this.#jobs.keys().next().value
      if (oldest === undefined) break
      this.#drop(oldest)
    }
    const job: CohortJob = {
      requestId: token(12),
      projectId,
      cohortId,
      createdMs: this.#now(),
      status: 'JOB INPROGRESS',
    }
    this.#jobs.set(job.requestId, job)
    const run = (async () => {
      await this.#sleep(0)
      if (this.#closed) return
      const minimum = this.#sleep(this.options.cohortJobMinMs)
      try {
        const file = await this.#files.write(cohortFileName(job.requestId), produce)
        await minimum
        // Evicted while it ran (or the app closed): nobody can ask for the file any more.
        if (this.#closed || this.#jobs.get(job.requestId) !== job) {
          this.#files.remove(file)
          return
        }
        job.file = file
        job.status = 'JOB COMPLETED'
        this.#boundFiles(job)
      } catch (error) {
        await minimum
        job.status = 'JOB FAILED'
        job.failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        if (!this.#closed) report(`cohort download ${cohortId} failed: ${job.failure}`)
      }
    })()
    this.#running.add(run)
    void run.finally(() => this.#running.delete(run))
    return job
  }

  /** Drops the oldest jobs while the files held exceed `maxStoredFileBytes` (never `newest`). */
  #boundFiles(newest: CohortJob): void {
    let total = 0
    for (const job of this.#jobs.values()) total += job.file?.bytes ?? 0
    for (const [id, job] of this.#jobs) {
      if (total <= this.options.maxStoredFileBytes) break
      if (job === newest || job.file === undefined) continue
      total -= job.file.bytes
      this.#drop(id)
    }
  }

  /** The job of a project, unless unknown or expired. */
  get(projectId: number, requestId: string): CohortJob | undefined {
    this.#sweep()
    const job = this.#jobs.get(requestId)
    return job?.projectId === projectId ? job : undefined
  }

  /**
   * Opens a completed job's file for serving (a stream and its length); undefined when the file
   * is gone (the job was dropped meanwhile).
   */
  openFile(job: CohortJob): Promise<OpenedCohortFile | undefined> {
    return job.file === undefined ? Promise.resolve(undefined) : this.#files.open(job.file)
  }

  /** A new one-time link token to a completed job's file. */
  mintLink(job: CohortJob): string {
    this.#sweep()
    while (this.#links.size >= MAX_LINKS) {
      const oldest = this.#links.keys().next().value
      if (oldest === undefined) break
      this.#links.delete(oldest)
    }
    const id = token(24)
    this.#links.set(id, { job, expiresMs: this.#now() + this.options.fileLinkTtlMs })
    return id
  }

  /** The file behind a link, consuming the link; undefined when unknown, used or expired. */
  takeLink(id: string): CohortJob | undefined {
    this.#sweep()
    const link = this.#links.get(id)
    if (link === undefined) return undefined
    this.#links.delete(id)
    return link.job
  }

  /** Ends the waits and lets running computations finish (they must not outlive the store). */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweeper)
    for (const [timer, resolve] of this.#sleeps) {
      clearTimeout(timer)
      resolve()
    }
    this.#sleeps.clear()
    await Promise.allSettled([...this.#running])
    this.#jobs.clear()
    this.#links.clear()
    await this.#files.close()
  }
}
