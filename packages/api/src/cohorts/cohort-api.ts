/**
 * @module Behavioral Cohorts (query-api.md §4): list, the three-step async download (request → poll
 * status → file, following the 302 to a pre-signed URL without our credentials), upload and
 * membership changes. The file is a tab-prefixed RFC 4180 CSV; it is parsed as it streams.
 */
import {
  COHORT_CSV_CELL_PREFIX,
  type CohortListResponse,
  type CohortMembershipRequest,
  type CohortMembershipResponse,
  type CohortRequestResponse,
  type CohortStatusResponse,
  type CohortSummary,
  type CohortUploadRequest,
  type CohortUploadResponse,
} from '@ampkit/protocol'
import {
  AbortedError,
  ParameterError,
  ProtocolError,
  RateLimitError,
  TimeoutError,
} from '../errors.ts'
import { safeUrl } from '../http/safe-url.ts'
import type { Transport } from '../http/transport.ts'
import type { ResolvedApiOptions } from '../options.ts'
import { csvRows } from './csv.ts'

/** One member of a downloaded cohort. */
export interface CohortMember {
  /** `null` for group cohorts, whose rows name a `groupValue` instead. */
  amplitudeId: number | null
  userId: string | null
  deviceIds: string[]
  /** Group cohorts: the group's value. */
  groupValue?: string
  /**
   * With `props: true`: one entry per property column (a group cohort's are the group's
   * properties), tab prefix removed.
   */
  properties?: Record<string, string>
}

/** Options of `downloadCohort()`. */
export interface CohortDownloadOptions {
  /** `props=1`: include user properties (may time out on big cohorts). @default false */
  props?: boolean
  /** Restrict the properties to these (repeated `propKeys`). */
  propKeys?: readonly string[]
  /** First wait between two status polls, in ms; grows ×1.5 per poll. @default 2000 */
  pollIntervalMs?: number
  /** Longest wait between two polls, in ms. @default 15000 */
  maxPollIntervalMs?: number
  /** How long to wait for the job to complete, in ms. @default 1800000 (30 min) */
  timeoutMs?: number
  signal?: AbortSignal
  /** Called with each status answer while the job runs. */
  onStatus?: (status: CohortStatusResponse) => void
}

/** A finished cohort job: the ids to fetch its file with. */
export interface CohortJob {
  requestId: string
  cohortId: string
}

const ID_PATTERN = /^[A-Za-z0-9_-]+$/

function checkId(operation: string, parameter: string, id: string): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id))
    throw new ParameterError(
      operation,
      parameter,
      `must be an id of letters, digits, _ or -, got ${JSON.stringify(id)}`,
    )
  return id
}

/** `GET /api/3/cohorts`. */
export async function listCohorts(
  transport: Transport,
  options: { includeSyncInfo?: boolean; signal?: AbortSignal } = {},
): Promise<CohortSummary[]> {
  const { body, status } = await transport.json<CohortListResponse>({
    method: 'GET',
    path: '/api/3/cohorts',
    query: options.includeSyncInfo ? [['includeSyncInfo', 'true']] : [],
    ...(options.signal !== undefined && { signal: options.signal }),
  })
  if (!Array.isArray(body?.cohorts))
    throw new ProtocolError('GET /api/3/cohorts failed: the answer has no cohorts array', {
      method: 'GET',
      status,
    })
  return body.cohorts
}

