/**
 * @module Cohorts of the local server (query-api.md §4): static cohorts uploaded or changed through
 * the API, behavioral cohorts defined through ampkit's route and computed at download, and the
 * three-step download. HTTP-agnostic except for its errors, which carry the cohort endpoints' exact
 * body `{"error":{"http_code","type","message","metadata"}}` (type names are unconfirmed). It also
 * answers the shared query core's `CohortResolver` (segments on `userdata_cohort`) and the Profile
 * API's `cohort_ids`. A cohort counts users (`User`) or the group values of one group type (§4.1
 * `countGroup`): a group cohort's file has the `group_value` column, and it cannot segment a query.
 */
import { randomBytes } from 'node:crypto'
import type { CohortDefinition, CohortSummary } from '@ampkit/protocol'
import { ApiError } from '../errors.ts'
import type { CohortResolver } from '../query/cohort-members.ts'
import { queryError } from '../query/params.ts'
import type { Store } from '../store/store.ts'
import {
  type CohortFileMember,
  cohortCsvHeader,
  cohortCsvRows,
  cohortGroupCsvHeader,
  cohortGroupCsvRows,
  propertyColumns,
} from './cohort-csv.ts'
import { assertNoCycle, CohortDefinitionError, definitionCountGroup } from './cohort-definition.ts'
import { type CohortJob, type CohortJobOptions, CohortJobs } from './cohort-jobs.ts'
import { type CohortRecord, CohortRepository, isGroupCohort } from './cohort-repository.ts'
import { compileCohortSql } from './cohort-sql.ts'

/** Amplitude's limit on a cohort's size (older docs: 10 M). */
export const MAX_COHORT_SIZE = 2_000_000
/** How many unmatched ids an answer lists (`invalid_ids_sample`). */
const INVALID_SAMPLE_SIZE = 100

/** An error answered in the cohort endpoints' body shape. */
export function cohortError(
  status: number,
  type: string,
  message: string,
  metadata: Record<string, unknown> = {},
): ApiError {
  return new ApiError(status, { error: { http_code: status, type, message, metadata } })
}

/** How ids of an upload or membership change name users (`group`: values of a group type). */
export type IdKind = 'amplitude' | 'user' | 'group'

/** What matching ids found. */
export interface IdMatch {
  /** Input id → canonical Amplitude id, for the ids that name a user of the project. */
  matched: Map<string, number>
  /** Input ids that name no user, in input order, without repeats. */
  invalid: string[]
}

/** A download's file options. */
export interface DownloadOptions {
  /** `props=1`: one column per user property. */
  props: boolean
  /** `propKeys`: restricts the property columns. */
  propKeys: string[] | undefined
}

function newCohortId(): string {
  // Amplitude's ids look like `5mjbq8w`: seven lowercase letters and digits.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  return [...randomBytes(7)].map((b) => alphabet[b % alphabet.length]).join('')
}

function seconds(ms: number | null): number {
  return ms === null ? 0 : Math.floor(ms / 1000)
}

/** A row of `CohortRepository.memberProfiles` as a file member (properties only when needed). */
function fileMember(row: Record<string, unknown>, withProperties: boolean): CohortFileMember {
  return {
    amplitudeId: Number(row.amplitude_id),
    userId: (row.user_id as string | null) ?? null,
    deviceIds: typeof row.device_ids === 'string' ? (JSON.parse(row.device_ids) as string[]) : [],
    properties:
      withProperties && typeof row.user_properties === 'string'
        ? (JSON.parse(row.user_properties) as Record<string, unknown>)
        : {},
  }
}

/** The cohorts of one server app. */
export class CohortService implements CohortResolver {
  readonly repository: CohortRepository
  readonly jobs: CohortJobs
  readonly #store: Store
  readonly #now: () => number
  readonly #report: (message: string) => void

  constructor(
    store: Store,
    now: () => number,
    options: CohortJobOptions | undefined,
    report: (message: string) => void,
  ) {
    this.#store = store
    this.#now = now
    this.#report = report
    this.repository = new CohortRepository(store)
    this.jobs = new CohortJobs(options, now)
  }

