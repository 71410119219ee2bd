import { afterEach, describe, expect, it } from 'vitest'
import {
  createAmplitudeApi,
  type ExportProgress,
  exportRanges,
  NetworkError,
  NotFoundError,
  ParameterError,
  ProtocolError,
} from '../src/index.ts'
import { startTestServer, type TestServer } from './helpers/http-server.ts'
import { exportArchive } from './helpers/zip-writer.ts'

const servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

function event(n: number) {
  return {
    app: 1,
    event_type: `e${n % 3}`,
    event_id: n,
    uuid: `u-${n}`,
    user_id: `user${n}`,
    event_properties: { n, text: 'ünï' },
  }
}

async function exportServer(archives: Record<string, Buffer | 'none' | 'other-404'>) {
  const server = await startTestServer((req, res) => {
    const key = `${req.query.get('start')}..${req.query.get('end')}`
    const archive = archives[key] ?? archives['*']
    if (archive === undefined || archive === 'none') {
      res.writeHead(404)
      res.end('Raw data files were not found.')
    } else if (archive === 'other-404') {
      res.writeHead(404)
      res.end('Not Found')
    } else {
      res.writeHead(200, { 'content-type': 'application/zip' })
      res.end(archive)
    }
  })
  servers.push(server)
  return { server, api: createAmplitudeApi({ apiKey: 'k', secretKey: 's', baseUrl: server.url }) }
}

const files = [
  { hour: 9, events: [event(1), event(2), event(3)] },
  { hour: 10, events: [event(4)] },
]

