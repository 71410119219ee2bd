/**
 * @module Sends one event through a tracking client and reports the server's verdict: what
 * `ampkit send` and `ampkit identify` print. The key is never part of the report.
 */
import type { AmpkitClient, TrackHandle } from '@ampkit/node'

/** The outcome of one event. */
export interface DeliveryReport {
  event_type: string
  insert_id: string | undefined
  code: number
  message: string
  reason?: string
  delivered: boolean
}

/** Flushes, waits for the event's result, shuts the client down and reports. */
export async function deliverOne(
  client: AmpkitClient,
  eventType: string,
  handle: TrackHandle,
): Promise<DeliveryReport> {
  const promise = handle.promise
  client.flush()
  const result = await promise
  await client.shutdown({ timeoutMs: 10_000 })
  return {
    event_type: eventType,
    insert_id: handle.insertId,
    code: result.code,
    message: result.message,
    ...(result.reason !== undefined && { reason: result.reason }),
    delivered: result.code >= 200 && result.code < 300,
  }
}

/** One line for a person. */
export function describeDelivery(report: DeliveryReport): string {
  const verdict = report.delivered
    ? `delivered (${report.code})`
    : `failed: ${report.code} ${report.message}${report.reason ? ` (${report.reason})` : ''}`
  return `${report.event_type} insert_id=${report.insert_id ?? '-'} ${verdict}`
}