  /** `GET /api/3/cohorts`'s view of a cohort. */
  summary(cohort: CohortRecord, includeSyncInfo: boolean): CohortSummary {
    const summary: CohortSummary = {
      appId: cohort.projectId,
      id: cohort.id,
      name: cohort.name,
      description: cohort.description,
      archived: cohort.archived,
      published: cohort.published,
      hidden: false,
      finished: true,
      size: cohort.size,
      type: 'redshift',
      definition:
        cohort.kind === 'behavioral'
          ? cohort.definition
          : { version: 3, countGroup: { name: cohort.countGroup }, cohortType: 'UPLOADED' },
      owners: cohort.owners,
      viewers: [],
      lastMod: seconds(cohort.modifiedMs),
      createdAt: seconds(cohort.createdMs),
      lastComputed: seconds(cohort.computedMs),
      metadata: [],
      view_count: 0,
      popularity: 0,
      last_viewed: null,
      chart_id: null,
      edit_id: null,
      is_predictive: false,
      is_official_content: false,
      location_id: null,
      shortcut_ids: [],
    }
    if (includeSyncInfo) summary.syncMetadata = []
    return summary
  }

  async get(projectId: number, cohortId: string): Promise<CohortRecord> {
    const cohort = await this.repository.get(projectId, cohortId)
    if (cohort === undefined)
      throw cohortError(404, 'NOT_FOUND', `No cohort with id ${JSON.stringify(cohortId)}`)
    return cohort
  }

