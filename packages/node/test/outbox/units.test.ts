/** The outbox's small parts: the checksum, the lock file rules and the option resolution. */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as zlib from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, OutboxError, resolveNodeOptions } from '../../src/index.ts'
import { crc32, crc32Table } from '../../src/outbox/crc32.ts'
import { acquireLock, processStartTicks } from '../../src/outbox/lock.ts'

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ampkit-units-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('crc32', () => {
  it('gives the standard check value for "123456789" with and without the native function', () => {
    const data = Buffer.from('123456789')
    expect(crc32Table(data)).toBe(0xcbf43926)
    expect(crc32(data)).toBe(0xcbf43926)
  })

  it('agrees with zlib on random data when zlib has crc32', () => {
    const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32
    const data = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff))
    expect(crc32Table(data)).toBe(native === undefined ? crc32(data) : native(data) >>> 0)
  })
})

describe('the outbox lock', () => {
  it('refuses a second lock in the same process and allows it again after release', () => {
    const release = acquireLock(dir)
    expect(() => acquireLock(dir)).toThrow(OutboxError)
    release()
    acquireLock(dir)()
  })

  it("takes over a lock left by an earlier process that had this process's pid (a restarted container)", () => {
    writeFileSync(join(dir, 'LOCK'), `${process.pid}\n`)
    const release = acquireLock(dir)
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').split('\n')[0]).toBe(String(process.pid))
    release()
  })

  it('takes over a lock file without a pid (a crash between create and write)', () => {
    writeFileSync(join(dir, 'LOCK'), '')
    acquireLock(dir)()
  })
})

describe.skipIf(!existsSync('/proc/self/stat'))('the outbox lock and recycled pids (Linux)', () => {
  let other: ChildProcess | undefined
  const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()

  beforeEach(async () => {
    // A live process that is not an ampkit client: stands for whoever got the crashed owner's pid.
    other = spawn('sleep', ['30'], { stdio: 'ignore' })
    await new Promise((resolve) => other!.once('spawn', resolve))
  })

  afterEach(() => {
    other?.kill('SIGKILL')
  })

  it('records this process, its start time and the boot in the lock file', () => {
    const release = acquireLock(dir)
    const [pid, ticks, boot] = readFileSync(join(dir, 'LOCK'), 'utf8').split('\n')
    expect(Number(pid)).toBe(process.pid)
    expect(ticks).toBe(processStartTicks(process.pid))
    expect(boot).toBe(bootId())
    release()
  })

  it('refuses while the very process that took the lock still runs', () => {
    const pid = other!.pid!
    writeFileSync(join(dir, 'LOCK'), `${pid}\n${processStartTicks(pid)}\n${bootId()}\n`)
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: 'E_OUTBOX_LOCKED' }))
  })

  it('takes over when the pid is alive but is a different process (started at another time)', () => {
    const pid = other!.pid!
    const ticks = Number(processStartTicks(pid))
    writeFileSync(join(dir, 'LOCK'), `${pid}\n${ticks - 1}\n${bootId()}\n`)
    const release = acquireLock(dir)
    expect(Number(readFileSync(join(dir, 'LOCK'), 'utf8').split('\n')[0])).toBe(process.pid)
    release()
  })

  it('takes over a lock taken in an earlier boot', () => {
    const pid = other!.pid!
    writeFileSync(
      join(dir, 'LOCK'),
      `${pid}\n${processStartTicks(pid)}\n00000000-0000-0000-0000-000000000000\n`,
    )
    acquireLock(dir)()
  })

  it('keeps refusing on a live pid when the lock holds only a pid (written by an older version)', () => {
    writeFileSync(join(dir, 'LOCK'), `${other!.pid}\n`)
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: 'E_OUTBOX_LOCKED' }))
  })
})

describe('persistence options', () => {
  it('reads AMPLITUDE_OUTBOX_DIR, with durability fsync by default', () => {
    const resolved = resolveNodeOptions('key-123456', { env: { AMPLITUDE_OUTBOX_DIR: dir } })
    expect(resolved.persistence).toMatchObject({ dir, durability: 'fsync' })
    expect(resolved.flushMaxRetries).toBe(Number.MAX_SAFE_INTEGER)
    expect(resolved.retryBudgetMs).toBe(604_800_000)
  })

  it('lets persistence: false turn the variable off', () => {
    const resolved = resolveNodeOptions('key-123456', {
      env: { AMPLITUDE_OUTBOX_DIR: dir },
      persistence: false,
    })
    expect(resolved.persistence).toBeUndefined()
    expect(resolved.retryBudgetMs).toBe(600_000)
  })

  it('names the bad option', () => {
    const bad = (persistence: object) => () =>
      resolveNodeOptions('key-123456', { env: {}, persistence: persistence as never })
    expect(bad({ dir, durability: 'sometimes' })).toThrow(/persistence\.durability/)
    expect(bad({ dir, maxDiskBytes: 10 })).toThrow(/persistence\.maxDiskBytes/)
    expect(bad({ dir: '' })).toThrow(ConfigError)
    expect(() => resolveNodeOptions('key-123456', { env: {}, deadLetter: { file: '' } })).toThrow(
      /deadLetter\.file/,
    )
  })
})
