/**
 * Throughput and memory of the export route alone (not part of `npm test`): builds (once) a DuckDB
 * file with 1,000,000 typical events uploaded over 24 hours, then answers
 * `GET /api/2/export` for the whole day in-process and drains the zip as fast as it comes.
 *   npx tsx --conditions=ampkit-source packages/server/test/export/measure-export.ts \
 *     [gzipLevel=1] [maxEventsPerPart=50000] [dir=/tmp/ampkit-export-measure] [runs=2] [hours=24]
 * Prints events/s, MB/s of archive, CPU time per event (all threads) and RSS before and at its peak.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServerApp } from '../../src/app.ts'
import { openDuckDbStore } from '../../src/store/duckdb-store.ts'
import { buildExportDataset } from './export-dataset.ts'

const EVENTS = 1_000_000
const gzipLevel = Number(process.argv[2] ?? 1)
const maxEventsPerPart = Number(process.argv[3] ?? 50_000)
const dir = process.argv[4] ?? '/tmp/ampkit-export-measure'
const runs = process.argv[5] === '1' ? ['measured'] : ['warm-up', 'measured']
/** Hours exported from 00:00 (the dataset is uniform over 24 hours). */
const hours = Number(process.argv[6] ?? 24)
const exported = Math.round((EVENTS * hours) / 24)
const T0 = Date.UTC(2024, 6, 14, 0)
const PROJECT = { id: 7, name: 'Measure', apiKey: 'measure-api-key', secretKey: 'measure-secret' }

const path = join(dir, 'store.duckdb')
if (!existsSync(path)) {
  const started = performance.now()
  await buildExportDataset(path, { count: EVENTS, projectId: PROJECT.id, t0: T0, hours: 24 })
  console.log(`built ${EVENTS} events in ${Math.round(performance.now() - started)} ms`)
}

const store = await openDuckDbStore({ path })
const app = createServerApp({ store, projects: [PROJECT], export: { gzipLevel, maxEventsPerPart } })
const mb = (bytes: number) => Math.round(bytes / 1e6)

/** CPU time of the main JS thread in µs (Linux: /proc; the clock ticks are 10 ms). */
function mainThreadCpuUs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return Number.NaN
  }
}

for (const run of runs) {
  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  let rssPeak = rssBefore
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
  }, 50)
  const cpu0 = process.cpuUsage()
  const main0 = mainThreadCpuUs()
  const started = performance.now()
  const auth = Buffer.from(`${PROJECT.apiKey}:${PROJECT.secretKey}`).toString('base64')
  const response = await app.handle(
    new Request(
      `http://ampkit.test/api/2/export?start=20240714T00&end=20240714T${String(hours - 1).padStart(2, '0')}`,
      {
        headers: { authorization: `Basic ${auth}` },
      },
    ),
  )
  if (response.status !== 200) throw new Error(`export answered ${response.status}`)
  let bytes = 0
  const rssAt: number[] = []
  const reader = response.body!.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
    if (rssAt.length < 4 && bytes > (rssAt.length + 1) * 25e6) rssAt.push(process.memoryUsage().rss)
  }
  const elapsedMs = performance.now() - started
  const cpu = process.cpuUsage(cpu0)
  clearInterval(sampler)
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
  console.log(
    `${run}: ${exported} events in ${Math.round(elapsedMs)} ms = ${Math.round(exported / (elapsedMs / 1000))} events/s, ` +
      `archive ${mb(bytes)} MB (${Math.round(bytes / 1e6 / (elapsedMs / 1000))} MB/s), ` +
      `CPU ${((cpu.user + cpu.system) / exported).toFixed(2)} µs/event (main thread ${((mainThreadCpuUs() - main0) / exported).toFixed(2)}), ` +
      `RSS ${mb(rssBefore)} MB before, peak ${mb(rssPeak)} MB, along the way ${rssAt.map(mb).join('/')} MB, ` +
      `JS heap ${mb(process.memoryUsage().heapUsed)} MB after ` +
      `(gzip ${gzipLevel}, ${maxEventsPerPart} events/part)`,
  )
}
await app.close()
