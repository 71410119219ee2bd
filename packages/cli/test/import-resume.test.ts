import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../src/run-cli.ts'
import { type LocalTarget, startLocalTarget } from './helpers/local-target.ts'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const TSX = import.meta.resolve('tsx')
const USERS = 40
const ROWS = 20_000

let local: LocalTarget
beforeEach(async () => {
  local = await startLocalTarget()
})
afterEach(async () => {
  await local.close()
})

async function writeRows(path: string): Promise<void> {
  const lines: string[] = []
  for (let i = 0; i < ROWS; i++)
    lines.push(
      JSON.stringify({
        event_type: 'Backfilled',
        user_id: `resume-user-${i % USERS}`,
        time: 1_700_000_000_000 + i,
        event_properties: { row: i },
      }),
    )
  await writeFile(path, `${lines.join('\n')}\n`)
}

async function distinctEvents(): Promise<{ total: number; distinct: number; rows: Set<number> }> {
  let total = 0
  const ids = new Set<unknown>()
  const rows = new Set<number>()
  for (let u = 0; u < USERS; u++) {
    const events = await local.activity(`resume-user-${u}`)
    total += events.length
    for (const event of events) {
      ids.add(event.$insert_id)
      rows.add((event.event_properties as { row: number }).row)
    }
  }
  return { total, distinct: ids.size, rows }
}

describe('ampkit import, interrupted and resumed', () => {
  it('stops on abort with a checkpoint of delivered rows, and the re-run ends with every row exactly once', async () => {
    const file = join(local.dir, 'big.ndjson')
    await writeRows(file)
    const controller = new AbortController()
    const err: string[] = []
    const argv = [
      'import',
      'big.ndjson',
      '--json',
      '--max-pending',
      '2000',
      '--progress-interval-ms',
      '1',
      ...local.target('/batch'),
    ]
    const first = await runCli(argv, {
      stdout: () => {},
      stderr: (text) => {
        err.push(text)
        const delivered = /, ([\d,]+) delivered/.exec(text)?.[1]
        // Midway by what was delivered, not by time.
        if (delivered !== undefined && Number(delivered.replace(/,/g, '')) >= 6000)
          controller.abort()
      },
      cwd: local.dir,
      signal: controller.signal,
    })
    expect(first).toBe(130)
    expect(err.join('')).toContain('interrupted: checkpoint written')
    const checkpoint = JSON.parse(await readFile(`${file}.ampkit-checkpoint.json`, 'utf8')) as {
      files: Record<string, { offset: number; line: number; complete: boolean }>
    }
    const position = checkpoint.files[file]
    expect(position?.complete).toBe(false)
    expect(position?.line).toBeGreaterThanOrEqual(6000)
    expect(position?.line).toBeLessThan(ROWS)
    // Every row before the checkpoint is on the server.
    const afterFirst = await distinctEvents()
    for (let row = 0; row < (position?.line ?? 0); row++)
      expect(afterFirst.rows.has(row)).toBe(true)

    const second = await local.cli(argv)
    expect(second.code).toBe(0)
    const report = JSON.parse(second.out) as {
      sent: number
      delivered: number
      files: { resumedRows: number; complete: boolean }[]
    }
    expect(report.files[0]?.resumedRows).toBe(position?.line)
    expect(report.sent).toBe(ROWS - (position?.line ?? 0))
    expect(report.files[0]?.complete).toBe(true)
    const final = await distinctEvents()
    expect(final.total).toBe(ROWS)
    expect(final.distinct).toBe(ROWS)
    expect(final.rows.size).toBe(ROWS)
  }, 60_000)

  it('a real SIGINT to the ampkit process writes the checkpoint and exits 130; the re-run completes it', async () => {
    const file = join(local.dir, 'big.ndjson')
    await writeRows(file)
    const args = ['import', 'big.ndjson', '--max-pending', '2000', '--progress-interval-ms', '1']
    const child = spawn(
      process.execPath,
      ['--conditions', 'ampkit-source', '--import', TSX, MAIN, ...args, ...local.target('/batch')],
      { cwd: local.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
      const delivered = /, ([\d,]+) delivered/.exec(chunk.toString('utf8'))?.[1]
      if (delivered !== undefined && Number(delivered.replace(/,/g, '')) >= 6000 && !child.killed)
        child.kill('SIGINT')
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(130)
    expect(stderr).toContain('interrupted: checkpoint written')
    const checkpoint = JSON.parse(await readFile(`${file}.ampkit-checkpoint.json`, 'utf8')) as {
      files: Record<string, { line: number; complete: boolean }>
    }
    expect(checkpoint.files[file]?.complete).toBe(false)
    const second = await local.cli([...args, '--json', ...local.target('/batch')])
    expect(second.code).toBe(0)
    const final = await distinctEvents()
    expect(final.total).toBe(ROWS)
    expect(final.distinct).toBe(ROWS)
  }, 60_000)

  it('resumes a gzip CSV from its checkpoint by skipping the rows already done', async () => {
    const csv = [
      'event_type,user_id,time',
      ...Array.from(
        { length: 10 },
        (_, i) => `Row,resume-user-${i % USERS},${1_700_000_000_000 + i}`,
      ),
    ].join('\n')
    await writeFile(join(local.dir, 'rows.csv.gz'), gzipSync(`${csv}\n`))
    // As if rows 1-4 (lines 2-5) were delivered before an interruption.
    const doneBytes = Buffer.byteLength(`${csv.split('\n').slice(0, 5).join('\n')}\n`)
    const path = join(local.dir, 'rows.csv.gz')
    await writeFile(
      join(local.dir, 'ckpt.json'),
      JSON.stringify({
        version: 1,
        files: { [path]: { offset: doneBytes, line: 5, complete: false } },
      }),
    )
    const result = await local.cli([
      'import',
      'rows.csv.gz',
      '--checkpoint',
      'ckpt.json',
      ...local.target('/batch'),
    ])
    expect(result.code).toBe(0)
    expect(result.out).toContain(
      'rows.csv.gz: 6 rows, 6 sent, 6 delivered, 0 failed, 0 invalid, 4 rows done before (resumed)',
    )
    const saved = JSON.parse(await readFile(join(local.dir, 'ckpt.json'), 'utf8')) as {
      files: Record<string, { offset: number; complete: boolean }>
    }
    expect(saved.files[path]).toMatchObject({
      offset: Buffer.byteLength(`${csv}\n`),
      complete: true,
    })
  })

  it('refuses to resume a file that is now shorter than its checkpoint', async () => {
    await writeFile(
      join(local.dir, 'short.ndjson'),
      '{"event_type":"A","user_id":"resume-user-0"}\n',
    )
    const path = join(local.dir, 'short.ndjson')
    await writeFile(
      `${path}.ampkit-checkpoint.json`,
      JSON.stringify({
        version: 1,
        files: { [path]: { offset: 5000, line: 40, complete: false } },
      }),
    )
    const result = await local.cli(['import', 'short.ndjson', ...local.target('/batch')])
    expect(result.code).toBe(1)
    expect(result.err).toContain('short.ndjson: error: the file is shorter than its checkpoint')
  })
})
