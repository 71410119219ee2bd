/**
 * @module Id lists for the commands that take many ids (`cohorts upload --ids-file`,
 * `delete-users request --ids-file`): one id per line of a file, or of standard input for `-`;
 * blank lines are skipped, surrounding spaces trimmed.
 */
import { createReadStream } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

/** The ids of `path` (relative to `cwd`), or of `stdin` when `path` is `-`. */
export async function readIdList(
  path: string,
  cwd: string,
  stdin: Readable = process.stdin,
): Promise<string[]> {
  const input = path === '-' ? stdin : createReadStream(resolve(cwd, path))
  const ids: string[] = []
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    const id = line.trim()
    if (id !== '') ids.push(id)
  }
  return ids
}
