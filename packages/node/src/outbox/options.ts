/**
 * @module Options of the durable outbox (`persistence`) and of the dead-letter file (`deadLetter`),
 * and their resolution: an explicit option, then `AMPLITUDE_OUTBOX_DIR`, then off. A bad value throws
 * a `ConfigError` naming the option or the variable.
 */
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { ConfigError } from '../errors.ts'

/**
 * When an appended group of events counts as persisted.
 * - `'fsync'`: each group commit is written and `fdatasync`ed before it is acknowledged. An event
 *   whose group commit completed survives a process crash (SIGKILL, OOM kill, uncaught exception), a
 *   kernel crash and a power loss (as far as the disk honours flushes). Costs one fsync per group
 *   commit (one per event-loop turn that tracked events, not one per event).
 * - `'os'`: each group commit is written to the file (the OS page cache) and acknowledged without
 *   fsync. An event whose group commit completed survives a process crash (SIGKILL, OOM kill), but
 *   NOT a kernel crash or a power loss: the OS may not have written it to the disk yet.
 */
export type Durability = 'fsync' | 'os'

/** The durable outbox: accepted events are logged on disk until delivered or failed for good. */
export interface PersistenceOptions {
  /** Directory of the log (created if missing; one client process at a time). Env `AMPLITUDE_OUTBOX_DIR`. */
  dir: string
  /** See `Durability`. @default 'fsync' */
  durability?: Durability
  /**
   * Bytes of unacknowledged events (JSON plus an 8-byte record header) held on disk; past it,
   * `overflowPolicy` applies exactly as for memory (`dropOldest` or `refuseNewest`). Files can exceed
   * it by up to about one segment, since a segment is deleted only when all its events are
   * acknowledged. @default 1073741824 (1 GiB)
   */
  maxDiskBytes?: number
  /** Unacknowledged events held on disk before `overflowPolicy` applies. @default no limit but `maxDiskBytes` */
  maxDiskEvents?: number
  /** Size at which a segment file is sealed and a new one started, in bytes. @default 8388608 (8 MiB) */
  segmentBytes?: number
  /**
   * Events kept in memory (queued plus in flight, in backoff or parked); the rest stays on disk and
   * is read back as delivery progresses, so a long outage does not grow the heap. Below
   * `flushQueueSize × maxInFlightRequests` batches get smaller. @default 20000 (or that product, if larger)
   */
  maxMemoryEvents?: number
}

/** The dead-letter file: events that failed for good, as NDJSON, for `replayDeadLetters()`. */
export interface DeadLetterOptions {
  /** The NDJSON file appended to (created if missing). */
  file: string
}

/** Persistence with every default filled in. */
export interface ResolvedPersistence {
  dir: string
  durability: Durability
  maxDiskBytes: number
  maxDiskEvents: number
  segmentBytes: number
  maxMemoryEvents: number
}

function integer(name: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(name, `must be an integer of at least ${min}, got ${String(value)}`)
  }
  return value
}

function directory(name: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '' || raw.includes('\0')) {
    throw new ConfigError(name, `must be a directory path, got ${JSON.stringify(raw)}`)
  }
  const dir = resolve(raw.trim())
  try {
    if (!statSync(dir).isDirectory()) {
      throw new ConfigError(name, `must be a directory, but ${dir} is a file`)
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error
    // Missing: the outbox creates it when it opens.
  }
  return dir
}

/** Resolves `persistence` (or `AMPLITUDE_OUTBOX_DIR`); `undefined` when the outbox is off. */
export function resolvePersistence(
  option: PersistenceOptions | false | undefined,
  envDir: string | undefined,
  inFlightWindowEvents: number,
): ResolvedPersistence | undefined {
  if (option === false) return undefined
  const fromEnv = envDir !== undefined && envDir.trim() !== ''
  if (option === undefined && !fromEnv) return undefined
  const given: Partial<PersistenceOptions> = option ?? {}
  const dir =
    given.dir !== undefined
      ? directory('persistence.dir', given.dir)
      : directory('AMPLITUDE_OUTBOX_DIR', envDir)
  const durability = given.durability ?? 'fsync'
  if (durability !== 'fsync' && durability !== 'os') {
    throw new ConfigError(
      'persistence.durability',
      `must be 'fsync' or 'os', got ${String(durability)}`,
    )
  }
  return {
    dir,
    durability,
    maxDiskBytes: integer('persistence.maxDiskBytes', given.maxDiskBytes, 4096, 1_073_741_824),
    maxDiskEvents: integer(
      'persistence.maxDiskEvents',
      given.maxDiskEvents,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    segmentBytes: integer('persistence.segmentBytes', given.segmentBytes, 4096, 8_388_608),
    maxMemoryEvents: integer(
      'persistence.maxMemoryEvents',
      given.maxMemoryEvents,
      1,
      Math.max(20_000, inFlightWindowEvents),
    ),
  }
}

/** Resolves `deadLetter`; `undefined` when off. */
export function resolveDeadLetter(option: DeadLetterOptions | undefined): string | undefined {
  if (option === undefined) return undefined
  const file = (option as { file?: unknown }).file
  if (typeof file !== 'string' || file.trim() === '' || file.includes('\0')) {
    throw new ConfigError('deadLetter.file', `must be a file path, got ${JSON.stringify(file)}`)
  }
  return resolve(file)
}
