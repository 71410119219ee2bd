/**
 * @module Whether a package of the monorepo can be used yet: probed in a child process with the same
 * resolution the workers use (dist by default, sources under `BENCH_SOURCE=1`), so that a half-built
 * package skips its scenario with a reason instead of failing the whole run.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fromSource, repoRoot, runChild } from './child.ts'

const cache = new Map<string, Promise<string | undefined>>()

/** `undefined` when `specifier` imports and exports `exportName`; otherwise the reason it does not. */
export function probeExport(specifier: string, exportName: string): Promise<string | undefined> {
  const key = `${specifier}#${exportName}`
  let probe = cache.get(key)
  if (probe === undefined) {
    probe = runChild<{ ok: boolean; reason?: string }>(
      'workers/probe-worker.ts',
      { specifier, exportName },
      { timeoutMs: 60_000 },
    ).done.then((outcome) =>
      outcome.result?.ok === true
        ? undefined
        : (outcome.result?.reason ?? `probe failed: ${outcome.outputTail.slice(-300)}`),
    )
    cache.set(key, probe)
  }
  return probe
}

/** The CLI entry the server scenario starts: built `dist/main.js`, or the TypeScript source. */
export function cliEntry(): string | undefined {
  const candidates = fromSource
    ? ['packages/cli/src/main.ts', 'packages/cli/dist/main.js']
    : ['packages/cli/dist/main.js', 'packages/cli/src/main.ts']
  for (const candidate of candidates) {
    const path = join(repoRoot, candidate)
    if (existsSync(path)) return path
  }
  return undefined
}