/** Steps 1 and 2: requests the file and polls until the job completed. */
export async function requestCohortFile(
  transport: Transport,
  options: ResolvedApiOptions,
  cohortId: string,
  download: CohortDownloadOptions = {},
): Promise<CohortJob> {
  checkId('downloadCohort', 'cohortId', cohortId)
  const pollIntervalMs = download.pollIntervalMs ?? 2000
  const maxPollIntervalMs = Math.max(pollIntervalMs, download.maxPollIntervalMs ?? 15_000)
  const timeoutMs = download.timeoutMs ?? 1_800_000
  for (const [name, value] of [
    ['pollIntervalMs', pollIntervalMs],
    ['timeoutMs', timeoutMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0)
      throw new ParameterError('downloadCohort', name, 'must be a number of ms >= 0')
  }
  const signal = download.signal
  const withSignal = signal === undefined ? {} : { signal }
  const query: [string, string][] = []
  if (download.props) query.push(['props', '1'])
  for (const key of download.propKeys ?? []) query.push(['propKeys', key])
  const requested = await transport.json<CohortRequestResponse>({
    method: 'GET',
    path: `/api/5/cohorts/request/${cohortId}`,
    query,
    ...withSignal,
  })
  const requestId = requested.body?.request_id
  if (typeof requestId !== 'string' || requestId === '')
    throw new ProtocolError(
      `GET /api/5/cohorts/request/${cohortId} failed: no request_id in the answer`,
      {
        method: 'GET',
        status: requested.status,
        body: JSON.stringify(requested.body).slice(0, 512),
      },
    )
  const statusPath = `/api/5/cohorts/request-status/${encodeURIComponent(requestId)}`
  const started = options.now()
  let delayMs = pollIntervalMs
  for (;;) {
    if (options.now() - started > timeoutMs)
      throw new TimeoutError(
        `downloadCohort ${cohortId} failed: the job did not complete within ${timeoutMs} ms`,
        { method: 'GET', url: safeUrl(transport.urlFor({ method: 'GET', path: statusPath })) },
      )
    await options.sleep(delayMs, signal).catch((error) => {
      throw new AbortedError(`downloadCohort ${cohortId} aborted`, {}, { cause: error })
    })
    let answer: { status: number; body: CohortStatusResponse }
    try {
      // 429 while polling is not a failure (Amplitude's SDKs do the same): wait and poll again.
      answer = await transport.json<CohortStatusResponse>({
        method: 'GET',
        path: statusPath,
        retryRateLimits: false,
        ...withSignal,
      })
    } catch (error) {
      if (!(error instanceof RateLimitError)) throw error
      delayMs =
        error.retryAfterMs !== undefined
          ? Math.max(error.retryAfterMs, pollIntervalMs)
          : Math.min(delayMs * 1.5, maxPollIntervalMs)
      continue
    }
    download.onStatus?.(answer.body)
    const jobStatus = String(answer.body?.async_status ?? '')
    // 200 means done; the status text is checked too, since only the two confirmed values are known.
    if (/FAIL|ERROR|CANCEL/i.test(jobStatus))
      throw new ProtocolError(`downloadCohort ${cohortId} failed: the job ended as ${jobStatus}`, {
        method: 'GET',
        status: answer.status,
      })
    if (answer.status === 200 && (jobStatus === '' || /COMPLETE/i.test(jobStatus)))
      return { requestId, cohortId }
    delayMs = Math.min(delayMs * 1.5, maxPollIntervalMs)
  }
}

/** Step 3: the raw CSV bytes of a completed job (inline or behind a 302). */
export async function* cohortFileBytes(
  transport: Transport,
  requestId: string,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const response = await transport.open({
    method: 'GET',
    path: `/api/5/cohorts/request/${encodeURIComponent(requestId)}/file`,
    ...(signal !== undefined && { signal }),
  })
  try {
    yield* response.chunks()
  } finally {
    response.release()
  }
}

/** Removes the spreadsheet guard: one leading tab (§4.2). */
function cell(value: string | undefined): string {
  if (value === undefined) return ''
  return value.startsWith(COHORT_CSV_CELL_PREFIX)
    ? value.slice(COHORT_CSV_CELL_PREFIX.length)
    : value
}

/** Typed members of a cohort CSV byte stream. */
export async function* parseCohortCsv(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<CohortMember> {
  let columns: string[] | undefined
  let amplitudeIdAt = -1
  let userIdAt = -1
  let deviceIdsAt = -1
  let groupValueAt = -1
  let propertyColumns: [number, string][] = []
  let line = 0
  for await (const row of csvRows(chunks)) {
    line++
    if (columns === undefined) {
      columns = row.map((name) => cell(name).trim())
      amplitudeIdAt = columns.indexOf('amplitude_id')
      userIdAt = columns.indexOf('user_id')
      deviceIdsAt = columns.indexOf('device_ids')
      groupValueAt = columns.indexOf('group_value')
      if (amplitudeIdAt < 0 && groupValueAt < 0)
        throw new ProtocolError(
          `the cohort file has neither an amplitude_id nor a group_value column (columns: ${columns.join(', ')})`,
        )
      const known = new Set([amplitudeIdAt, userIdAt, deviceIdsAt, groupValueAt])
      propertyColumns = columns
        .map((name, i): [number, string] => [i, name])
        .filter(([i]) => !known.has(i))
      continue
    }
    const idText = amplitudeIdAt >= 0 ? cell(row[amplitudeIdAt]).trim() : ''
    const amplitudeId = idText === '' ? null : Number(idText)
    if (amplitudeId !== null && !Number.isSafeInteger(amplitudeId))
      throw new ProtocolError(
        `the cohort file's row ${line} has a bad amplitude_id: ${idText.slice(0, 40)}`,
      )
    const userId = userIdAt >= 0 ? cell(row[userIdAt]) : ''
    const devices = deviceIdsAt >= 0 ? cell(row[deviceIdsAt]).trim() : ''
    const member: CohortMember = {
      amplitudeId,
      userId: userId === '' ? null : userId,
      deviceIds: devices === '' ? [] : devices.split(/\s+/),
    }
    if (groupValueAt >= 0) member.groupValue = cell(row[groupValueAt])
    if (propertyColumns.length > 0) {
      const properties: Record<string, string> = {}
      for (const [i, name] of propertyColumns) properties[name] = cell(row[i])
      member.properties = properties
    }
    yield member
  }
}

function validateUpload(request: CohortUploadRequest): void {
  const fail = (parameter: string, message: string): never => {
    throw new ParameterError('uploadCohort', parameter, message)
  }
  if (typeof request?.name !== 'string' || request.name.trim() === '') fail('name', 'is required')
  if (!Number.isSafeInteger(request.app_id)) fail('app_id', 'must be the project id (an integer)')
  if (request.id_type !== 'BY_AMP_ID' && request.id_type !== 'BY_USER_ID')
    fail('id_type', "must be 'BY_AMP_ID' or 'BY_USER_ID'")
  if (!Array.isArray(request.ids) || request.ids.some((id) => typeof id !== 'string'))
    fail('ids', 'must be an array of strings')
  if (typeof request.owner !== 'string' || request.owner === '')
    fail('owner', 'is required (a login email)')
  if (typeof request.published !== 'boolean') fail('published', 'must be true or false')
}

/** `POST /api/3/cohorts/upload` (not retried on 5xx: it may have been applied). */
export async function uploadCohort(
  transport: Transport,
  request: CohortUploadRequest,
  signal?: AbortSignal,
): Promise<CohortUploadResponse> {
  validateUpload(request)
  const { body } = await transport.json<CohortUploadResponse>({
    method: 'POST',
    path: '/api/3/cohorts/upload',
    body: { json: request },
    ...(signal !== undefined && { signal }),
  })
  return body
}

/** `POST /api/3/cohorts/membership`. */
export async function updateCohortMembership(
  transport: Transport,
  request: CohortMembershipRequest,
  signal?: AbortSignal,
): Promise<CohortMembershipResponse> {
  const fail = (parameter: string, message: string): never => {
    throw new ParameterError('updateCohortMembership', parameter, message)
  }
  if (typeof request?.cohort_id !== 'string' || request.cohort_id === '')
    fail('cohort_id', 'is required')
  if (typeof request.count_group !== 'string' || request.count_group === '')
    fail('count_group', "is required ('User' for user cohorts)")
  if (!Array.isArray(request.memberships) || request.memberships.length === 0)
    fail('memberships', 'needs at least one change')
  for (const [i, change] of request.memberships.entries()) {
    if (change.operation !== 'ADD' && change.operation !== 'REMOVE')
      fail(`memberships[${i}].operation`, "must be 'ADD' or 'REMOVE'")
    if (change.id_type !== 'BY_ID' && change.id_type !== 'BY_NAME')
      fail(`memberships[${i}].id_type`, "must be 'BY_ID' or 'BY_NAME'")
    if (!Array.isArray(change.ids)) fail(`memberships[${i}].ids`, 'must be an array of strings')
  }
  const { body } = await transport.json<CohortMembershipResponse>({
    method: 'POST',
    path: '/api/3/cohorts/membership',
    body: { json: request },
    ...(signal !== undefined && { signal }),
  })
  return body
}
