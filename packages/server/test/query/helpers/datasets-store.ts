/**
 * Many small random datasets in one in-memory store, dataset k in project k + 1, so a property test
 * of 30–60 datasets opens DuckDB once instead of once per dataset.
 */
import type { WireEvent } from '@ampkit/protocol'
import { type DuckDbStore, openDuckDbStore } from '../../../src/store/duckdb-store.ts'
import { DATASET_START_MS } from './random-dataset.ts'

const DAY_MS = 86_400_000

/** Opens a store holding `datasets[k]` in project `k + 1` (each sorted by time, as SDKs send). */
export async function storeWithDatasets(
  datasets: readonly (readonly WireEvent[])[],
  nowMs?: number,
): Promise<DuckDbStore> {
  const latest = Math.max(DATASET_START_MS, ...datasets.flat().map((e) => e.time ?? 0))
  const store = await openDuckDbStore({ path: ':memory:', now: () => nowMs ?? latest + DAY_MS })
  for (const [index, events] of datasets.entries()) {
    const sorted = [...events].sort((a, b) => (a.time ?? 0) - (b.time ?? 0))
    await store.ingestEvents(sorted, {
      projectId: index + 1,
      receivedAtMs: nowMs ?? latest + DAY_MS,
      path: '/batch',
    })
  }
  return store
}
