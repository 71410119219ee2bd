import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { context, exportedEvents, profileOf, tempDir } from './store-helpers.ts'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

const CHILD = fileURLToPath(new URL('./kill-child.ts', import.meta.url))

/** Runs the child until it prints "ok", then kills it with SIGKILL. */
function runAndKill(path: string, batches: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=ampkit-source', '--import', 'tsx', CHILD, path, String(batches)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ok')) child.kill('SIGKILL')
    })
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve()
      else reject(new Error(`child exited without being killed: ${stderr}`))
    })
  })
}

describe('durability', () => {
  it('keeps every acknowledged event and profile when the process is killed', async () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const path = join(dir, '.ampkit', 'ampkit.duckdb')
    await runAndKill(path, 5)

    const store = await openDuckDbStore({ path })
    const events = await exportedEvents(store)
    expect(events).toHaveLength(1000)
    expect(new Set(events.map((e) => e.$insert_id)).size).toBe(1000)
    // 5 batches × 10 events with `$add: {ticks: 1}` per user.
    expect((await profileOf(store, 'user-3-0000')).properties).toEqual({ ticks: 50 })
    expect((await profileOf(store, 'user-0-0000')).properties).toEqual({ ticks: 50, plan: 'pro' })
    expect(await store.groupProperties(1, 'org', 'acme')).toEqual({ tier: 'gold' })
    // The dedup set survived too: replaying a batch stores nothing.
    const replay = events.slice(0, 200).map((e) => ({
      event_type: e.event_type as string,
      device_id: e.device_id as string,
      insert_id: e.$insert_id as string,
    }))
    expect(await store.ingestEvents(replay, context(Date.now()))).toEqual({
      ingested: 0,
      duplicates: 200,
    })
    // Ids continue after the reopen instead of being handed out twice.
    await store.ingestEvents([{ event_type: 'new', user_id: 'user-new-0000' }], context(Date.now()))
    const ids = (await exportedEvents(store)).map((e) => e.amplitude_id)
    expect(new Set(ids).size).toBe(21)
    await store.close()
  })

  it('reopens a cleanly closed store with everything in place', async () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const path = join(dir, 'ampkit.duckdb')
    const first = await openDuckDbStore({ path })
    await first.ingestEvents(
      [
        { event_type: 'anon', device_id: 'device-0002' },
        { event_type: '$identify', user_id: 'user-00001', user_properties: { $set: { a: 1 } } },
        { event_type: 'login', user_id: 'user-00001', device_id: 'device-0002' },
      ],
      context(Date.now()),
    )
    await first.identify([{ user_id: 'user-00001', country: 'France' }], context(Date.now()))
    const before = await profileOf(first, 'user-00001')
    await first.close()
    await expect(first.searchUsers(1, 'user-00001')).rejects.toMatchObject({ code: 'STORE_CLOSED' })

    const second = await openDuckDbStore({ path })
    const after = await profileOf(second, 'user-00001')
    expect(after).toEqual(before)
    expect(after.merged_amplitude_ids).toHaveLength(1)
    expect(after.country).toBe('France')
    await second.ingestEvents(
      [{ event_type: 'again', device_id: 'device-0002' }],
      context(Date.now()),
    )
    const events = await exportedEvents(second)
    expect(events.at(-1)!.amplitude_id).toBe(after.canonical_amplitude_id)
    await second.close()
  })
})
