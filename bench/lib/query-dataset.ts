/**
 * @module The cached event stores of the query benchmarks: generating 10 million events takes minutes,
 * so each size is generated once into the system temp folder and reused while its marker matches.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateEvents } from './generate-events.ts'

/** Bumped when the generator's output changes, so stale caches are rebuilt. */
const GENERATOR_VERSION = 1

/** The directory of a generated store of `events` events (generated when missing or stale). */
export async function queryDataset(
  events: number,
  progress: (line: string) => void,
): Promise<{ dir: string; events: number; users: number }> {
  const dir = join(tmpdir(), `ampkit-bench-query-${events}`)
  const marker = join(dir, 'generated.json')
  if (existsSync(marker)) {
    const saved = JSON.parse(readFileSync(marker, 'utf8')) as {
      version: number
      events: number
      users: number
    }
    if (saved.version === GENERATOR_VERSION)
      return { dir, events: saved.events, users: saved.users }
  }
  progress(`generating ${events.toLocaleString('en-US')} events into ${dir} (once; cached) …`)
  const result = await generateEvents({ out: dir, events })
  writeFileSync(marker, JSON.stringify({ version: GENERATOR_VERSION, ...result }))
  return { dir, ...result }
}
