/**
 * @module User deletion jobs (query-api.md §5.2). Amplitude stages a request, locks it 3 days before
 * it runs and runs it within 30 days; the local server runs it `deletionDelayMs` after the request
 * (default 0: the next turn of the event loop), with the same states — `staging` (cancellable) →
 * `submitted` (running) → `done` — so a client can exercise cancel by setting a delay. Jobs live in
 * the metadata table `ampkit_deletions`, so listings survive a restart, and staged jobs left by a
 * previous run are resumed when the app starts.
 */
import { randomBytes } from 'node:crypto'
import type { DeletionCancelResponse, DeletionJob, DeletionStatus } from '@ampkit/protocol'
import { ConfigError } from '../errors.ts'
import type { SqlStatement, Store } from '../store/store.ts'

/** Options of user deletions. */
export interface DeletionOptions {
  /**
   * Delay between a deletion request and its run, in ms; the job stays `staging` (cancellable)
   * meanwhile. Amplitude runs jobs up to 30 days later. @default 0
   */
  deletionDelayMs?: number
}

const TABLE = 'ampkit_deletions'

/** Delay between the app's start and the resumption of a previous run's jobs, in ms. */
const RESUME_DELAY_MS = 1000

const TABLE_STATEMENTS: readonly SqlStatement[] = [
  {
    sql: `CREATE TABLE IF NOT EXISTS ${TABLE} (project_id INTEGER, batch_id VARCHAR, day VARCHAR,
      amplitude_id BIGINT, requester VARCHAR, requested_on_day VARCHAR, status VARCHAR,
      run_after_ms BIGINT, done_day VARCHAR)`,
  },
]

/** A deletion that could not be cancelled, or was not found. */
export class DeletionCancelError extends Error {
  override name = 'DeletionCancelError' as const
  readonly code = 'E_DELETION_CANCEL' as const
  readonly reason: 'not-found' | 'locked'

  constructor(message: string, reason: 'not-found' | 'locked') {
    super(message)
    this.reason = reason
  }
}

/** `YYYY-MM-DD` of an instant, UTC. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/** Runs the deletion itself (the store's `deleteUsers` and the cohort clean-up). */
export type DeleteUsers = (projectId: number, amplitudeIds: readonly number[]) => Promise<void>

/** The deletion jobs of one server app. */
export class DeletionJobs {
  readonly #store: Store
  readonly #now: () => number
  readonly #delayMs: number
  readonly #deleteUsers: DeleteUsers
  readonly #report: (message: string) => void
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #running = new Set<Promise<void>>()
  #ready: Promise<void> | undefined
  #closed = false

  constructor(
    store: Store,
    now: () => number,
    options: DeletionOptions | undefined,
    deleteUsers: DeleteUsers,
    report: (message: string) => void,
  ) {
    const delay = options?.deletionDelayMs ?? 0
    if (!Number.isFinite(delay) || delay < 0)
      throw new ConfigError(`createServerApp: deletions.deletionDelayMs must be >= 0, got ${delay}`)
    this.#store = store
    this.#now = now
    this.#delayMs = delay
    this.#deleteUsers = deleteUsers
    this.#report = report
  }

