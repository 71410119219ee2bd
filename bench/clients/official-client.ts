/**
 * @module The official `@amplitude/analytics-node`, configured as documented for a Node server:
 * `serverUrl` pointed at the sink and `flushQueueSize` equal to the floor's batch size; every other
 * option at its default (HTTP V2 endpoint, `flushIntervalMillis` 10,000, `flushMaxRetries` 12,
 * `logLevel` Warn — its log lines are captured by the harness, not printed).
 */
import { createInstance } from '@amplitude/analytics-node'
import type { BenchClient, BenchClientConfig } from './bench-client.ts'
import { driveDropInClient } from './drop-in-client.ts'

export async function createOfficialClient(config: BenchClientConfig): Promise<BenchClient> {
  const client = createInstance()
  return driveDropInClient(client, config, {
    async close() {
      // The official SDK has no shutdown(): a last flush is all an application can do.
      await client.flush().promise
    },
    stats() {
      return undefined
    },
  })
}
