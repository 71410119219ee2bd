/**
 * @module Cohort download jobs (query-api.md §4.2): a request starts a job that computes the file in
 * the background; its status is `JOB INPROGRESS` until the file is ready, then `JOB COMPLETED`. Files
 * above a size answer through one-time local links (Amplitude's pre-signed S3 URL). Everything is
 * bounded: jobs expire after `jobTtlMs` and at most `maxJobs` are kept; links are single-use, expire
 * after `fileLinkTtlMs`, and at most `MAX_LINKS` exist.
 */
import { randomBytes } from 'node:crypto'
import type { CohortJobStatus } from '@ampkit/protocol'
import { ConfigError } from '../errors.ts'

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
   * Most bytes of finished files kept in memory at once, in bytes; past it the oldest jobs are
   * dropped first (the newest file is always kept). @default 268435456 (256 MiB)
   */
  maxStoredFileBytes?: number
}

/** The path prefix of one-time file links. */
export const COHORT_FILE_PREFIX = '/_ampkit/files/'

/** Most live one-time links; the oldest are dropped first. */
const MAX_LINKS = 1000

/** One download job. */
export interface CohortJob {
  requestId: string
  projectId: number
  cohortId: string
  createdMs: number
  status: CohortJobStatus
  /** The CSV, once completed. */
  file?: Buffer
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
}

function option(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < min)
    throw new ConfigError(
      `createServerApp: cohorts.${name} must be a number >= ${min}, got ${value}`,
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
    maxStoredFileBytes: option(options.maxStoredFileBytes, 'maxStoredFileBytes', 256 << 20, 0),
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
  #closed = false

  constructor(options: CohortJobOptions | undefined, now: () => number) {
    this.options = resolveCohortJobOptions(options)
    this.#now = now
  }

  #sweep(): void {
    const nowMs = this.#now()
    for (const [id, job] of this.#jobs) {
      if (nowMs - job.createdMs >= this.options.jobTtlMs) this.#jobs.delete(id)
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
   * Starts a job whose file `compute` produces, in the background (after this call returns, so the
   * request is answered 202 at once). A failure marks the job `JOB FAILED` and is reported.
   */
  start(
    projectId: number,
    cohortId: string,
    compute: () => Promise<string>,
    report: (message: string) => void,
  ): CohortJob {
    this.#sweep()
    while (this.#jobs.size >= this.options.maxJobs) {
      const oldest = this.#jobs.keys().next().value
      if (oldest === undefined) break
      this.#jobs.delete(oldest)
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
        const text = await compute()
        await minimum
        job.file = Buffer.from(text, 'utf8')
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
    for (const job of this.#jobs.values()) total += job.file?.byteLength ?? 0
    for (const [id, job] of this.#jobs) {
      if (total <= this.options.maxStoredFileBytes) break
      if (job === newest || job.file === undefined) continue
      total -= job.file.byteLength
      this.#jobs.delete(id)
    }
  }

  /** The job of a project, unless unknown or expired. */
  get(projectId: number, requestId: string): CohortJob | undefined {
    this.#sweep()
    const job = this.#jobs.get(requestId)
    return job?.projectId === projectId ? job : undefined
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
    for (const [timer, resolve] of this.#sleeps) {
      clearTimeout(timer)
      resolve()
    }
    this.#sleeps.clear()
    await Promise.allSettled([...this.#running])
  }
}
