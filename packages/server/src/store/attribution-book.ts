/**
 * @module Attribution matching (ingestion-api.md §4 "Attribution"): an Attribution API event names
 * a device by its advertising ids (`idfa`/`idfv` on iOS, `adid`/`android_app_set_id` on Android).
 * When a user was seen with one of those ids, the attribution's user properties are applied to that
 * user and the event joins the user's timeline marked `is_attribution_event`; otherwise it is held
 * and applied when an event with a matching id arrives, and dropped 72 hours after it was received.
 *
 * Pure state, like the profile book: which user each advertising id last belonged to, and the held
 * attributions. Both are rebuilt from DuckDB at open (`advertising_ids`, `attributions`), and every
 * change is written in the transaction of the request that caused it, so holding survives restarts.
 *
 * Unconfirmed choices:
 * - An id names the user most recently seen with it (as a device id does).
 * - A placeholder id (the all-zero IDFA of limited ad tracking, or any value on Amplitude's invalid
 *   id list) never matches: it would tie every such device together.
 * - `android_id` is not matched: the doc names it optional, and only the four ids above identify.
 * - A held attribution is applied once, to the first user matched.
 */
import { isInvalidIdValue, type WireEvent } from '@ampkit/protocol'
import type { SqlStatement } from './store.ts'

/** How long an attribution that matched no user is held, in ms (72 hours, §4). */
export const ATTRIBUTION_HOLD_MS = 72 * 3_600_000

/** Most attributions held at once; beyond it the oldest held one is dropped. */
export const MAX_HELD_ATTRIBUTIONS = 100_000

/** Event fields that carry an advertising id, in matching order. */
export const ADVERTISING_ID_FIELDS = ['idfa', 'idfv', 'adid', 'android_app_set_id'] as const

export type AdvertisingIdField = (typeof ADVERTISING_ID_FIELDS)[number]

/** An attribution received, held or applied. */
export interface ReceivedAttribution {
  /** The attribution's id; also the `uuid` of its row in `events` once applied. */
  uuid: string
  projectId: number
  receivedMs: number
  sourceIp: string | null
  event: WireEvent
}

/** The `attributions` log: one row when received (`held` or `applied`), one more when applied. */
export type AttributionStatus = 'held' | 'applied'

const SEP = '\u0000'

function idKey(projectId: number, field: string, value: string): string {
  return `${projectId}${SEP}${field}${SEP}${value}`
}

/** The advertising ids of an event that may match, as `[field, value]` pairs. */
export function advertisingIdsOf(event: WireEvent): [AdvertisingIdField, string][] {
  const out: [AdvertisingIdField, string][] = []
  for (const field of ADVERTISING_ID_FIELDS) {
    const value = event[field]
    if (typeof value === 'string' && !isInvalidIdValue(value)) out.push([field, value])
  }
  return out
}

/** True when an event carries any advertising id field (the cheap test of the ingest hot path). */
export function hasAdvertisingIdField(event: WireEvent): boolean {
  return (
    event.idfa !== undefined ||
    event.idfv !== undefined ||
    event.adid !== undefined ||
    event.android_app_set_id !== undefined
  )
}

/** Advertising id → user, and the held attributions, with their pending rows. */
export class AttributionBook {
  readonly #users = new Map<string, number>()
  /** Held attributions by id key; an attribution with several ids is under each. */
  readonly #heldByKey = new Map<string, ReceivedAttribution[]>()
  /** Held attributions in the order they were held (the oldest first). */
  readonly #held = new Map<string, ReceivedAttribution>()
  #nextVersion = 1
  #idRows: unknown[][] = []
  #logRows: unknown[][] = []

  /** Attributions held now. */
  get heldCount(): number {
    return this.#held.size
  }

  // ---- loading (marks nothing to write) ----

  loadAdvertisingId(
    projectId: number,
    field: string,
    value: string,
    amplitudeId: number,
    version: number,
  ) {
    this.#users.set(idKey(projectId, field, value), amplitudeId)
    this.#nextVersion = Math.max(this.#nextVersion, version + 1)
  }

  loadHeld(attribution: ReceivedAttribution): void {
    this.#addHeld(attribution)
  }

  // ---- matching ----

  /** The Amplitude id last seen with one of the event's advertising ids, in field order. */
  userOf(projectId: number, event: WireEvent): number | undefined {
    for (const [field, value] of advertisingIdsOf(event)) {
      const amplitudeId = this.#users.get(idKey(projectId, field, value))
      if (amplitudeId !== undefined) return amplitudeId
    }
    return undefined
  }

