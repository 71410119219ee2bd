/**
 * @module Saved charts (query-api.md §3.9), behind HTTP Basic auth:
 * - `POST /api/3/chart/ampkit` with `{name, endpoint, params}` saves a Dashboard REST query as a
 *   chart (ampkit's route: there is no chart editor) → `{chart_id}`;
 * - `GET /api/3/chart/{chart_id}/query` replays it through this app's own handler for its endpoint
 *   and answers that endpoint's envelope; segmentation points become `{setId: "", value}` objects,
 *   as chart-by-id answers are observed to send them;
 * - `GET /api/3/chart/{chart_id}/csv` renders the same answer as CSV (`chart-csv.ts`, our layout).
 * An unknown id, or another project's, is a 404.
 */
import { readRequestBody } from '../body-reader.ts'
import { ApiError } from '../errors.ts'
import { chartCsv } from '../query/charts/chart-csv.ts'
import { ChartStore, chartOf, type SavedChart } from '../query/charts/chart-store.ts'
import { jsonResponse } from '../responses.ts'
import type { Store } from '../store/store.ts'
import type { RouteContext } from './context.ts'
import { authenticate } from './inspect.ts'
import { parseJsonBody } from './json-body.ts'

const PREFIX = '/api/3/chart/'
const SAVE_PATH = `${PREFIX}ampkit`
/** Largest chart definition body, in bytes. */
const MAX_CHART_BODY_BYTES = 64 * 1024

/** The app's GET handler of a path, if it serves one. */
export type RouteLookup = (
  path: string,
) => ((context: RouteContext) => Promise<Response>) | undefined

function methodNotAllowed(allow: string): ApiError {
  return new ApiError(405, { code: 405, error: 'Method Not Allowed' }, { headers: { allow } })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Runs the chart's query through the app's handler; the answer's envelope, or the error response. */
async function replay(
  context: RouteContext,
  chart: SavedChart,
  lookup: RouteLookup,
): Promise<Record<string, unknown> | Response> {
  const handler = lookup(chart.endpoint)
  if (handler === undefined)
    throw new ApiError(404, {
      code: 404,
      error: `Chart endpoint ${chart.endpoint} is not served by this server`,
    })
  const url = new URL(chart.endpoint, context.url.origin)
  for (const [key, value] of Object.entries(chart.params))
    for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(key, one)
  const headers = new Headers()
  const authorization = context.request.headers.get('authorization')
  if (authorization !== null) headers.set('authorization', authorization)
  const request = new Request(url, { headers })
  const response = await handler({ ...context, request, url })
  if (!response.ok) return response
  const body = (await response.json()) as Record<string, unknown>
  if (chart.endpoint === '/api/2/events/segmentation' && isObject(body.data)) {
    const data = body.data
    if (Array.isArray(data.series))
      data.series = data.series.map((row: unknown) =>
        Array.isArray(row)
          ? row.map((point) => (typeof point === 'number' ? { setId: '', value: point } : point))
          : row,
      )
  }
  return body
}

/** The chart routes of one app: `lookup` finds the handlers charts replay. */
export function chartRoutes(store: Store, now: () => number, lookup: RouteLookup) {
  const charts = new ChartStore(store, now)
  return {
    matches(path: string): boolean {
      return path.startsWith(PREFIX)
    },
    async handle(context: RouteContext): Promise<Response> {
      const path = context.url.pathname
      const method = context.request.method
      if (path === SAVE_PATH) {
        if (method !== 'POST') throw methodNotAllowed('POST')
        const project = authenticate(context)
        const { bytes } = await readRequestBody(context.request, {
          maxBytes: MAX_CHART_BODY_BYTES,
          timeoutMs: context.bodyTimeoutMs,
        })
        const saved = await charts.save(project.id, chartOf(parseJsonBody(bytes)))
        return jsonResponse(200, { chart_id: saved.id })
      }
      const match = /^\/api\/3\/chart\/([^/]+)\/(query|csv)$/.exec(path)
      if (match === null) throw new ApiError(404, { code: 404, error: 'Not Found' })
      if (method !== 'GET') throw methodNotAllowed('GET')
      const project = authenticate(context)
      const id = decodeURIComponent(match[1] as string)
      const chart = await charts.get(project.id, id)
      if (chart === undefined) throw new ApiError(404, { code: 404, error: 'Chart not found' })
      const answer = await replay(context, chart, lookup)
      if (answer instanceof Response) return answer
      if (match[2] === 'query') return jsonResponse(200, answer)
      return new Response(chartCsv(answer.data), {
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="chart-${chart.id}.csv"`,
        },
      })
    },
  }
}
