/**
 * Cohort download files on disk (query-api.md §4.2): a cohort far larger than one DuckDB chunk of
 * rows and than the inline limit is written to a file as it streams out of the database, served
 * over real HTTP as a stream with its length, kept for its job's lifetime, and deleted when the job
 * expires, at close, and (leftovers of an earlier run) at start.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WireEvent } from '@ampkit/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { TEMP_DIR_PREFIX } from '../../src/cohorts/cohort-files.ts'
import { listen } from '../../src/listen.ts'
import { PROJECT, testApp } from '../helpers/app-fixture.ts'
import { AUTH, authed, awaitJob, call } from './requests.ts'

const NOW = Date.UTC(2024, 6, 14, 12, 0, 0)
const DAY = 86_400_000
/** Members: many DuckDB chunks (2,048 rows each) and well past the 1 MiB inline limit. */
const MEMBERS = 30_000

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ampkit-cohort-test-'))
  dirs.push(dir)
  return dir
}

function userId(i: number): string {
  return `member-${String(i).padStart(6, '0')}`
}

/** An app with `count` users (one event each, user properties each) and a static cohort of all. */
async function appWithBigCohort(fileDir: string | undefined, now: () => number, count = MEMBERS) {
  const fixture = await testApp({
    now,
    cohorts: { ...(fileDir !== undefined && { fileDir }), fileLinkTtlMs: 60_000 },
  })
  const events: WireEvent[] = Array.from({ length: count }, (_, i) => ({
    event_type: 'Signup',
    user_id: userId(i),
    device_id: `device-${i}`,
    time: NOW - DAY + i,
    insert_id: `signup-${i}`,
    user_properties: { rank: i, note: i % 2 === 0 ? 'even, "quoted"' : 'odd' },
  }))
  await fixture.store.ingestEvents(events, {
    projectId: PROJECT.id,
    receivedAtMs: NOW,
    path: '/batch',
  })
  const created = await call(
    fixture.app,
    authed('POST', '/api/3/cohorts/upload', {
      name: 'Everyone',
      app_id: PROJECT.id,
      id_type: 'BY_USER_ID',
      ids: events.map((e) => e.user_id),
      owner: 'me@example.com',
      published: true,
    }),
  )
  expect(created.body.metadata.totals).toBe(count)
  return { ...fixture, cohortId: created.body.cohortId as string }
}

async function csvFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.csv'))
}

