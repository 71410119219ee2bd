/** The outbox's small parts: the checksum, the lock file rules and the option resolution. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as zlib from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, OutboxError, resolveNodeOptions } from '../../src/index.ts'
import { crc32, crc32Table } from '../../src/outbox/crc32.ts'
import { acquireLock } from '../../src/outbox/lock.ts'

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
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid))
    release()
  })

  it('takes over a lock file without a pid (a crash between create and write)', () => {
    writeFileSync(join(dir, 'LOCK'), '')
    acquireLock(dir)()
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
