import { copyFile, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../src/run-cli.ts'
import { type LocalTarget, startLocalTarget } from './helpers/local-target.ts'

const FIXTURES = fileURLToPath(new URL('./fixtures/import/', import.meta.url))

let local: LocalTarget
beforeEach(async () => {
  local = await startLocalTarget()
  for (const name of ['events.ndjson', 'events.json', 'events.csv'])
    await copyFile(join(FIXTURES, name), join(local.dir, name))
})
afterEach(async () => {
  await local.close()
})

const CSV_MAP = ['--map', 'event_type=type,user_id=uid,time=ts,event_properties.*=prop_*']

describe('ampkit import', () => {
  it('imports NDJSON, normalises times, and reports bad rows with file and line', async () => {
    const result = await local.cli(['import', 'events.ndjson', ...local.target('/batch')])
    expect(result.code).toBe(1)
    expect(result.err).toContain(
      'events.ndjson:5: invalid row: user_id or device_id: missing field',
    )
    expect(result.err).toMatch(/events\.ndjson:6: invalid row: time: "yesterday" is not/)
    expect(result.err).toMatch(/events\.ndjson:7: invalid row: not JSON/)
    expect(result.out).toContain('events.ndjson: 7 rows, 4 sent, 4 delivered, 0 failed, 3 invalid')
    const user1 = await local.activity('ndjson-user-1')
    expect(user1.map((e) => e.$insert_id).sort()).toEqual([
      'given-insert-id-1',
      expect.stringMatching(/^imp-[0-9a-f]{32}$/),
    ])
    const given = user1.find((e) => e.$insert_id === 'given-insert-id-1')
    expect(String(given?.event_time)).toMatch(/^2026-11-01 10:00:00/)
    const user2 = await local.activity('ndjson-user-2')
    // Seconds become milliseconds.
    expect(String(user2[0]?.event_time)).toMatch(/^2025-11-28 08:53:21/)
  })

  it('exits 0 with --skip-invalid though bad rows are still reported and skipped', async () => {
    const result = await local.cli([
      'import',
      'events.ndjson',
      '--skip-invalid',
      ...local.target('/batch'),
    ])
    expect(result.code).toBe(0)
    expect(result.err).toContain('events.ndjson:5: invalid row')
  })

  it('sends nothing on --dry-run and lists every bad row', async () => {
    const result = await local.cli([
      'import',
      'events.ndjson',
      'events.json',
      '--dry-run',
      ...local.target('/batch'),
    ])
    expect(result.code).toBe(1)
    expect(result.out).toContain('dry run: 11 rows checked, 4 invalid, nothing sent')
    expect(result.err).toContain('events.json:13: invalid row: event_type: invalid field')
    expect(await local.activity('ndjson-user-1')).toEqual([])
    expect(await local.activity('json-user-1')).toEqual([])
    await expect(stat(join(local.dir, 'events.ndjson.ampkit-checkpoint.json'))).rejects.toThrow()
  })

  it('imports a JSON array, with line numbers of multi-line elements', async () => {
    const result = await local.cli(['import', 'events.json', '--json', ...local.target('/batch')])
    expect(result.code).toBe(1)
    const report = JSON.parse(result.out) as {
      delivered: number
      invalid: number
      files: { format: string }[]
    }
    expect(report).toMatchObject({ delivered: 3, invalid: 1, files: [{ format: 'json' }] })
    expect(result.err).toContain('events.json:13: invalid row')
    const events = await local.activity('json-user-1')
    expect(events.map((e) => e.event_type).sort()).toEqual([
      'Order Delivered',
      'Order Placed',
      'Order Shipped',
    ])
    const placed = events.find((e) => e.event_type === 'Order Placed')
    expect(placed?.event_properties).toEqual({
      total: 42.5,
      items: ['a', 'b'],
      note: 'a ] and a , inside',
    })
  })

  it('imports CSV through a column mapping; other columns become event properties', async () => {
    const result = await local.cli(['import', 'events.csv', ...CSV_MAP, ...local.target('/batch')])
    expect(result.err).toContain('events.csv:6: invalid row: user_id or device_id: missing field')
    expect(result.code).toBe(1)
    const viewed = await local.activity('csv-user-1')
    const byColor = Object.fromEntries(
      viewed.map((e) => [(e.event_properties as { color: string }).color, e]),
    )
    expect(byColor.red).toMatchObject({
      event_type: 'Item Viewed',
      country: 'DE',
      event_properties: { color: 'red', size: 42, comment: 'plain' },
    })
    expect(byColor['blue, navy']).toMatchObject({
      country: 'FR',
      event_properties: { size: 7, comment: 'two\nlines "quoted"' },
    })
    expect(String(byColor['blue, navy']?.event_time)).toMatch(/^2025-11-02 09:00:00/)
    const bought = await local.activity('csv-user-2')
    expect(bought[0]?.event_properties).toEqual({ color: 'green' })
  })

  it('reads gzip input by its magic bytes, whatever the file is called', async () => {
    const text = await readFile(join(local.dir, 'events.ndjson'))
    await writeFile(join(local.dir, 'export.log'), gzipSync(text))
    const result = await local.cli([
      'import',
      'export.log',
      '--skip-invalid',
      ...local.target('/batch'),
    ])
    expect(result.code).toBe(0)
    expect(result.out).toContain('export.log: 7 rows, 4 sent, 4 delivered')
    expect(await local.activity('ndjson-user-1')).toHaveLength(2)
  })

  it('derives the same insert_ids on every run, so importing a file twice keeps each event once', async () => {
    const argv = ['import', 'events.csv', ...CSV_MAP, '--skip-invalid', ...local.target('/batch')]
    expect((await local.cli(argv)).code).toBe(0)
    const again = await local.cli(argv)
    expect(again.out).toContain('events.csv: already imported')
    expect((await local.cli([...argv, '--restart'])).code).toBe(0)
    // The same rows under another name (no checkpoint for it) are the same events.
    await copyFile(join(local.dir, 'events.csv'), join(local.dir, 'copy.csv'))
    const copy = await local.cli([
      'import',
      'copy.csv',
      ...CSV_MAP,
      '--skip-invalid',
      ...local.target('/batch'),
    ])
    expect(copy.out).toContain('copy.csv: 4 rows, 3 sent, 3 delivered')
    const events = [
      ...(await local.activity('csv-user-1')),
      ...(await local.activity('csv-user-2')),
    ]
    expect(events).toHaveLength(3)
    expect(new Set(events.map((e) => e.$insert_id)).size).toBe(3)
  })

  it('refuses unknown formats, bad mappings and a missing key as usage errors', async () => {
    expect(
      (await local.cli(['import', 'events.csv', '--format', 'xml', ...local.target()])).code,
    ).toBe(2)
    const map = await local.cli([
      'import',
      'events.csv',
      '--map',
      'event_properties.*=prop_',
      ...local.target(),
    ])
    expect(map.code).toBe(2)
    expect(map.err).toMatch(/a \* must be on both sides/)
    const saved = process.env.AMPLITUDE_API_KEY
    delete process.env.AMPLITUDE_API_KEY
    try {
      expect((await local.cli(['import', 'events.csv'])).code).toBe(2)
    } finally {
      if (saved !== undefined) process.env.AMPLITUDE_API_KEY = saved
    }
  })

  it('draws a progress bar on a terminal and plain lines otherwise', async () => {
    const run = async (isTTY: boolean) => {
      const err: string[] = []
      const code = await runCli(['import', 'events.json', '--dry-run'], {
        stdout: () => {},
        stderr: (t) => err.push(t),
        cwd: local.dir,
        isTTY,
      })
      return { code, err: err.join('') }
    }
    const tty = await run(true)
    expect(tty.err).toMatch(/^\[#+\.*\] 100\.0% 4 rows, 0 delivered, 1 invalid 0 ev\/s, ETA 0:00$/m)
    const plain = await run(false)
    expect(plain.err).toMatch(
      /^import: 100\.0% 4 rows, 0 delivered, 1 invalid, 0 ev\/s, ETA 0:00$/m,
    )
    expect(plain.err).not.toContain('[#')
  })
})
