/**
 * @module The raw floor: the least work that delivers the same events. Builds plain event objects,
 * `JSON.stringify`s 1,000-event batches and POSTs them with at most 4 requests in flight over fetch
 * (undici, keep-alive). No validation, no gzip, no per-event promise; a failed request is simply
 * re-queued. It stands for "what the transport costs", the bar ampkit is measured against.
 */
import { randomUUID } from 'node:crypto'
import type { BenchClient, BenchClientConfig } from './bench-client.ts'

const maxInFlight = 4

export function createFloorClient(config: BenchClientConfig): BenchClient {
  let current: Record<string, unknown>[] = []
  const ready: Record<string, unknown>[][] = []
  let inFlight = 0
  let sentRequests = 0
  let failedRequests = 0
  let idleWaiters: (() => void)[] = []

  const settleIfIdle = (): void => {
    if (inFlight === 0 && ready.length === 0) {
      const waiters = idleWaiters
      idleWaiters = []
      for (const resolve of waiters) resolve()
    }
  }

  const send = async (events: Record<string, unknown>[]): Promise<void> => {
    const body = JSON.stringify({ api_key: config.apiKey, events })
    try {
      const response = await fetch(config.serverUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      })
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`status ${response.status}`)
      sentRequests++
    } catch {
      failedRequests++
      ready.push(events)
    }
  }

  const pump = (): void => {
    while (inFlight < maxInFlight && ready.length > 0) {
      const events = ready.shift()!
      inFlight++
      send(events).finally(() => {
        inFlight--
        pump()
        settleIfIdle()
      })
    }
  }

  return {
    describedConfig: { batchSize: config.batchSize, maxInFlight, transport: 'fetch (undici)' },
    track(event, extraProperties) {
      current.push({
        event_type: event.eventType,
        user_id: event.userId,
        device_id: event.deviceId,
        time: Date.now(),
        insert_id: randomUUID(),
        event_properties:
          extraProperties === undefined
            ? event.properties
            : { ...event.properties, ...extraProperties },
      })
      if (current.length >= config.batchSize) {
        ready.push(current)
        current = []
        pump()
      }
    },
    flush() {
      if (current.length > 0) {
        ready.push(current)
        current = []
      }
      pump()
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        settleIfIdle()
      })
    },
    async close() {
      await this.flush()
    },
    stats() {
      return { sentRequests, failedRequests }
    },
  }
}
