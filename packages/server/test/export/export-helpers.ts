/** Shared pieces of the export tests: requests, archive reading, a store that counts open reads. */
import type { ServerApp } from '../../src/app.ts'
import type { SqlValue, Store } from '../../src/store/store.ts'
import { basicAuth, ORIGIN, PROJECT, postJson } from '../helpers/app-fixture.ts'
import { recordsByEntry } from './zip-reader.ts'

/** `GET /api/2/export` of PROJECT (or with the given Authorization header). */
export function exportRequest(
  query: Record<string, string>,
  authorization: string | null = basicAuth(PROJECT.apiKey, PROJECT.secretKey),
): Request {
  const headers: Record<string, string> = {}
  if (authorization !== null) headers.authorization = authorization
  return new Request(`${ORIGIN}/api/2/export?${new URLSearchParams(query)}`, { headers })
}

/** Exports PROJECT's hours `start`..`end` and returns the archive's records per entry. */
export async function exportEntries(
  app: ServerApp,
  start: string,
  end: string,
): Promise<Array<{ name: string; records: Array<Record<string, unknown>> }>> {
  const response = await app.handle(exportRequest({ start, end }))
  if (response.status !== 200) throw new Error(`export answered ${response.status}`)
  const bytes = Buffer.from(await response.arrayBuffer())
  return recordsByEntry(bytes) as Array<{ name: string; records: Array<Record<string, unknown>> }>
}

/** Sends events to `/2/httpapi` as PROJECT; fails the test on anything but 200. */
export async function send(app: ServerApp, events: Array<Record<string, unknown>>): Promise<void> {
  const response = await app.handle(postJson('/2/httpapi', { api_key: PROJECT.apiKey, events }))
  if (response.status !== 200)
    throw new Error(`upload answered ${response.status}: ${await response.text()}`)
}

/** What `countingStore` adds: reads started, and reads still open. */
export interface ReadCounts {
  startedReads: () => number
  openReads: () => number
}

/** A store that forwards everything and counts its streaming reads (`streamRows`, `streamKeyedBlobs`). */
export function countingStore<S extends Store>(inner: S): S & ReadCounts {
  let open = 0
  let started = 0
  const counted =
    <T>(read: (sql: string, params?: readonly SqlValue[]) => AsyncIterable<T>) =>
    (sql: string, params?: readonly SqlValue[]) => {
      const source = read(sql, params)
      return {
        async *[Symbol.asyncIterator]() {
          started += 1
          open += 1
          try {
            yield* source
          } finally {
            open -= 1
          }
        },
      }
    }
  const streamRows = counted((sql, params) => inner.streamRows(sql, params))
  const streamKeyedBlobs = counted((sql, params) => inner.streamKeyedBlobs(sql, params))
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'streamRows') return streamRows
      if (property === 'streamKeyedBlobs') return streamKeyedBlobs
      if (property === 'openReads') return () => open
      if (property === 'startedReads') return () => started
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as S & ReadCounts
}
