/**
 * @module Worker: the Dashboard REST targets of issue 5 on a generated store. Each query runs through
 * the local server's real route (`createServerApp(...).handle`, in-process: JSON in and out, no
 * socket) and, beside it, as hand-written DuckDB SQL on the same table through the same store. One
 * warm-up, then the median of `runs` timings of each.
 */
import { createServerApp, openDuckDbStore } from '@ampkit/server'
import { failWorker, finishWorker, workerInput } from '../lib/child.ts'
import { GENERATED_PROJECT } from '../lib/generate-events.ts'

export interface QueryCase {
  id: string
  /** Path and query string of the ampkit route. */
  url: string
  /** The baseline. */
  handSql: string
}

export interface QueryWorkerInput {
  dbPath: string
  cases: QueryCase[]
  runs: number
}

export interface QueryCaseResult {
  id: string
  /** Median ms through the route, or undefined when the route failed. */
  ampkitMs: number | undefined
  handMs: number
  status: number
  /** Error text when the route did not answer 200. */
  error?: string
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

try {
  const input = workerInput<QueryWorkerInput>()
  const store = await openDuckDbStore({ path: input.dbPath, memoryLimit: '4GB' })
  const app = createServerApp({ store, projects: [GENERATED_PROJECT], rateLimits: false })
  const auth = `Basic ${Buffer.from(`${GENERATED_PROJECT.apiKey}:${GENERATED_PROJECT.secretKey}`).toString('base64')}`
  const results: QueryCaseResult[] = []
  for (const c of input.cases) {
    const call = async () => {
      const response = await app.handle(
        new Request(`http://127.0.0.1${c.url}`, { headers: { authorization: auth } }),
      )
      const text = await response.text()
      return { status: response.status, text }
    }
    const first = await call()
    await store.selectRows(c.handSql)
    if (first.status !== 200) {
      results.push({
        id: c.id,
        ampkitMs: undefined,
        handMs: median([await timed(() => store.selectRows(c.handSql))]),
        status: first.status,
        error: first.text.slice(0, 300),
      })
      continue
    }
    const ours: number[] = []
    const hand: number[] = []
    for (let run = 0; run < input.runs; run++) {
      ours.push(await timed(call))
      hand.push(await timed(() => store.selectRows(c.handSql)))
    }
    results.push({ id: c.id, ampkitMs: median(ours), handMs: median(hand), status: 200 })
  }
  await app.close()
  finishWorker({ results })
} catch (error) {
  failWorker(error)
}
