/**
 * @module Saved charts (query-api.md §3.9) in the metadata table `ampkit_charts`: ampkit has no chart
 * editor, so a chart is a Dashboard REST query saved through `POST /api/3/chart/ampkit` — the
 * endpoint and its query-string parameters — replayed by `GET /api/3/chart/{id}/query|csv`.
 * Written through `store.writeSql`, read through `store.selectRows`.
 */
import { randomBytes } from 'node:crypto'
import type { SqlStatement, Store } from '../../store/store.ts'
import { queryError } from '../params.ts'

const TABLE = 'ampkit_charts'

const TABLE_STATEMENTS: readonly SqlStatement[] = [
  {
    sql: `CREATE TABLE IF NOT EXISTS ${TABLE} (project_id INTEGER, chart_id VARCHAR, name VARCHAR,
      endpoint VARCHAR, params VARCHAR, created_ms BIGINT)`,
  },
]

/** The Dashboard REST endpoints a chart may replay (all GET, query-string parameters). */
export const CHART_ENDPOINTS: readonly string[] = [
  '/api/2/events/segmentation',
  '/api/2/funnels',
  '/api/2/retention',
  '/api/2/users',
  '/api/2/sessions/length',
  '/api/2/sessions/average',
  '/api/2/sessions/peruser',
  '/api/2/composition',
  '/api/2/revenue/ltv',
  '/api/2/realtime',
  '/api/2/events/list',
]

/** A chart's query-string parameters: repeated keys (`e` of funnels, `s`) as arrays. */
export type ChartParams = Record<string, string | string[]>

export interface SavedChart {
  id: string
  name: string
  endpoint: string
  params: ChartParams
  createdMs: number
}

/** Longest chart name, in characters. */
export const MAX_CHART_NAME_LENGTH = 1000

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * A parameter's values as sent: a string, number or boolean as its text; an object (an event
 * object) as its JSON text; an array as repeated keys (funnels' `e`, several `s`), each element read
 * the same way — except that `s` is itself a JSON array, so an `s` array holding condition objects
 * is one segment.
 */
function paramValue(value: unknown, key: string): string | string[] {
  const one = (v: unknown): string => {
    if (typeof v === 'string') return v
    if (typeof v === 'number' || typeof v === 'boolean') return String(v)
    if (v !== null && typeof v === 'object') return JSON.stringify(v)
    throw queryError(`Invalid chart: params.${key} must hold strings, numbers or JSON values`)
  }
  if (!Array.isArray(value)) return one(value)
  if (key === 's' && value.some(isObject)) return JSON.stringify(value)
  return value.map(one)
}

/** Checks a `POST /api/3/chart/ampkit` body: `{name, endpoint, params}`. */
export function chartOf(body: unknown): Omit<SavedChart, 'id' | 'createdMs'> {
  if (!isObject(body)) throw queryError('Invalid chart: expected a JSON object')
  const name = body.name ?? ''
  if (typeof name !== 'string' || name.length > MAX_CHART_NAME_LENGTH)
    throw queryError(
      `Invalid chart: name must be a string of at most ${MAX_CHART_NAME_LENGTH} characters`,
    )
  const endpoint = body.endpoint
  if (typeof endpoint !== 'string' || !CHART_ENDPOINTS.includes(endpoint))
    throw queryError(`Invalid chart: endpoint must be one of ${CHART_ENDPOINTS.join(', ')}`)
  const raw = body.params ?? {}
  if (!isObject(raw)) throw queryError('Invalid chart: params must be an object')
  const params: ChartParams = {}
  for (const [key, value] of Object.entries(raw)) params[key] = paramValue(value, key)
  return { name, endpoint, params }
}

/** Access to the charts table of one store. */
export class ChartStore {
  readonly #store: Store
  readonly #now: () => number
  readonly #randomId: () => string
  #ready: Promise<void> | undefined

  /** `randomId` makes chart ids. @default 7 random lower-case letters and digits */
  constructor(store: Store, now: () => number, randomId: () => string = defaultChartId) {
    this.#store = store
    this.#now = now
    this.#randomId = randomId
  }

  #tables(): Promise<void> {
    this.#ready ??= this.#store.writeSql(TABLE_STATEMENTS).catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  async save(projectId: number, chart: Omit<SavedChart, 'id' | 'createdMs'>): Promise<SavedChart> {
    await this.#tables()
    const saved = { ...chart, id: this.#randomId(), createdMs: this.#now() }
    await this.#store.writeSql([
      {
        sql: `INSERT INTO ${TABLE} VALUES (?, ?, ?, ?, ?, ?)`,
        params: [
          projectId,
          saved.id,
          saved.name,
          saved.endpoint,
          JSON.stringify(saved.params),
          saved.createdMs,
        ],
      },
    ])
    return saved
  }

  /** The project's chart, or undefined for an unknown id (or another project's). */
  async get(projectId: number, id: string): Promise<SavedChart | undefined> {
    await this.#tables()
    const rows = await this.#store.selectRows(
      `SELECT * FROM ${TABLE} WHERE project_id = ? AND chart_id = ? LIMIT 1`,
      [projectId, id],
    )
    const row = rows[0]
    if (row === undefined) return undefined
    return {
      id: String(row.chart_id),
      name: String(row.name),
      endpoint: String(row.endpoint),
      params: JSON.parse(String(row.params)) as ChartParams,
      createdMs: Number(row.created_ms),
    }
  }
}

/** 7 characters of `[0-9a-z]`, like the ids in Amplitude's chart URLs. */
export function defaultChartId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'
  return [...randomBytes(7)].map((b) => alphabet[b % 36]).join('')
}
