/**
 * @module Drives either drop-in SDK (ampkit or the official one) through the same calls, configured
 * the same way, so the burst compares the clients and nothing else.
 */
import type { BenchClient, BenchClientConfig } from './bench-client.ts'

/** The drop-in surface both SDKs share: the same calls configure and drive either. */
export interface DropInInstance {
  init(apiKey: string, options?: Record<string, unknown>): { promise: Promise<unknown> }
  track(
    eventType: string,
    eventProperties?: Record<string, unknown>,
    eventOptions?: Record<string, unknown>,
  ): unknown
  flush(): { promise: Promise<unknown> }
}

/**
 * Configures a drop-in client (ampkit or the official SDK) the one way the bench configures both:
 * `serverUrl`, `flushQueueSize` = batch size, the flush interval when given, then the scenario's
 * extra options; and drives it with the same `track`/`flush`. Only closing and stats differ.
 */
export async function driveDropInClient(
  client: DropInInstance,
  config: BenchClientConfig,
  own: Pick<BenchClient, 'close' | 'stats'>,
): Promise<BenchClient> {
  const options = {
    serverUrl: config.serverUrl,
    flushQueueSize: config.batchSize,
    ...(config.flushIntervalMs === undefined
      ? {}
      : { flushIntervalMillis: config.flushIntervalMs }),
    ...config.extraOptions,
  }
  await client.init(config.apiKey, options).promise
  return {
    describedConfig: { ...options, serverUrl: '<sink>' },
    track(event, extraProperties) {
      client.track(
        event.eventType,
        extraProperties === undefined
          ? event.properties
          : { ...event.properties, ...extraProperties },
        { user_id: event.userId, device_id: event.deviceId },
      )
    },
    async flush() {
      await client.flush().promise
    },
    close: own.close,
    stats: own.stats,
  }
}
