/** Creates clients wired to a test server with short timings, so failure paths run in milliseconds. */
import { type AmpkitClient, createInstance, LogLevel, type NodeOptions } from '../../src/index.ts'
import type { TestServer } from './test-server.ts'

export const API_KEY = 'test-key-7f3a9c21'

/** A client for `server`: 20 ms interval, 10–80 ms backoff, 1 s request deadline, no exit hooks. */
export function testClient(server: TestServer, options: NodeOptions = {}): AmpkitClient {
  const client = createInstance()
  client.init(API_KEY, {
    serverUrl: server.url,
    env: {},
    exitHooks: false,
    flushIntervalMillis: 20,
    retryBaseDelayMs: 10,
    retryMaxDelayMs: 80,
    requestTimeoutMillis: 1000,
    logLevel: LogLevel.None,
    ...options,
  })
  return client
}
