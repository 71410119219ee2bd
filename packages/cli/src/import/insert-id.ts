/**
 * @module Deterministic `insert_id`s for imported rows that have none: a hash of the event's
 * canonical JSON (keys sorted at every level, time already normalised to ms) and a namespace, so the
 * same row imported again (a re-run, a resumed run, the same dump under another name) carries the
 * same id and Amplitude de-duplicates it (it keeps one event per insert_id and device/user for 7
 * days). Two rows identical in every field are one event by this rule; a different `--namespace`
 * separates deliberate repeats.
 */
import { createHash } from 'node:crypto'

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.keys(value as object)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map(
      (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
    )
  return `{${entries.join(',')}}`
}

/** `imp-` + 32 hex digits (128 bits) of sha256(namespace, canonical event without insert_id). */
export function deriveInsertId(event: Record<string, unknown>, namespace: string): string {
  const { insert_id: _ignored, ...rest } = event
  const hash = createHash('sha256').update(namespace).update('\n').update(canonicalJson(rest))
  return `imp-${hash.digest('hex').slice(0, 32)}`
}