  #tables(): Promise<void> {
    this.#ready ??= this.#store.writeSql(TABLE_STATEMENTS).catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  /**
   * Resumes a previous run's jobs shortly after the app starts (`RESUME_DELAY_MS`), off the path of
   * an app that is created and closed at once (tests), whose store may already be closing.
   */
  start(): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      void this.resume()
    }, RESUME_DELAY_MS)
    timer.unref()
    this.#timers.add(timer)
  }

  /**
   * Schedules the staged jobs a previous run left. Only reads, and only when the table exists, so
   * an app over a store without deletions writes nothing; a failure (a closing store) is ignored:
   * the jobs stay staged for the next start.
   */
  async resume(): Promise<void> {
    try {
      const exists = await this.#store.selectRows(
        `SELECT 1 FROM information_schema.tables WHERE table_name = '${TABLE}'`,
      )
      if (exists.length === 0 || this.#closed) return
      const rows = await this.#store.selectRows(
        `SELECT batch_id, max(run_after_ms) AS run_after_ms FROM ${TABLE}
         WHERE status IN ('staging', 'submitted') GROUP BY batch_id`,
      )
      for (const row of rows) {
        this.#schedule(String(row.batch_id), Number(row.run_after_ms) - this.#now())
      }
    } catch {
      // See above: nothing is lost, the jobs run at the next start.
    }
  }

  #schedule(batchId: string, delayMs: number): void {
    if (this.#closed) return
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer)
        const run = this.#run(batchId)
        this.#running.add(run)
        void run.finally(() => this.#running.delete(run))
      },
      Math.max(0, delayMs),
    )
    timer.unref()
    this.#timers.add(timer)
  }

  async #run(batchId: string): Promise<void> {
    if (this.#closed) return
    try {
      const rows = await this.#store.selectRows(
        `SELECT project_id, amplitude_id FROM ${TABLE}
         WHERE batch_id = ? AND status IN ('staging', 'submitted')`,
        [batchId],
      )
      const first = rows[0]
      if (first === undefined) return
      const projectId = Number(first.project_id)
      const ids = rows.map((row) => Number(row.amplitude_id))
      await this.#setStatus(batchId, 'submitted', null)
      await this.#deleteUsers(projectId, ids)
      await this.#setStatus(batchId, 'done', dayOf(this.#now()))
    } catch (error) {
      // Left `submitted`: the next start runs it again (deleting is idempotent).
      if (!this.#closed)
        this.#report(
          `user deletion ${batchId} failed: ${error instanceof Error ? error.message : String(error)}`,
        )
    }
  }

  #setStatus(batchId: string, status: DeletionStatus, doneDay: string | null): Promise<void> {
    return this.#store.writeSql([
      {
        sql: `UPDATE ${TABLE} SET status = ?, done_day = ?
          WHERE batch_id = ? AND status IN ('staging', 'submitted')`,
        params: [status, doneDay, batchId],
      },
    ])
  }

  /** Stages a deletion of canonical Amplitude ids; users already pending are not staged twice. */
  async request(
    projectId: number,
    amplitudeIds: readonly number[],
    requester: string | null,
  ): Promise<DeletionJob> {
    await this.#tables()
    const nowMs = this.#now()
    const runAfterMs = nowMs + this.#delayMs
    const pending = await this.#store.selectRows(
      `SELECT amplitude_id, requester, requested_on_day FROM ${TABLE}
       WHERE project_id = ? AND status IN ('staging', 'submitted')`,
      [projectId],
    )
    const pendingIds = new Set(pending.map((row) => Number(row.amplitude_id)))
    const fresh = [...new Set(amplitudeIds)].filter((id) => !pendingIds.has(id))
    const batchId = randomBytes(12).toString('hex')
    const day = dayOf(runAfterMs)
    const requestedOnDay = dayOf(nowMs)
    if (fresh.length > 0) {
      await this.#store.writeSql(
        fresh.map((id) => ({
          sql: `INSERT INTO ${TABLE} VALUES (?, ?, ?, ?, ?, ?, 'staging', ?, NULL)`,
          params: [projectId, batchId, day, id, requester, requestedOnDay, runAfterMs],
        })),
      )
      this.#schedule(batchId, this.#delayMs)
    }
    const earlier = new Map(pending.map((row) => [Number(row.amplitude_id), row]))
    return {
      day,
      status: 'staging',
      amplitude_ids: [...new Set(amplitudeIds)].map((id) => {
        const row = earlier.get(id)
        return row === undefined
          ? { amplitude_id: id, requester, requested_on_day: requestedOnDay }
          : {
              amplitude_id: id,
              requester: (row.requester as string | null) ?? null,
              requested_on_day: String(row.requested_on_day),
            }
      }),
      app: projectId,
    }
  }

  /** Jobs whose day is in `[startDay, endDay]`, one entry per day and status. */
  async list(projectId: number, startDay: string, endDay: string): Promise<DeletionJob[]> {
    await this.#tables()
    const rows = await this.#store.selectRows(
      `SELECT day, status, amplitude_id, requester, requested_on_day, done_day FROM ${TABLE}
       WHERE project_id = ? AND day >= ? AND day <= ? ORDER BY day, status, amplitude_id`,
      [projectId, startDay, endDay],
    )
    const jobs = new Map<string, DeletionJob>()
    for (const row of rows) {
      const key = `${row.day}|${row.status}`
      let job = jobs.get(key)
      if (job === undefined) {
        job = {
          day: String(row.day),
          status: row.status as DeletionStatus,
          amplitude_ids: [],
          app: projectId,
          active_scrub_done_date: (row.done_day as string | null) ?? null,
        }
        jobs.set(key, job)
      }
      job.amplitude_ids.push({
        amplitude_id: Number(row.amplitude_id),
        requester: (row.requester as string | null) ?? null,
        requested_on_day: String(row.requested_on_day),
      })
    }
    return [...jobs.values()]
  }

  /**
   * Cancels the staged deletion of a user requested (or scheduled) on `day`. Throws
   * `DeletionCancelError` when there is none, or when it already runs or ran.
   */
  async cancel(
    projectId: number,
    amplitudeId: number,
    day: string,
  ): Promise<DeletionCancelResponse> {
    await this.#tables()
    const rows = await this.#store.selectRows(
      `SELECT status, requester, requested_on_day FROM ${TABLE}
       WHERE project_id = ? AND amplitude_id = ? AND (requested_on_day = ? OR day = ?)
       ORDER BY status = 'staging' DESC`,
      [projectId, amplitudeId, day, day],
    )
    const row = rows[0]
    if (row === undefined)
      throw new DeletionCancelError(
        `No deletion of Amplitude id ${amplitudeId} requested on ${day}`,
        'not-found',
      )
    if (row.status !== 'staging')
      throw new DeletionCancelError(
        `The deletion of Amplitude id ${amplitudeId} is ${String(row.status)} and can no longer be cancelled`,
        'locked',
      )
    await this.#store.writeSql([
      {
        sql: `DELETE FROM ${TABLE} WHERE project_id = ? AND amplitude_id = ? AND status = 'staging'
          AND (requested_on_day = ? OR day = ?)`,
        params: [projectId, amplitudeId, day, day],
      },
    ])
    return {
      amplitude_id: amplitudeId,
      requested_on_day: String(row.requested_on_day),
      requester: (row.requester as string | null) ?? null,
    }
  }

  /** Stops the timers and waits for running deletions (they must not outlive the store). */
  async close(): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    await Promise.allSettled([...this.#running])
  }
}
