/**
 * Measures the Export API path end to end: a local node:http server streams a zip of gzipped NDJSON
 * (55-key records, Amplitude's layout: one `.json.gz` per hour, STORED in the zip) from a file, and
 * the client reads it back through `exportEvents()` (parsed) and `exportNdjson()` (raw). Prints
 * events/s (wall clock and per CPU second: the machine may be shared) and the peak RSS growth while
 * reading (sampled every 50 ms, so only for the streaming runs, which yield to the event loop).
 * Run: `node --conditions=ampkit-source --expose-gc --import tsx
 * packages/api/scripts/export-throughput.ts [events] [rounds]`.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, gunzipSync, gzipSync } from 'node:zlib'
import { EXPORT_RECORD_KEYS } from '@ampkit/protocol'
import { createAmplitudeApi } from '../src/index.ts'

const total = Number(process.argv[2] ?? 1_000_000)
const perFile = 50_000
const gzFiles: Buffer[] = []

function record(n: number): Record<string, unknown> {
  const r: Record<string, unknown> = {}
  for (const key of EXPORT_RECORD_KEYS) r[key] = null
  Object.assign(r, {
    app: 1,
    event_type: ['Play Song', 'Search', 'Purchase'][n % 3],
    event_id: n,
    uuid: `bf0b9b2a-0000-4000-8000-${String(n).padStart(12, '0')}`,
    $insert_id: `ins-${n}`,
    user_id: `user-${n % 5000}`,
    device_id: `device-${n % 7000}`,
    amplitude_id: 9_000_000_000 + (n % 5000),
    session_id: 1_720_835_200_000 + (n % 100) * 1000,
    data_type: 'event',
    library: 'http/2.0',
    event_time: '2024-07-14 10:00:00.000000',
    server_received_time: '2024-07-14 10:00:01.000000',
    server_upload_time: '2024-07-14 10:00:02.007000',
    event_properties: { genre: 'rock', n },
    user_properties: { plan: 'pro' },
    group_properties: {},
    groups: {},
    plan: {},
    data: { path: '/2/httpapi' },
    platform: 'Web',
    country: 'Germany',
  })
  return r
}

async function buildArchive(path: string): Promise<void> {
  const out = createWriteStream(path)
  const central: Buffer[] = []
  let offset = 0
  let files = 0
  const write = (b: Buffer) =>
    new Promise<void>((resolve) => (out.write(b) ? resolve() : out.once('drain', resolve)))
  for (let start = 0; start < total; start += perFile) {
    const lines: string[] = []
    for (let n = start; n < Math.min(total, start + perFile); n++)
      lines.push(JSON.stringify(record(n)))
    const data = gzipSync(`${lines.join('\n')}\n`, { level: 1 })
    gzFiles.push(data)
    const name = Buffer.from(`1/1_2024-07-14_${files % 24}#${files}.json.gz`)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt32LE(crc32(data), 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(name.length, 26)
    await write(Buffer.concat([local, name, data]))
    const header = Buffer.alloc(46)
    header.writeUInt32LE(0x02014b50, 0)
    header.writeUInt32LE(crc32(data), 16)
    header.writeUInt32LE(data.length, 20)
    header.writeUInt32LE(data.length, 24)
    header.writeUInt16LE(name.length, 28)
    header.writeUInt32LE(offset, 42)
    central.push(header, name)
    offset += 30 + name.length + data.length
    files++
  }
  const directory = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(files, 8)
  end.writeUInt16LE(files, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  await write(Buffer.concat([directory, end]))
  await new Promise((resolve) => out.end(resolve))
}

const dir = await mkdtemp(join(tmpdir(), 'ampkit-export-bench-'))
const archive = join(dir, 'export.zip')
await buildArchive(archive)
const { size } = await stat(archive)
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': size })
  createReadStream(archive, { highWaterMark: 65_536 }).pipe(res)
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const api = createAmplitudeApi({ apiKey: 'k', secretKey: 's', baseUrl: url })
console.log(`archive: ${total} events, ${(size / 1e6).toFixed(1)} MB zip`)

async function measure(label: string, run: () => Promise<number>): Promise<number> {
  globalThis.gc?.()
  const baseline = process.memoryUsage().rss
  let peak = baseline
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 50)
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const count = await run()
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  clearInterval(sampler)
  console.log(
    `${label}: ${count} events in ${seconds.toFixed(2)} s = ${Math.round(count / seconds).toLocaleString('en')} events/s (${Math.round(count / cpuSeconds).toLocaleString('en')} per CPU second), peak RSS +${((peak - baseline) / 1e6).toFixed(0)} MB`,
  )
  return count / seconds
}

// The floor: the same files gunzipped whole (gunzipSync) and parsed line by line, no HTTP, no zip
// streaming, no backpressure. The client's numbers are read as a ratio to this, measured in the same run.
async function floor(parse: boolean): Promise<number> {
  let n = 0
  for (const gz of gzFiles) {
    const text = gunzipSync(gz).toString('utf8')
    let at = 0
    let newline = text.indexOf('\n')
    while (newline >= 0) {
      if (parse) JSON.parse(text.slice(at, newline))
      n++
      at = newline + 1
      newline = text.indexOf('\n', at)
    }
  }
  return n
}

const range = { start: '20240714T00', end: '20240714T23' }
const rounds = Number(process.argv[3] ?? 1)
for (let round = 0; round < rounds; round++) {
  const parseFloor = await measure('floor: gunzipSync + JSON.parse, in memory', () => floor(true))
  const splitFloor = await measure('floor: gunzipSync + line split, in memory', () => floor(false))
  const parsed = await measure('exportEvents (parsed)', async () => {
    let n = 0
    for await (const e of api.exportEvents(range)) if (e.event_id !== null) n++
    return n
  })
  const lines = await measure('exportLines (raw lines)', async () => {
    let n = 0
    for await (const _ of api.exportLines(range)) n++
    return n
  })
  const blocks = await measure('exportNdjson (blocks)', async () => {
    let n = 0
    for await (const _ of api.exportNdjson({ ...range, onProgress: (p) => (n = p.events) })) {
    }
    return n
  })
  console.log(
    `ratios to the in-memory floor: parsed ${(parsed / parseFloor).toFixed(2)}, lines ${(lines / splitFloor).toFixed(2)}, blocks ${(blocks / splitFloor).toFixed(2)}`,
  )
}
server.close()
await rm(dir, { recursive: true, force: true })
