/** Shared fixtures of the store tests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DuckDbStore, openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { EVENT_SELECT_LIST, eventRowFromObject } from '../../src/store/event-row.ts'
import { type ExportRecord, toExportRecord } from '../../src/store/export-record.ts'
import type { IngestContext } from '../../src/store/store.ts'

export const T0 = Date.UTC(2024, 6, 14, 10, 0, 0)

/** A manual clock starting at `T0`. */
export function manualClock(startMs = T0) {
  let nowMs = startMs
  return {
    now: () => nowMs,
    advance(ms: number) {
      nowMs += ms
    },
    set(ms: number) {
      nowMs = ms
    },
  }
}

/** A request context for project 1 on `/batch`, received at `receivedAtMs`. */
export function context(receivedAtMs = T0, extra: Partial<IngestContext> = {}): IngestContext {
  return { projectId: 1, receivedAtMs, path: '/batch', sourceIp: '203.0.113.7', ...extra }
}

/** Every stored event of the store as export records, in append order. */
export async function exportedEvents(store: DuckDbStore, where = 'true'): Promise<ExportRecord[]> {
  return store.read(async (c) => {
    const reader = await c.runAndReadAll(
      `SELECT ${EVENT_SELECT_LIST} FROM events WHERE ${where} ORDER BY seq`,
    )
    return reader.getRowObjectsJS().map((r) => toExportRecord(eventRowFromObject(r)))
  })
}

/** A temp directory removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ampkit-store-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Opens an in-memory store with a manual clock and counting UUIDs. */
export async function memoryStore(clock = manualClock()) {
  let n = 0
  const store = await openDuckDbStore({
    path: ':memory:',
    now: clock.now,
    randomUUID: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  })
  return { store, clock }
}

/** The current profile (`userData` of user activity) of a user id in project 1. */
export async function profileOf(
  store: DuckDbStore,
  userId: string,
  projectId = 1,
): Promise<Record<string, unknown>> {
  const search = await store.searchUsers(projectId, userId)
  const match = search.matches.find((m) => m.user_id === userId)
  if (match === undefined) throw new Error(`no user ${userId}`)
  const activity = await store.userActivity(projectId, {
    amplitudeId: match.amplitude_id,
    offset: 0,
    limit: 1000,
    direction: 'latest',
  })
  return activity!.userData
}
