/** Shared pieces of the funnel tests: building queries and running both engines on one store. */
import type { FunnelSeries, FunnelStepDistribution, WireEvent } from '@ampkit/protocol'
import type { FunnelQuery } from '../../../src/query/funnels/query.ts'
import { evaluateFunnelReference } from '../../../src/query/funnels/reference.ts'
import { funnelSeries } from '../../../src/query/funnels/result.ts'
import { runFunnelSql } from '../../../src/query/funnels/sql.ts'
import type { EventSelector, PropertyRef, Segment } from '../../../src/query/ir.ts'
import { rangeParams } from '../../../src/query/params.ts'
import { loadQueryEvents } from '../../../src/query/query-event.ts'
import { type DuckDbStore, openDuckDbStore } from '../../../src/store/duckdb-store.ts'

/** A step on an event type, with optional filters. */
export function step(eventType: string, filters: EventSelector['filters'] = []): EventSelector {
  return { eventType, filters, groupBy: [] }
}

/** Options of `funnelQuery`; everything but the steps has the API's default. */
export interface QueryOptions {
  mode?: FunnelQuery['mode']
  users?: FunnelQuery['users']
  cs?: number
  start?: string
  end?: string
  /** `i`. @default '1' */
  interval?: string
  timeZone?: string
  segments?: Segment[]
  groupBy?: PropertyRef
  limit?: number
}

export function funnelQuery(steps: EventSelector[], options: QueryOptions = {}): FunnelQuery {
  const url = new URL(
    `http://x/?start=${options.start ?? '20240701'}&end=${options.end ?? '20240701'}&i=${options.interval ?? '1'}`,
  )
  return {
    steps,
    mode: options.mode ?? 'ordered',
    users: options.users ?? 'active',
    conversionWindowSeconds: options.cs ?? 2_592_000,
    range: rangeParams(url, { timeZone: options.timeZone ?? 'UTC' }),
    segments: options.segments ?? [{ conditions: [] }],
    groupBy: options.groupBy,
    limit: options.limit ?? 100,
  }
}

/** The answer of the SQL engine (no cohorts). */
export async function sqlAnswer(
  store: DuckDbStore,
  query: FunnelQuery,
  projectId = 1,
): Promise<FunnelSeries[]> {
  return funnelSeries(query, await runFunnelSql(store, projectId, query, new Map()))
}

/** The answer of the reference evaluator over the same store. */
export async function referenceAnswer(
  store: DuckDbStore,
  query: FunnelQuery,
  projectId = 1,
): Promise<FunnelSeries[]> {
  const events = await loadQueryEvents(store, projectId)
  return funnelSeries(query, evaluateFunnelReference(query, events, new Map()))
}

/**
 * One in-memory store holding each dataset in its own project (1, 2, …): opening a DuckDB store is
 * the slow part of a property test, so the datasets share one.
 */
export async function storeWithDatasets(datasets: readonly WireEvent[][]): Promise<DuckDbStore> {
  const latest = Math.max(...datasets.flat().map((e) => e.time ?? 0))
  const store = await openDuckDbStore({ path: ':memory:', now: () => latest + 86_400_000 })
  for (const [index, events] of datasets.entries()) {
    const sorted = [...events].sort((a, b) => (a.time ?? 0) - (b.time ?? 0))
    await store.ingestEvents(sorted, {
      projectId: index + 1,
      receivedAtMs: latest + 86_400_000,
      path: '/batch',
    })
  }
  return store
}

/**
 * The non-empty bins of a histogram, per step, as `[start, end, uniques, sums]` (every bin of the
 * ladder is answered; the empty ones would only make the expectations long). Checks on the way that
 * `totals` equals `uniques` (uniques counting: one counted path per user).
 */
export function filledBins(
  distribution: FunnelStepDistribution | undefined,
): [number, number, number, number][][] {
  return (distribution?.step_bins ?? []).map((step) =>
    step.bins
      .filter((bin) => bin.bin_dist.uniques > 0)
      .map((bin) => {
        if (bin.bin_dist.totals !== bin.bin_dist.uniques) throw new Error('totals ≠ uniques')
        return [bin.start, bin.end, bin.bin_dist.uniques, bin.bin_dist.sums]
      }),
  )
}
