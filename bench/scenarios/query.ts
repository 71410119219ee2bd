/**
 * @module Query speed (issue 5) on a generated store (`BENCH_QUERY_EVENTS`, 10 million full, 1 million
 * quick; see `lib/generate-events.ts` for its shape): daily uniques segmentation over 30 days, a 3-step
 * ordered funnel with a 1-day window, a 31-day N-day retention — each through ampkit's route and as
 * hand-written DuckDB SQL on the same table (the baseline; it computes a simpler answer: no merged-id
 * resolution, no response shaping). Targets: 300 ms, 1 s, 2 s. The export target is measured by the
 * `export` scenario.
 */

import { runChild } from '../lib/child.ts'
import { queryDataset } from '../lib/query-dataset.ts'
import { fmt, type Table } from '../lib/table.ts'
import type { QueryCase, QueryCaseResult } from '../workers/query-worker.ts'
import { atMost, type Scenario, type ScenarioOutcome } from './scenario.ts'

const DAY_MS = 86_400_000

function eventsSetting(quick: boolean): number {
  const raw = Number(process.env.BENCH_QUERY_EVENTS ?? '')
  return Number.isSafeInteger(raw) && raw > 0 ? raw : quick ? 1_000_000 : 10_000_000
}

const q = (value: unknown) => encodeURIComponent(JSON.stringify(value))

function cases(): QueryCase[] {
  // Inside the generated 90 days (2024-01-01 … 2024-03-30, UTC).
  const feb1 = Date.UTC(2024, 1, 1)
  const mar2 = Date.UTC(2024, 2, 2)
  const jan1 = Date.UTC(2024, 0, 1)
  return [
    {
      id: 'segmentation: daily uniques, 30 days',
      url: `/api/2/events/segmentation?e=${q({ event_type: 'Search' })}&m=uniques&start=20240201&end=20240301&i=1`,
      handSql: `SELECT date_trunc('day', epoch_ms(event_time_ms)) AS day, count(DISTINCT amplitude_id) AS users
        FROM events WHERE project_id = 1 AND event_type = 'Search'
          AND event_time_ms >= ${feb1} AND event_time_ms < ${mar2} GROUP BY 1 ORDER BY 1`,
    },
    {
      id: 'funnel: 3 steps ordered, 1-day window, 30 days',
      url: `/api/2/funnels?e=${q({ event_type: 'Search' })}&e=${q({ event_type: 'View Item' })}&e=${q({ event_type: 'Add to Cart' })}&mode=ordered&cs=86400&start=20240201&end=20240301`,
      handSql: `WITH s AS (SELECT amplitude_id AS u, event_time_ms AS t, event_type AS et FROM events
          WHERE project_id = 1 AND event_type IN ('Search', 'View Item', 'Add to Cart')
            AND event_time_ms >= ${feb1} AND event_time_ms < ${mar2 + DAY_MS}),
        e1 AS (SELECT u, t AS t1 FROM s WHERE et = 'Search' AND t < ${mar2}),
        e2 AS (SELECT e1.u, e1.t1, min(s.t) AS t2 FROM e1 JOIN s ON s.u = e1.u AND s.et = 'View Item'
          AND s.t >= e1.t1 AND s.t <= e1.t1 + ${DAY_MS} GROUP BY ALL),
        e3 AS (SELECT e2.u FROM e2 JOIN s ON s.u = e2.u AND s.et = 'Add to Cart'
          AND s.t >= e2.t2 AND s.t <= e2.t1 + ${DAY_MS})
        SELECT (SELECT count(DISTINCT u) FROM e1) AS step1, (SELECT count(DISTINCT u) FROM e2) AS step2,
          (SELECT count(DISTINCT u) FROM e3) AS step3`,
    },
    {
      id: 'retention: N-day, 31 cohorts',
      url: `/api/2/retention?se=${q({ event_type: 'Open App' })}&re=${q({ event_type: '_active' })}&start=20240101&end=20240131`,
      handSql: `WITH starts AS (SELECT amplitude_id AS u, event_time_ms // ${DAY_MS} AS day,
            min(event_time_ms // 3600000) AS h0 FROM events
          WHERE project_id = 1 AND event_type = 'Open App'
            AND event_time_ms >= ${jan1} AND event_time_ms < ${jan1 + 31 * DAY_MS} GROUP BY 1, 2),
        act AS (SELECT DISTINCT amplitude_id AS u, event_time_ms // 3600000 AS h FROM events
          WHERE project_id = 1 AND event_time_ms >= ${jan1} AND event_time_ms < ${jan1 + 62 * DAY_MS})
        SELECT s.day, (a.h - s.h0) // 24 AS n, count(DISTINCT s.u) AS users
        FROM starts s JOIN act a ON a.u = s.u AND a.h > s.h0 AND a.h < s.h0 + 24 * 31
        GROUP BY 1, 2`,
    },
  ]
}

const LIMITS_MS = [300, 1000, 2000]

export const queryScenario: Scenario = {
  name: 'query',
  title: 'Dashboard queries on a generated store: ampkit route vs hand-written DuckDB SQL',
  async unavailable() {
    return undefined
  },
  async run(context): Promise<ScenarioOutcome> {
    const events = eventsSetting(context.settings.quick)
    const dataset = await queryDataset(events, context.progress)
    const runs = Number(process.env.BENCH_QUERY_RUNS ?? '') || 5
    context.progress(
      `query: ${dataset.events.toLocaleString('en-US')} events, median of ${runs} runs`,
    )
    const outcome = await runChild<{ results: QueryCaseResult[] }>(
      'workers/query-worker.ts',
      { dbPath: `${dataset.dir}/ampkit.duckdb`, cases: cases(), runs },
      { timeoutMs: 1_200_000 },
    ).done
    const results = outcome.result?.results ?? []
    if (results.length === 0)
      throw new Error(`query worker failed: ${outcome.outputTail.slice(-500)}`)
    const table: Table = {
      title: `Queries on ${fmt.count(dataset.events)} events, ${fmt.count(dataset.users)} users (median of ${runs})`,
      columns: ['query', 'ampkit route', 'hand SQL', 'ampkit/hand', 'note'],
      rows: results.map((r) => [
        r.id,
        r.ampkitMs === undefined ? '—' : `${fmt.count(r.ampkitMs)} ms`,
        `${fmt.count(r.handMs)} ms`,
        fmt.ratio(r.ampkitMs === undefined ? undefined : r.ampkitMs / r.handMs),
        r.error === undefined ? '' : `HTTP ${r.status}: ${r.error.slice(0, 80)}`,
      ]),
    }
    const targets = results.map((r, i) =>
      atMost(
        `${r.id.split(':')[0]} @${events / 1e6}M`,
        5,
        r.ampkitMs,
        LIMITS_MS[i] ?? 0,
        (v) => `${fmt.count(v)} ms`,
      ),
    )
    return { tables: [table], targets, raw: { dataset, results } }
  },
}
