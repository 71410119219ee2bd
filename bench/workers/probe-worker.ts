/**
 * @module Worker: can `specifier` be imported here, and does it export `exportName`?
 */
import { finishWorker, workerInput } from '../lib/child.ts'

const { specifier, exportName } = workerInput<{ specifier: string; exportName: string }>()
try {
  const module = (await import(specifier)) as Record<string, unknown>
  finishWorker(
    exportName in module
      ? { ok: true }
      : { ok: false, reason: `${specifier} does not export ${exportName} yet` },
  )
} catch (error) {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
  finishWorker({ ok: false, reason: `${specifier} cannot be imported: ${message}` })
}