  /** Records that the event's advertising ids belong to `amplitudeId` now. */
  noteUser(projectId: number, event: WireEvent, amplitudeId: number): void {
    for (const [field, value] of advertisingIdsOf(event)) {
      const key = idKey(projectId, field, value)
      if (this.#users.get(key) === amplitudeId) continue
      this.#users.set(key, amplitudeId)
      this.#idRows.push([projectId, field, value, amplitudeId, this.#nextVersion++])
    }
  }

  /**
   * Removes and returns the held attributions of the project that share an advertising id with
   * the event and are less than 72 hours old at `nowMs`; expired ones met on the way are dropped.
   */
  takeMatching(projectId: number, event: WireEvent, nowMs: number): ReceivedAttribution[] {
    if (this.#held.size === 0) return []
    let out: ReceivedAttribution[] | undefined
    for (const [field, value] of advertisingIdsOf(event)) {
      const list = this.#heldByKey.get(idKey(projectId, field, value))
      if (list === undefined) continue
      for (const attribution of [...list]) {
        this.#removeHeld(attribution)
        if (nowMs - attribution.receivedMs >= ATTRIBUTION_HOLD_MS) continue
        out ??= []
        out.push(attribution)
      }
    }
    return out ?? []
  }

  /** Holds an attribution that matched no user, dropping expired and surplus ones first. */
  hold(attribution: ReceivedAttribution, nowMs: number): void {
    this.dropExpired(nowMs)
    while (this.#held.size >= MAX_HELD_ATTRIBUTIONS) {
      const oldest = this.#held.values().next()
      if (oldest.done) break
      this.#removeHeld(oldest.value)
    }
    this.#addHeld(attribution)
    this.#logRows.push(logRow(attribution, 'held', null, true))
  }

  /** Records an attribution applied to `amplitudeId` (when received, or later from the hold). */
  applied(attribution: ReceivedAttribution, amplitudeId: number, whenReceived: boolean): void {
    this.#logRows.push(logRow(attribution, 'applied', amplitudeId, whenReceived))
  }

  /** Drops held attributions received 72 hours or more before `nowMs`. */
  dropExpired(nowMs: number): void {
    for (const attribution of this.#held.values()) {
      // Held in receipt order (the store's writes are ordered), so the first young one ends it.
      if (nowMs - attribution.receivedMs < ATTRIBUTION_HOLD_MS) break
      this.#removeHeld(attribution)
    }
  }

  /** Returns and clears the rows to write: `advertising_ids` and `attributions`. */
  takeChanges(): { advertisingIds: unknown[][]; attributions: unknown[][] } {
    const changes = { advertisingIds: this.#idRows, attributions: this.#logRows }
    this.#idRows = []
    this.#logRows = []
    return changes
  }

  #addHeld(attribution: ReceivedAttribution): void {
    this.#held.set(attribution.uuid, attribution)
    for (const [field, value] of advertisingIdsOf(attribution.event)) {
      const key = idKey(attribution.projectId, field, value)
      const list = this.#heldByKey.get(key)
      if (list === undefined) this.#heldByKey.set(key, [attribution])
      else list.push(attribution)
    }
  }

  #removeHeld(attribution: ReceivedAttribution): void {
    this.#held.delete(attribution.uuid)
    for (const [field, value] of advertisingIdsOf(attribution.event)) {
      const key = idKey(attribution.projectId, field, value)
      const list = this.#heldByKey.get(key)
      if (list === undefined) continue
      const rest = list.filter((a) => a !== attribution)
      if (rest.length === 0) this.#heldByKey.delete(key)
      else this.#heldByKey.set(key, rest)
    }
  }
}

/**
 * A row of the `attributions` log (columns of `ATTRIBUTION_COLUMNS`). The event is kept with the
 * row written when it was received; the row of a later application only names the user.
 */
function logRow(
  attribution: ReceivedAttribution,
  status: AttributionStatus,
  amplitudeId: number | null,
  withEvent: boolean,
): unknown[] {
  return [
    attribution.projectId,
    attribution.receivedMs,
    '/attribution',
    attribution.sourceIp,
    withEvent ? JSON.stringify(attribution.event) : null,
    attribution.uuid,
    status,
    amplitudeId,
  ]
}

/**
 * Columns the `attributions` table gained with matching (its first five columns are the raw log
 * it always was). Rows from before have no status: they were never matched and are not held.
 */
export const ATTRIBUTION_ADDED_COLUMNS = [
  ['uuid', 'VARCHAR'],
  ['status', 'VARCHAR'],
  ['amplitude_id', 'BIGINT'],
] as const

/** Held attributions younger than the hold at `nowMs` (SQL with one `?`: the oldest receipt time). */
export const HELD_ATTRIBUTIONS_SQL = `SELECT project_id, received_ms::DOUBLE AS received_ms,
    source_ip, event, uuid
  FROM attributions a
  WHERE status = 'held' AND received_ms > ?
    AND NOT EXISTS (SELECT 1 FROM attributions b WHERE b.uuid = a.uuid AND b.status = 'applied')
  ORDER BY received_ms DESC, uuid
  LIMIT ${MAX_HELD_ATTRIBUTIONS}`

/**
 * At open: drop what the hold has given up, attributions received 72 hours or more ago and never
 * applied (one `?`: the oldest receipt time still held).
 */
export function expiredAttributionStatements(oldestHeldMs: number): SqlStatement[] {
  return [
    {
      sql: `DELETE FROM attributions a WHERE status = 'held' AND received_ms <= ?
        AND NOT EXISTS (SELECT 1 FROM attributions b WHERE b.uuid = a.uuid AND b.status = 'applied')`,
      params: [oldestHeldMs],
    },
  ]
}
