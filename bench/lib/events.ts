/**
 * @module The realistic event every scenario tracks: an event type from a small set, 5–8 event
 * properties, and a user/device pair from a pool of about 1,000 users. Deterministic (seeded), so every
 * client and every run sees the same stream.
 */

export const eventTypes = [
  'Page Viewed',
  'Product Viewed',
  'Product Added',
  'Checkout Started',
  'Order Completed',
  'Search Performed',
] as const

export const userPoolSize = 1_000

const plans = ['free', 'starter', 'pro', 'enterprise'] as const
const categories = ['shoes', 'shirts', 'bags', 'hats', 'jackets', 'socks', 'watches'] as const
const referrers = ['google', 'newsletter', 'direct', 'twitter', 'partner'] as const
const paths = [
  '/',
  '/pricing',
  '/products',
  '/products/42',
  '/cart',
  '/checkout',
  '/search',
] as const

export interface BenchEvent {
  eventType: string
  properties: Record<string, string | number | boolean>
  userId: string
  deviceId: string
}

/** The users of the pool: a stable `user_id` and `device_id` each (ids are ≥ 5 chars, as Amplitude requires). */
export const users: readonly { userId: string; deviceId: string }[] = Array.from(
  { length: userPoolSize },
  (_, index) => ({
    userId: `user-${String(index).padStart(5, '0')}`,
    deviceId: `device-${(index * 2_654_435_761) >>> 0}`,
  }),
)

/** A small fast seeded PRNG (mulberry32); `Math.random` would make runs differ. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function pick<T>(values: readonly T[], random: () => number): T {
  return values[Math.floor(random() * values.length)] as T
}

/**
 * Returns a generator of fresh event objects (a new properties object per call, as application code
 * builds one per `track()`), `seq` numbered from 0.
 */
export function eventStream(seed = 42): (seq: number) => BenchEvent {
  const random = seededRandom(seed)
  return (seq) => {
    const user = pick(users, random)
    const eventType = pick(eventTypes, random)
    const properties: Record<string, string | number | boolean> = {
      path: pick(paths, random),
      referrer: pick(referrers, random),
      plan: pick(plans, random),
      category: pick(categories, random),
      price: Math.round(random() * 20_000) / 100,
    }
    // 5 to 8 properties: the optional ones vary per event like real payloads do.
    const extra = seq % 4
    if (extra >= 1) properties.quantity = 1 + (seq % 5)
    if (extra >= 2) properties.logged_in = seq % 3 !== 0
    if (extra >= 3) properties.experiment = `exp-${seq % 7}`
    return { eventType, properties, userId: user.userId, deviceId: user.deviceId }
  }
}
