import { randomUUID } from 'node:crypto'
import { DedupIndex } from '../../src/store/dedup-index.ts'
import { prepareEvents } from '../../src/store/ingest-events.ts'
import { ProfileBook } from '../../src/store/profile-book.ts'

const state = {
  book: new ProfileBook(),
  dedup: new DedupIndex(7 * 86_400_000),
  nextSeq: 1,
  now: Date.now,
  randomUUID,
}
const mkText = (b: number) =>
  JSON.stringify(
    Array.from({ length: 2000 }, (_, i) => {
      const n = b * 2000 + i
      return {
        event_type: 'Page Viewed',
        user_id: `user-${n % 10000}@example.com`,
        device_id: `device-${n % 10000}-abcdef0123456789`,
        time: 1720951200000 + n,
        session_id: 1720951100000,
        insert_id: `ins-${n}-0f6a2b1c9d8e7f60`,
        platform: 'Web',
        os_name: 'Chrome',
        os_version: '120',
        country: 'United States',
        city: 'San Francisco',
        language: 'English',
        library: 'amplitude-ts/2.0.0',
        event_properties: {
          path: `/products/${n % 500}`,
          referrer: 'https://www.google.com/',
          value: n % 97,
          plan: 'pro',
          tags: ['a', 'b'],
          experiment: 'exp-42',
          button: 'buy-now',
        },
      }
    }),
  )
const texts = Array.from({ length: 8 }, (_, b) => mkText(b))
const B = Number(process.argv[2] ?? 200)
let n = 0
let parseMs = 0
const cpu0 = process.cpuUsage()
const t = performance.now()
for (let b = 0; b < B; b++) {
  const tp = performance.now()
  const events = JSON.parse(texts[b % 8]!).map((e: { insert_id: string }) => {
    e.insert_id += `-${b}`
    return e
  })
  parseMs += performance.now() - tp
  n += prepareEvents(state, events, { projectId: 1, receivedAtMs: Date.now(), path: '/batch' }).rows
    .length
  state.book.takeChanges()
}
const cpu = process.cpuUsage(cpu0)
console.log(
  'parse µs/event',
  ((parseMs * 1000) / n).toFixed(2),
  'prepare µs/event',
  (((performance.now() - t - parseMs) * 1000) / n).toFixed(2),
  'cpu µs/event (incl parse)',
  ((cpu.user + cpu.system) / n).toFixed(2),
)