describe('cohort download files', () => {
  it(`streams a ${MEMBERS}-member cohort from disk over HTTP with its Content-Length, row for row`, async () => {
    const dir = await tempDir()
    // A leftover of an earlier run, and a file that is not ours, in the directory before start.
    await writeFile(join(dir, 'cohort-0123456789abcdef01234567.csv'), 'stale')
    await writeFile(join(dir, 'notes.txt'), 'keep me')
    const { app, cohortId } = await appWithBigCohort(dir, () => NOW)
    const server = await listen(app, { port: 0 })
    try {
      const headers = { authorization: AUTH }
      const requested = await fetch(`${server.url}/api/5/cohorts/request/${cohortId}?props=1`, {
        headers,
      })
      expect(requested.status).toBe(202)
      const { request_id: requestId } = (await requested.json()) as { request_id: string }
      await awaitJob(app, requestId)

      // The leftover is gone, the foreign file kept; the job's file is on disk.
      expect(await csvFiles(dir)).toEqual([`cohort-${requestId}.csv`])
      expect(existsSync(join(dir, 'notes.txt'))).toBe(true)
      const onDisk = (await stat(join(dir, `cohort-${requestId}.csv`))).size

      const file = await fetch(`${server.url}/api/5/cohorts/request/${requestId}/file`, {
        headers,
        redirect: 'manual',
      })
      // Past the 1 MiB inline limit: a one-time link, followed here as the SDK does.
      expect(file.status).toBe(302)
      const link = await fetch(file.headers.get('location') as string)
      expect(link.status).toBe(200)
      expect(link.headers.get('content-length')).toBe(String(onDisk))
      const body = Buffer.from(await link.arrayBuffer())
      expect(body.byteLength).toBe(onDisk)
      expect(onDisk).toBeGreaterThan(1 << 20)

      const lines = body.toString('utf8').split('\r\n')
      expect(lines.pop()).toBe('')
      expect(lines[0]).toBe('\tamplitude_id,\tuser_id,\tdevice_ids,\tnote,\trank')
      expect(lines).toHaveLength(MEMBERS + 1)
      // Ids ascend with ingestion order here, so row i is member i.
      const ids = lines.slice(1).map((line) => Number(line.split(',')[0]))
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
      expect(lines[1]).toMatch(/^\d+,\tmember-000000,\tdevice-0,"\teven, ""quoted""",0$/)
      expect(lines[MEMBERS]).toMatch(/^\d+,\tmember-029999,\tdevice-29999,\todd,29999$/)

      // Fetching does not delete it: /file stays valid for the job's lifetime.
      expect(await csvFiles(dir)).toEqual([`cohort-${requestId}.csv`])
    } finally {
      await server.close()
    }
    // Closing the app deletes its files (and only its files).
    expect(await csvFiles(dir)).toEqual([])
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true)
  }, 60_000)

  it('deletes the file when its job expires and then answers 404', async () => {
    const dir = await tempDir()
    let nowMs = NOW
    const { app, cohortId } = await appWithBigCohort(dir, () => nowMs, 3000)
    const requested = await call(app, authed('GET', `/api/5/cohorts/request/${cohortId}`))
    const requestId = requested.body.request_id as string
    await awaitJob(app, requestId)
    expect(await csvFiles(dir)).toHaveLength(1)
    nowMs += 7 * DAY
    const expired = await call(app, authed('GET', `/api/5/cohorts/request/${requestId}/file`))
    expect(expired.status).toBe(404)
    await expect.poll(() => csvFiles(dir)).toEqual([])
  }, 60_000)

  it('deletes an expired file without any request coming to sweep it', async () => {
    const dir = await tempDir()
    let nowMs = NOW
    const fixture = await testApp({ now: () => nowMs, cohorts: { fileDir: dir, jobTtlMs: 1000 } })
    await fixture.store.ingestEvents(
      [{ event_type: 'Signup', user_id: 'solo', device_id: 'd-solo', time: NOW - DAY }],
      { projectId: PROJECT.id, receivedAtMs: NOW, path: '/batch' },
    )
    const created = await call(
      fixture.app,
      authed('POST', '/api/3/cohorts/upload', {
        name: 'Solo',
        app_id: PROJECT.id,
        id_type: 'BY_USER_ID',
        ids: ['solo'],
        owner: 'me@example.com',
        published: true,
      }),
    )
    const requested = await call(
      fixture.app,
      authed('GET', `/api/5/cohorts/request/${created.body.cohortId}`),
    )
    await awaitJob(fixture.app, requested.body.request_id)
    expect(await csvFiles(dir)).toHaveLength(1)
    // The job's second passes on the app's clock; the app's own sweep (every second here) finds it.
    nowMs += 1000
    await expect.poll(() => csvFiles(dir), { timeout: 10_000 }).toEqual([])
  })

  it('keeps files under a directory of its own in os.tmpdir() without a fileDir, removed at close, and removes those of ended processes', async () => {
    // A directory left by a process that no longer exists (pids never reach this high).
    const stale = join(tmpdir(), `${TEMP_DIR_PREFIX}999999999-test`)
    await mkdir(stale, { recursive: true })
    await writeFile(join(stale, 'cohort-ab.csv'), 'stale')
    const own = () =>
      readdir(tmpdir()).then((names) =>
        names.filter((n) => n.startsWith(`${TEMP_DIR_PREFIX}${process.pid}-`)),
      )
    const before = new Set(await own())
    const { app, cohortId } = await appWithBigCohort(undefined, () => NOW, 3000)
    const requested = await call(app, authed('GET', `/api/5/cohorts/request/${cohortId}`))
    await awaitJob(app, requested.body.request_id)
    const created = (await own()).filter((name) => !before.has(name))
    expect(created).toHaveLength(1)
    expect(await csvFiles(join(tmpdir(), created[0] as string))).toHaveLength(1)
    expect(existsSync(stale)).toBe(false)
    await app.close()
    expect(existsSync(join(tmpdir(), created[0] as string))).toBe(false)
  }, 60_000)
})