describe('exportEvents', () => {
  it('streams the events of every file of the archive, in order, with progress', async () => {
    const { server, api } = await exportServer({ '*': exportArchive(files) })
    const progress: ExportProgress[] = []
    const events = []
    for await (const e of api.exportEvents({
      start: '20240714T00',
      end: new Date(Date.UTC(2024, 6, 14, 23, 30)),
      onProgress: (p) => progress.push(p),
    }))
      events.push(e)
    expect(events).toEqual([event(1), event(2), event(3), event(4)])
    expect(server.requests[0]?.query.toString()).toBe('start=20240714T00&end=20240714T23')
    expect(progress.at(-1)).toMatchObject({ files: 2, events: 4, request: 0, requests: 1 })
    expect(progress.at(-1)?.bytes).toBe(exportArchive(files).length)
  })

  it('splits a range longer than 365 days into consecutive requests', async () => {
    expect(exportRanges('20230101T00', '20240601T05')).toEqual([
      { start: '20230101T00', end: '20231231T23' },
      { start: '20240101T00', end: '20240601T05' },
    ])
    const { server, api } = await exportServer({
      '20230101T00..20231231T23': exportArchive([{ hour: 1, events: [event(1)] }]),
      '20240101T00..20240601T05': exportArchive([{ hour: 2, events: [event(2)] }]),
    })
    const events = []
    for await (const e of api.exportEvents({ start: '20230101T00', end: '20240601T05' }))
      events.push(e)
    expect(events.map((e) => e.event_id)).toEqual([1, 2])
    expect(server.requests).toHaveLength(2)
  })

  it('halves a range the API refuses as too large (400) until each part passes, keeping the order', async () => {
    const hourOf = (value: string) => Number(value.slice(9, 11))
    const server = await startTestServer((req, res) => {
      const from = hourOf(req.query.get('start') ?? '')
      const to = hourOf(req.query.get('end') ?? '')
      if (to - from >= 2 || req.query.get('start') === '20240714T07') {
        res.writeHead(400)
        res.end('Export size exceeds 4GB, please shorten the time range')
        return
      }
      const events = []
      for (let h = from; h <= to; h++) events.push(event(h))
      res.writeHead(200, { 'content-type': 'application/zip' })
      res.end(exportArchive([{ hour: from, events }]))
    })
    servers.push(server)
    const api = createAmplitudeApi({ apiKey: 'k', secretKey: 's', baseUrl: server.url })
    const ids = []
    for await (const e of api.exportEvents({ start: '20240714T00', end: '20240714T05' }))
      ids.push(e.event_id)
    expect(ids).toEqual([0, 1, 2, 3, 4, 5])
    expect(
      server.requests.map(
        (r) => `${r.query.get('start')?.slice(9)}-${r.query.get('end')?.slice(9)}`,
      ),
    ).toEqual(['00-05', '00-02', '00-01', '02-02', '03-05', '03-04', '05-05'])
    const single = async () => {
      for await (const _ of api.exportEvents({ start: '20240714T07', end: '20240714T07' })) {
      }
    }
    await expect(single()).rejects.toThrow(
      /GET \/api\/2\/export failed: 400 Export size exceeds 4GB/,
    )
  })

  it('keeps every event when the connection breaks in the trailing central directory, and fails when it breaks inside an entry', async () => {
    const archive = exportArchive(files)
    // The central directory starts after the last entry; its offset is in the last 22 bytes.
    const directoryAt = archive.readUInt32LE(archive.length - 6)
    const cutAt = { value: directoryAt + 10 }
    const server = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': archive.length })
      res.write(archive.subarray(0, cutAt.value), () => res.socket?.destroy())
    })
    servers.push(server)
    const api = createAmplitudeApi({ apiKey: 'k', secretKey: 's', baseUrl: server.url })
    const events = []
    for await (const e of api.exportEvents({ start: '20240714T00', end: '20240714T01' }))
      events.push(e)
    expect(events).toEqual([event(1), event(2), event(3), event(4)])
    cutAt.value = 60
    const run = async () => {
      for await (const _ of api.exportEvents({ start: '20240714T00', end: '20240714T01' })) {
      }
    }
    await expect(run()).rejects.toThrow(NetworkError)
  })

  it("treats 404 'Raw data files were not found.' as a range without data", async () => {
    const { api } = await exportServer({ '*': 'none' })
    const events = []
    for await (const e of api.exportEvents({ start: '20240714T00', end: '20240714T01' }))
      events.push(e)
    expect(events).toEqual([])
  })

  it('fails with a NotFoundError on any other 404 (a wrong base URL is not "no data")', async () => {
    const { api } = await exportServer({ '*': 'other-404' })
    const run = async () => {
      for await (const _ of api.exportEvents({ start: '20240714T00', end: '20240714T01' })) {
      }
    }
    await expect(run()).rejects.toThrow(NotFoundError)
  })

  it('fails with a ProtocolError when the body is not a zip', async () => {
    const { api } = await exportServer({ '*': Buffer.from('<html>maintenance</html>') })
    const run = async () => {
      for await (const _ of api.exportEvents({ start: '20240714T00', end: '20240714T01' })) {
      }
    }
    await expect(run()).rejects.toThrow(ProtocolError)
  })

  it('refuses malformed hours before sending anything', async () => {
    const { server, api } = await exportServer({})
    const run = (start: string) => async () => {
      for await (const _ of api.exportEvents({ start, end: '20240714T01' })) {
      }
    }
    await expect(run('2024-07-14')()).rejects.toThrow(ParameterError)
    await expect(run('20240714T24')()).rejects.toThrow(/start is not a real hour/)
    await expect(run('20240715T00')()).rejects.toThrow(/end is before start/)
    expect(server.requests).toHaveLength(0)
  })

  it('yields raw lines and whole-line blocks identical to the NDJSON in the archive', async () => {
    const { api } = await exportServer({
      '*': exportArchive(files, { method: 'deflated', descriptor: true }),
    })
    const expected = files.flatMap((f) => f.events.map((e) => JSON.stringify(e)))
    const lines: string[] = []
    for await (const line of api.exportLines({ start: '20240714T00', end: '20240714T01' }))
      lines.push(line.toString('utf8'))
    expect(lines).toEqual(expected)
    const blocks: Buffer[] = []
    for await (const block of api.exportNdjson({ start: '20240714T00', end: '20240714T01' }))
      blocks.push(block)
    expect(Buffer.concat(blocks).toString('utf8')).toBe(`${expected.join('\n')}\n`)
  })

  it('stops reading and frees its permit when the consumer breaks early', async () => {
    const many = [{ hour: 1, events: Array.from({ length: 5000 }, (_, n) => event(n)) }]
    const { api } = await exportServer({ '*': exportArchive(many) })
    for await (const e of api.exportEvents({ start: '20240714T00', end: '20240714T01' })) {
      expect(e.event_id).toBe(0)
      break
    }
    expect(api.pending).toEqual({ inFlight: 0, queued: 0 })
  })
})
