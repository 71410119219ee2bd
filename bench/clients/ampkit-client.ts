/**
 * @module `@ampkit/node`, configured exactly like the official SDK (same `serverUrl`, same
 * `flushQueueSize`), everything else at its defaults unless a scenario passes extra options.
 *
 * The package is typed here structurally (the drop-in surface plus `shutdown`/`stats`) and imported
 * dynamically, so that the harness typechecks and its other scenarios run while the client package is
 * still being built.
 */
import type { BenchClient, BenchClientConfig } from './bench-client.ts'
import { driveDropInClient } from './drop-in-client.ts'

interface Thenable {
  promise: Promise<unknown>
}

/** The surface of an `@ampkit/node` instance the bench uses. */
export interface AmpkitInstance {
  init(apiKey: string, options?: Record<string, unknown>): Thenable
  track(
    eventType: string,
    eventProperties?: Record<string, unknown>,
    eventOptions?: Record<string, unknown>,
  ): Thenable
  flush(): Thenable
  shutdown(options?: { timeoutMs?: number }): Thenable | Promise<unknown>
  stats(): unknown
}

interface AmpkitModule {
  createInstance(): AmpkitInstance
}

/** Imports `@ampkit/node`, or says why it cannot (not built yet, not written yet). */
export async function loadAmpkit(): Promise<AmpkitModule> {
  const specifier = '@ampkit/node'
  const module = (await import(specifier)) as Partial<AmpkitModule>
  if (typeof module.createInstance !== 'function') {
    throw new Error('@ampkit/node does not export createInstance() yet')
  }
  return module as AmpkitModule
}

async function settle(value: Thenable | Promise<unknown>): Promise<unknown> {
  return 'promise' in value ? value.promise : value
}

export async function createAmpkitClient(config: BenchClientConfig): Promise<BenchClient> {
  const { createInstance } = await loadAmpkit()
  const client = createInstance()
  return driveDropInClient(client, config, {
    async close(timeoutMs) {
      await settle(client.shutdown({ timeoutMs }))
    },
    stats() {
      return client.stats()
    },
  })
}
