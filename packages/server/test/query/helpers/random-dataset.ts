/**
 * Seeded random datasets for the property tests of the query engines: small sets of users with
 * skewed event types, array/number/string/boolean properties, sessions and times spread over a few
 * days, ingested through the real store so the SQL side reads exactly what the server would hold.
 */
import type { Properties, WireEvent } from '@ampkit/protocol'
import { type DuckDbStore, openDuckDbStore } from '../../../src/store/duckdb-store.ts'

/** A small deterministic PRNG (mulberry32): the same seed gives the same dataset. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Picks one element. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T
}

/** Options of `randomEvents`. */
export interface RandomDatasetOptions {
  /** @default 8 */
  users?: number
  /** @default 60 */
  events?: number
  /** First possible event time, ms. @default 2024-07-01T00:00Z */
  startMs?: number
  /** Span of event times, ms. @default 4 days */
  spanMs?: number
  /** Event types to draw from; the first ones are drawn more often. @default A..E */
  eventTypes?: readonly string[]
}

export const DATASET_START_MS = Date.UTC(2024, 6, 1)
const DAY_MS = 86_400_000

/** Random events (wire form) for `store.ingestEvents`. */
export function randomEvents(seed: number, options: RandomDatasetOptions = {}): WireEvent[] {
  const random = seededRandom(seed)
  const users = options.users ?? 8
  const count = options.events ?? 60
  const startMs = options.startMs ?? DATASET_START_MS
  const spanMs = options.spanMs ?? 4 * DAY_MS
  const types = options.eventTypes ?? ['A', 'B', 'C', 'D', 'E']
  const events: WireEvent[] = []
  for (let i = 0; i < count; i++) {
    // Squaring skews toward the first types and users, as real traffic is skewed.
    const type = types[Math.floor(random() ** 2 * types.length)] as string
    const user = Math.floor(random() ** 1.5 * users)
    const time =
      startMs +
      Math.floor((random() * spanMs) / 1000) * 1000 +
      (random() < 0.2 ? 0 : Math.floor(random() * 1000))
    const properties: Properties = {}
    if (random() < 0.7) properties.genre = pick(random, ['rock', 'jazz', 'Pop', 'rock and roll'])
    if (random() < 0.5) properties.price = pick(random, [0, 1, 2.5, 10, -3, 99])
    if (random() < 0.3) properties.tags = pick(random, [['a'], ['a', 'b'], [], ['b', 'c'], [1, 2]])
    if (random() < 0.3) properties.flag = random() < 0.5
    if (random() < 0.1) properties.genre = null
    const userProperties: Properties = {}
    if (random() < 0.6) userProperties.plan = pick(random, ['free', 'pro', 'team'])
    if (random() < 0.3) userProperties.age = pick(random, [18, 25, 40])
    const event: WireEvent = {
      event_type: type,
      user_id: `user-${user}`,
      device_id: `device-${user}`,
      time,
      insert_id: `s${seed}-e${i}`,
      session_id: random() < 0.8 ? startMs + Math.floor(time / 3_600_000) * 1000 : -1,
      event_properties: properties,
      ...(Object.keys(userProperties).length > 0 && { user_properties: userProperties }),
      ...(random() < 0.7 && { platform: pick(random, ['iOS', 'Android', 'Web']) }),
      ...(random() < 0.7 && { country: pick(random, ['United States', 'Germany', 'France']) }),
      ...(random() < 0.15 && { price: pick(random, [1, 4.5, 20]), quantity: 1 }),
    }
    events.push(event)
  }
  return events
}

/** Opens an in-memory store and ingests `events` into project 1 (sorted by time, as SDKs send). */
export async function storeWithEvents(
  events: readonly WireEvent[],
  nowMs?: number,
): Promise<DuckDbStore> {
  const latest = Math.max(DATASET_START_MS, ...events.map((e) => e.time ?? 0))
  const store = await openDuckDbStore({ path: ':memory:', now: () => nowMs ?? latest + DAY_MS })
  const sorted = [...events].sort((a, b) => (a.time ?? 0) - (b.time ?? 0))
  await store.ingestEvents(sorted, {
    projectId: 1,
    receivedAtMs: nowMs ?? latest + DAY_MS,
    path: '/batch',
  })
  return store
}