  /**
   * Which ids are group values of `groupType` the project knows: a group profile exists, or an
   * event carried the value under that type (singly or in an array). What Amplitude counts as a
   * valid group id is unconfirmed; a value seen in either place is the robust reading.
   */
  async matchGroupValues(
    projectId: number,
    groupType: string,
    ids: readonly string[],
  ): Promise<{ matched: Set<string>; invalid: string[] }> {
    const unique = [...new Set(ids)]
    const matched = new Set<string>()
    if (unique.length > 0) {
      await this.repository.ready()
      const rows = await this.#store.selectRows(
        `WITH carried AS (
           SELECT json_extract(groups, ?) AS g FROM events
           WHERE project_id = ? AND groups IS NOT NULL),
         known AS (
           SELECT group_value AS v FROM group_profiles_current
           WHERE project_id = ? AND group_type = ?
           UNION
           SELECT unnest(from_json(g, '["VARCHAR"]')) FROM carried WHERE json_type(g) = 'ARRAY'
           UNION
           SELECT json_extract_string(g, '$') FROM carried
           WHERE g IS NOT NULL AND json_type(g) NOT IN ('ARRAY', 'OBJECT', 'NULL'))
         SELECT t.id FROM (SELECT unnest(from_json(?, '["VARCHAR"]')) AS id) t
         SEMI JOIN known ON known.v = t.id`,
        [`$.${JSON.stringify(groupType)}`, projectId, projectId, groupType, JSON.stringify(unique)],
      )
      for (const row of rows) matched.add(String(row.id))
    }
    return { matched, invalid: unique.filter((id) => !matched.has(id)) }
  }

  /** Resolves ids to the project's users (canonical ids; merged anonymous ids follow the merge). */
  async matchIds(
    projectId: number,
    kind: Exclude<IdKind, 'group'>,
    ids: readonly string[],
  ): Promise<IdMatch> {
    const matched = new Map<string, number>()
    const unique = [...new Set(ids)]
    if (unique.length > 0) {
      await this.repository.ready()
      const join =
        kind === 'amplitude'
          ? `JOIN users_current u ON u.project_id = ? AND u.amplitude_id = TRY_CAST(t.id AS BIGINT)
             WHERE regexp_full_match(t.id, '[0-9]{1,18}')`
          : `JOIN user_ids_current m ON m.project_id = ? AND m.user_id = t.id
             JOIN users_current u ON u.project_id = m.project_id AND u.amplitude_id = m.amplitude_id`
      const rows = await this.#store.selectRows(
        `SELECT t.id, coalesce(u.merged_into, u.amplitude_id) AS cid
         FROM (SELECT unnest(from_json(?, '["VARCHAR"]')) AS id) t ${join}`,
        [JSON.stringify(unique), projectId],
      )
      for (const row of rows) matched.set(String(row.id), Number(row.cid))
    }
    return { matched, invalid: unique.filter((id) => !matched.has(id)) }
  }

  /** `POST /api/3/cohorts/upload` after its body was checked. */
  async upload(
    projectId: number,
    input: {
      name: string
      kind: IdKind
      ids: string[]
      owner: string
      published: boolean
      countGroup: string
      skipSave: boolean
      skipInvalidIds: boolean
      existingCohortId: string | undefined
    },
  ) {
    const existing =
      input.existingCohortId === undefined
        ? undefined
        : await this.get(projectId, input.existingCohortId)
    if (existing?.kind === 'behavioral')
      throw cohortError(
        400,
        'INVALID_REQUEST',
        `existing_cohort_id ${existing.id} is a behavioral cohort; its members are computed`,
      )
    // A group cohort's ids are group values whatever `id_type` says: locally a group has only its
    // value (Amplitude's group id / group name distinction, §4.4, is unconfirmed here).
    const grouped = input.countGroup !== 'User'
    const { matched, invalid } = grouped
      ? await this.matchGroupValues(projectId, input.countGroup, input.ids)
      : await this.matchIds(projectId, input.kind === 'group' ? 'user' : input.kind, input.ids)
    const members: number[] | string[] =
      matched instanceof Set ? [...matched] : [...new Set(matched.values())]
    const metadata = {
      matched: input.ids.filter((id) => matched.has(id)).length,
      totals: members.length,
      invalid_ids_sample: invalid.slice(0, INVALID_SAMPLE_SIZE),
    }
    if (invalid.length > 0 && !input.skipInvalidIds)
      throw cohortError(
        400,
        'INVALID_IDS',
        `${invalid.length} of the ids match no user of the project (skip_invalid_ids is false)`,
        { ...metadata, invalid_ids_count: invalid.length },
      )
    // With skip_save the upload is only validated; no cohort is created or changed, so the id is
    // the existing one or empty [unconfirmed].
    if (input.skipSave) return { cohortId: existing?.id ?? '', metadata }
    const nowMs = this.#now()
    if (existing !== undefined) {
      await this.repository.update(
        {
          ...existing,
          name: input.name,
          owners: [input.owner],
          published: input.published,
          countGroup: input.countGroup,
          modifiedMs: nowMs,
          computedMs: nowMs,
        },
        members,
      )
      return { cohortId: existing.id, metadata }
    }
    const cohort: CohortRecord = {
      projectId,
      id: newCohortId(),
      name: input.name,
      description: null,
      kind: 'static',
      definition: null,
      owners: [input.owner],
      published: input.published,
      archived: false,
      countGroup: input.countGroup,
      size: members.length,
      createdMs: nowMs,
      modifiedMs: nowMs,
      computedMs: nowMs,
    }
    await this.repository.insert(cohort, members)
    return { cohortId: cohort.id, metadata }
  }

  async #checkDefinition(projectId: number, selfId: string, definition: CohortDefinition) {
    const resolve = await this.repository.resolver(projectId)
    try {
      assertNoCycle(selfId, definition, resolve)
      // Compiling (without running) refuses a definition that expands too far through others.
      compileCohortSql(definition, { projectId, nowMs: this.#now(), resolve })
    } catch (error) {
      if (error instanceof CohortDefinitionError)
        throw cohortError(400, 'INVALID_DEFINITION', error.message)
      throw error
    }
  }

  /** Creates a behavioral cohort; its members are computed at its first download. */
  async createBehavioral(
    projectId: number,
    input: {
      name: string
      description: string | null
      owner: string | undefined
      published: boolean
      definition: CohortDefinition
    },
  ): Promise<CohortRecord> {
    const id = newCohortId()
    await this.#checkDefinition(projectId, id, input.definition)
    const nowMs = this.#now()
    const cohort: CohortRecord = {
      projectId,
      id,
      name: input.name,
      description: input.description,
      kind: 'behavioral',
      definition: input.definition,
      owners: input.owner === undefined ? [] : [input.owner],
      published: input.published,
      archived: false,
      countGroup: definitionCountGroup(input.definition),
      size: 0,
      createdMs: nowMs,
      modifiedMs: nowMs,
      computedMs: null,
    }
    await this.repository.insert(cohort, [])
    return cohort
  }

  /** Redefines a behavioral cohort (and renames it when asked); its members are recomputed later. */
  async redefine(
    projectId: number,
    cohortId: string,
    input: {
      name?: string
      description?: string | null
      published?: boolean
      definition: CohortDefinition
    },
  ): Promise<CohortRecord> {
    const cohort = await this.get(projectId, cohortId)
    if (cohort.kind !== 'behavioral')
      throw cohortError(
        400,
        'INVALID_REQUEST',
        `Cohort ${cohortId} is a static cohort; change its members with /api/3/cohorts/membership`,
      )
    await this.#checkDefinition(projectId, cohortId, input.definition)
    const updated: CohortRecord = {
      ...cohort,
      name: input.name ?? cohort.name,
      description: input.description === undefined ? cohort.description : input.description,
      published: input.published ?? cohort.published,
      definition: input.definition,
      countGroup: definitionCountGroup(input.definition),
      modifiedMs: this.#now(),
    }
    // A new count group empties the stored members: they are ids of the other kind.
    await this.repository.update(updated, updated.countGroup === cohort.countGroup ? undefined : [])
    return updated
  }

  /** Computes a behavioral cohort's members now (canonical ids, ascending). */
  async compute(cohort: CohortRecord): Promise<number[]> {
    if (cohort.definition === null) return []
    const resolve = await this.repository.resolver(cohort.projectId)
    const query = compileCohortSql(cohort.definition, {
      projectId: cohort.projectId,
      nowMs: this.#now(),
      resolve,
    })
    const rows = await this.#store.selectRows(query.sql, query.params)
    return rows.map((row) => Number(row.amplitude_id))
  }

  /** `CohortResolver` of the shared query core: members for `userdata_cohort` segments. */
  async members(projectId: number, cohortId: string): Promise<ReadonlySet<number> | undefined> {
    const cohort = await this.repository.get(projectId, cohortId)
    if (cohort === undefined) return undefined
    // A segment keeps users; a group cohort's members are group values, so it cannot segment.
    if (isGroupCohort(cohort))
      throw queryError(
        `Invalid parameter s: cohort ${JSON.stringify(cohortId)} counts ${cohort.countGroup} groups, not users; only user cohorts can segment a query`,
      )
    if (cohort.kind === 'behavioral') return new Set(await this.compute(cohort))
    return new Set(await this.repository.members(projectId, cohortId))
  }

  /** Starts a download job (step 1 of §4.2). */
  async requestDownload(
    projectId: number,
    cohortId: string,
    options: DownloadOptions,
  ): Promise<CohortJob> {
    const cohort = await this.get(projectId, cohortId)
    return this.jobs.start(
      projectId,
      cohortId,
      async (write) => {
        await this.#refreshMembers(cohort)
        if (isGroupCohort(cohort)) return this.#writeGroupFile(cohort, options, write)
        const keys = options.props
          ? propertyColumns(
              options.propKeys !== undefined && options.propKeys.length > 0
                ? []
                : await this.repository.memberPropertyKeys(projectId, cohortId),
              options.propKeys,
            )
          : []
        await write(cohortCsvHeader(keys))
        // One DuckDB chunk of profiles at a time, written before the next is read: the file of a
        // 2 M-member cohort never is in memory.
        for await (const rows of this.repository.memberProfiles(projectId, cohortId))
          await write(
            cohortCsvRows(
              rows.map((row) => fileMember(row, keys.length > 0)),
              keys,
            ),
          )
      },
      this.#report,
    )
  }

  /** A group cohort's file: `group_value`, and with `props=1` its group profile's properties. */
  async #writeGroupFile(
    cohort: CohortRecord,
    options: DownloadOptions,
    write: (text: string) => Promise<void>,
  ): Promise<void> {
    const keys = options.props
      ? propertyColumns(
          options.propKeys !== undefined && options.propKeys.length > 0
            ? []
            : await this.repository.groupMemberPropertyKeys(cohort),
          options.propKeys,
        )
      : []
    await write(cohortGroupCsvHeader(keys))
    for await (const rows of this.repository.groupMemberProfiles(cohort))
      await write(
        cohortGroupCsvRows(
          rows.map((row) => ({
            groupValue: String(row.group_value),
            properties:
              keys.length > 0 && typeof row.group_properties === 'string'
                ? (JSON.parse(row.group_properties) as Record<string, unknown>)
                : {},
          })),
          keys,
        ),
      )
  }

  /**
   * Makes the stored members current before a download: a behavioral cohort is recomputed inside
   * the database (`size` and `lastComputed` in the list reflect it); a static one's are stored.
   */
  async #refreshMembers(cohort: CohortRecord): Promise<void> {
    if (cohort.kind !== 'behavioral') return
    const nowMs = this.#now()
    if (cohort.definition === null) {
      await this.repository.update({ ...cohort, computedMs: nowMs }, [])
      return
    }
    const resolve = await this.repository.resolver(cohort.projectId)
    const query = compileCohortSql(cohort.definition, {
      projectId: cohort.projectId,
      nowMs,
      resolve,
    })
    await this.repository.replaceMembersFrom(cohort, query, nowMs)
  }

  /** The cohorts a user is a member of (Profile API `cohort_ids`). */
  cohortsOf(projectId: number, amplitudeId: number): Promise<string[]> {
    return this.repository.cohortsOf(projectId, amplitudeId)
  }

  /** Stops download jobs (before the store closes). */
  close(): Promise<void> {
    return this.jobs.close()
  }
}
