/**
 * Child process of the durability test: opens the store file given as argv[2], writes events,
 * identifies and a group, prints "ok" once every write has resolved, then idles until killed.
 */
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'

const path = process.argv[2]!
const batches = Number(process.argv[3] ?? 5)
const store = await openDuckDbStore({ path })
const context = { projectId: 1, receivedAtMs: Date.now(), path: '/batch' as const }
const writes: Promise<unknown>[] = []
for (let b = 0; b < batches; b++) {
  const events = Array.from({ length: 200 }, (_, i) => ({
    event_type: 'tick',
    user_id: `user-${i % 20}-0000`,
    device_id: `device-${i % 20}-0000`,
    insert_id: `ins-${b}-${i}`,
    user_properties: { $add: { ticks: 1 } },
  }))
  writes.push(store.ingestEvents(events, context))
}
writes.push(
  store.identify([{ user_id: 'user-0-0000', user_properties: { $set: { plan: 'pro' } } }], context),
)
writes.push(
  store.groupIdentify(
    [{ group_type: 'org', group_value: 'acme', group_properties: { $set: { tier: 'gold' } } }],
    context,
  ),
)
await Promise.all(writes)
process.stdout.write('ok\n')
setInterval(() => {}, 60_000)
