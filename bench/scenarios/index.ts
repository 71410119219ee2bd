/**
 * @module Every section of `npm run bench`, in run order. Add a scenario by writing one module that
 * implements `Scenario` and listing it here; `pending(...)` entries mark the sections later issues will
 * fill in (issue 4: the outbox; issue 7: import/export).
 */
import { burstScenario } from './burst.ts'
import { exportScenario } from './export.ts'
import { importScenario } from './import.ts'
import { memoryScenario } from './memory.ts'
import { outageScenario } from './outage.ts'
import { outboxScenario } from './outbox.ts'
import { queryScenario } from './query.ts'
import type { Scenario } from './scenario.ts'
import { serverIngestScenario } from './server-ingest.ts'
import { taxonomyScenario } from './taxonomy.ts'

export const scenarios: readonly Scenario[] = [
  burstScenario,
  memoryScenario,
  outageScenario,
  serverIngestScenario,
  taxonomyScenario,
  outboxScenario,
  importScenario,
  queryScenario,
  exportScenario,
]
