/**
 * @module The User Privacy API (query-api.md §5.2): deletion requests (at most 100 ids per request, so
 * longer lists become several requests, sent one after another at most one per second, §1.4), the
 * list of deletion jobs, and cancelling one user's deletion.
 */
import type { DeletionCancelResponse, DeletionJob, DeletionRequest } from '@ampkit/protocol'
import { ParameterError } from '../errors.ts'
import type { Transport } from '../http/transport.ts'
import type { ResolvedApiOptions } from '../options.ts'

/** Ids per deletion request (§1.4). */
export const MAX_DELETION_IDS_PER_REQUEST = 100

/** Options of `requestDeletions()`. */
export interface DeletionOptions {
  amplitudeIds?: readonly (number | string)[]
  userIds?: readonly string[]
  /** Who asked (an email), recorded with the job. */
  requester?: string
  /** `true`: unknown ids are reported in `invalid_ids`; `false`: any unknown id fails the request with 400. @default false (server side) */
  ignoreInvalidId?: boolean
  deleteFromOrg?: boolean
  includeMappedUserIds?: boolean
  /** Pause between two requests of a split list, in ms (Amplitude allows 1 request/s). @default 1000 */
  requestIntervalMs?: number
  signal?: AbortSignal
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/

function isoDay(operation: string, parameter: string, value: Date | string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new ParameterError(operation, parameter, 'is an invalid Date')
    return value.toISOString().slice(0, 10)
  }
  if (typeof value !== 'string' || !DAY_PATTERN.test(value))
    throw new ParameterError(
      operation,
      parameter,
      `must be a Date or YYYY-MM-DD, got ${JSON.stringify(value)}`,
    )
  return value
}

/** `POST /api/2/deletions/users`, split into requests of at most 100 ids; the jobs of all of them. */
export async function requestDeletions(
  transport: Transport,
  options: ResolvedApiOptions,
  request: DeletionOptions,
): Promise<DeletionJob[]> {
  const amplitudeIds = [...(request.amplitudeIds ?? [])]
  const userIds = [...(request.userIds ?? [])]
  if (amplitudeIds.length + userIds.length === 0)
    throw new ParameterError(
      'requestDeletions',
      'amplitudeIds',
      'or userIds must name at least one user',
    )
  for (const [i, id] of amplitudeIds.entries()) {
    if (!/^\d+$/.test(String(id)))
      throw new ParameterError(
        'requestDeletions',
        `amplitudeIds[${i}]`,
        `must be an Amplitude id, got ${JSON.stringify(id)}`,
      )
  }
  for (const [i, id] of userIds.entries()) {
    if (typeof id !== 'string' || id === '')
      throw new ParameterError('requestDeletions', `userIds[${i}]`, 'must be a non-empty string')
  }
  const intervalMs = request.requestIntervalMs ?? 1000
  const all: { kind: 'amplitude' | 'user'; id: number | string }[] = [
    ...amplitudeIds.map((id) => ({ kind: 'amplitude' as const, id })),
    ...userIds.map((id) => ({ kind: 'user' as const, id })),
  ]
  const jobs: DeletionJob[] = []
  for (let at = 0; at < all.length; at += MAX_DELETION_IDS_PER_REQUEST) {
    if (at > 0 && intervalMs > 0) await options.sleep(intervalMs, request.signal)
    const batch = all.slice(at, at + MAX_DELETION_IDS_PER_REQUEST)
    const body: DeletionRequest = {}
    const batchAmplitude = batch.filter((b) => b.kind === 'amplitude').map((b) => b.id)
    const batchUsers = batch.filter((b) => b.kind === 'user').map((b) => String(b.id))
    if (batchAmplitude.length > 0) body.amplitude_ids = batchAmplitude
    if (batchUsers.length > 0) body.user_ids = batchUsers
    if (request.requester !== undefined) body.requester = request.requester
    if (request.ignoreInvalidId !== undefined) body.ignore_invalid_id = request.ignoreInvalidId
    if (request.deleteFromOrg !== undefined) body.delete_from_org = request.deleteFromOrg
    if (request.includeMappedUserIds !== undefined)
      body.include_mapped_user_ids = request.includeMappedUserIds
    const answer = await transport.json<DeletionJob | DeletionJob[]>({
      method: 'POST',
      path: '/api/2/deletions/users',
      body: { json: body },
      ...(request.signal !== undefined && { signal: request.signal }),
    })
    // The doc shows one job object; a day-spanning answer may be a list. Both are accepted.
    if (Array.isArray(answer.body)) jobs.push(...answer.body)
    else jobs.push(answer.body)
  }
  return jobs
}

/** `GET /api/2/deletions/users?start_day&end_day`: the deletion jobs scheduled in that window. */
export async function listDeletions(
  transport: Transport,
  query: { startDay: Date | string; endDay: Date | string; signal?: AbortSignal },
): Promise<DeletionJob[]> {
  const start = isoDay('listDeletions', 'startDay', query.startDay)
  const end = isoDay('listDeletions', 'endDay', query.endDay)
  if (end < start) throw new ParameterError('listDeletions', 'endDay', 'is before startDay')
  const { body } = await transport.json<DeletionJob[] | { data?: DeletionJob[] }>({
    method: 'GET',
    path: '/api/2/deletions/users',
    query: [
      ['start_day', start],
      ['end_day', end],
    ],
    ...(query.signal !== undefined && { signal: query.signal }),
  })
  return Array.isArray(body) ? body : (body.data ?? [])
}

/** `DELETE /api/2/deletions/users/{amplitude_id}/{day}`: takes one user out of a day's job. */
export async function cancelDeletion(
  transport: Transport,
  amplitudeId: number | string,
  day: Date | string,
  signal?: AbortSignal,
): Promise<DeletionCancelResponse> {
  if (!/^\d+$/.test(String(amplitudeId)))
    throw new ParameterError(
      'cancelDeletion',
      'amplitudeId',
      `must be an Amplitude id, got ${JSON.stringify(amplitudeId)}`,
    )
  const requestedOn = isoDay('cancelDeletion', 'day', day)
  const { body } = await transport.json<DeletionCancelResponse>({
    method: 'DELETE',
    path: `/api/2/deletions/users/${amplitudeId}/${requestedOn}`,
    ...(signal !== undefined && { signal }),
  })
  return body
}
