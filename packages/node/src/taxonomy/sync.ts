/**
 * @module Syncing a tracking plan with Amplitude's Taxonomy API (../shared/spec/query-api.md §5.3)
 * through an injected fetch: push creates each event and event property (POST) and updates the ones
 * that exist (409 → PUT); pull lists events and their properties and builds a plan. The mapping is
 * `@ampkit/protocol`'s (pure); this file only does the HTTP. A stop-gap until the query client
 * `@ampkit/api` exists, which should own Taxonomy API calls (auth, retries, 429s).
 */
import {
  encodeForm,
  eventPropertiesRequest,
  type PlanEvents,
  planEventsFromTaxonomy,
  planToTaxonomyRequests,
  readTaxonomyResponse,
  TAXONOMY_API_PATH,
  type TaxonomyEventPropertyRecord,
  type TaxonomyEventRecord,
  type TaxonomyRequest,
  type TrackingPlan,
  updateRequestFor,
} from '@ampkit/protocol'
import { AmpkitNodeError } from '../errors.ts'
import { redact } from '../redact.ts'
import type { FetchLike } from '../transport.ts'
import { type BindablePlan, defineTrackingPlan } from './tracker.ts'

/** Options of `syncTrackingPlan` and `pullTrackingPlan`. */
export interface TaxonomySyncOptions {
  apiKey: string
  secretKey: string
  /** The Amplitude app origin. @default 'https://amplitude.com' (EU: 'https://analytics.eu.amplitude.com') */
  serverUrl?: string
  /** @default globalThis.fetch */
  fetch?: FetchLike
  /** Deadline of one request, in ms. @default 30000 */
  timeoutMs?: number
}

/** What a push did. */
export interface TaxonomySyncReport {
  /** `event SongPlayed`, `event-property SongPlayed.songId`. */
  created: string[]
  updated: string[]
  failed: Array<{ item: string; status: number; message: string }>
}

/** A Taxonomy API call that failed (pull). Keys never appear in the message. */
export class TaxonomySyncError extends AmpkitNodeError {
  override readonly name = 'TaxonomySyncError'
  override readonly code = 'E_TAXONOMY_SYNC'
  readonly status: number

  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super(message, options)
    this.status = status
  }
}

function itemOf(request: TaxonomyRequest): string {
  const form = request.form ?? {}
  return request.path.includes('/event-property')
    ? `event-property ${form.event_type ?? ''}.${form.event_property ?? decodeURIComponent(request.path.split('/').at(-1) ?? '')}`
    : `event ${form.event_type ?? decodeURIComponent(request.path.split('/').at(-1) ?? '')}`
}

function client(options: TaxonomySyncOptions) {
  const origin = (options.serverUrl ?? 'https://amplitude.com').replace(/\/+$/, '')
  const fetchFn = options.fetch ?? (globalThis.fetch as FetchLike)
  const auth = `Basic ${Buffer.from(`${options.apiKey}:${options.secretKey}`).toString('base64')}`
  const clean = (text: string) => redact(redact(text, options.apiKey), options.secretKey)
  return async (
    request: TaxonomyRequest,
  ): Promise<{ status: number; body: unknown; text: string }> => {
    const headers: Record<string, string> = { authorization: auth, accept: 'application/json' }
    const init: RequestInit = {
      method: request.method,
      headers,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    }
    if (request.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      init.body = encodeForm(request.form)
    }
    let response: Response
    try {
      response = await fetchFn(`${origin}${request.path}`, init)
    } catch (error) {
      return { status: 0, body: undefined, text: clean(`network error: ${String(error)}`) }
    }
    const text = clean(await response.text())
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    return { status: response.status, body, text }
  }
}

function why(status: number, body: unknown, text: string): string {
  const errors = readTaxonomyResponse(body).errors
  if (errors.length > 0) return errors.join('; ')
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || `HTTP ${status}`
}

/**
 * Pushes a plan: creates every event and event property, and updates (PUT) those that exist (409).
 * Resolves a report; failures are listed, not thrown, so one bad property does not stop the rest.
 */
export async function syncTrackingPlan<E extends PlanEvents>(
  plan: Pick<TrackingPlan<E>, 'events' | 'eventTypes'>,
  options: TaxonomySyncOptions,
): Promise<TaxonomySyncReport> {
  const send = client(options)
  const report: TaxonomySyncReport = { created: [], updated: [], failed: [] }
  for (const request of planToTaxonomyRequests(plan as TrackingPlan<E>)) {
    const item = itemOf(request)
    const created = await send(request)
    if (created.status >= 200 && created.status < 300) {
      report.created.push(item)
      continue
    }
    if (created.status !== 409) {
      report.failed.push({
        item,
        status: created.status,
        message: `${request.method} ${request.path} failed: ${created.status} ${why(created.status, created.body, created.text)}`,
      })
      continue
    }
    const update = updateRequestFor(request)
    const updated = await send(update)
    if (updated.status >= 200 && updated.status < 300) report.updated.push(item)
    else {
      report.failed.push({
        item,
        status: updated.status,
        message: `${update.method} ${update.path} failed: ${updated.status} ${why(updated.status, updated.body, updated.text)}`,
      })
    }
  }
  return report
}

/** Pulls the project's events and their properties into a bindable plan. Throws `TaxonomySyncError`. */
export async function pullTrackingPlan(
  options: TaxonomySyncOptions,
): Promise<BindablePlan<PlanEvents>> {
  const send = client(options)
  const get = async (request: TaxonomyRequest): Promise<unknown[]> => {
    const { status, body, text } = await send(request)
    const read = readTaxonomyResponse(body)
    if (status < 200 || status >= 300 || !read.success) {
      throw new TaxonomySyncError(
        `GET ${request.path.split('?')[0]} failed: ${status} ${why(status, body, text)}`,
        status,
      )
    }
    return read.data
  }
  const events = (await get({ method: 'GET', path: `${TAXONOMY_API_PATH}/event` })).filter(
    (e): e is TaxonomyEventRecord =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as TaxonomyEventRecord).event_type === 'string',
  )
  const properties: Record<string, TaxonomyEventPropertyRecord[]> = {}
  for (const event of events) {
    properties[event.event_type] = (await get(eventPropertiesRequest(event.event_type))).filter(
      (p): p is TaxonomyEventPropertyRecord =>
        typeof p === 'object' &&
        p !== null &&
        typeof (p as TaxonomyEventPropertyRecord).event_property === 'string',
    )
  }
  return defineTrackingPlan({ events: planEventsFromTaxonomy(events, properties) })
}
