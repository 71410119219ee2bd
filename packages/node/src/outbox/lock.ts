/**
 * @module The outbox directory lock: one process at a time. Two writers appending to the same
 * segments would interleave records and acknowledge each other's events, so a second opener is
 * refused. The lock is a file created with `wx` (atomic create-if-absent) holding the owner's
 * identity: its pid and, where the OS shows them (Linux `/proc`), the boot id and the process's start
 * time. A lock whose pid is no longer alive (`process.kill(pid, 0)` fails with ESRCH) was left by a
 * crash and is taken over; so is one whose pid is alive but belongs to a different process — started
 * at another time, or in another boot — because after a crash the pid is recycled, often quickly in a
 * container. Without `/proc` (macOS, Windows) only the pid is compared, and a recycled pid keeps the
 * lock until that process ends; the error message names the pid and the file to delete.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { OutboxError } from './errors.ts'

export const LOCK_FILE = 'LOCK'

/**
 * Directories locked by this process. A lock file holding this process's own pid is either another
 * client of this process (refused) or left by an earlier process that had the same pid, as happens
 * when a container restarts and its application is pid 1 again (taken over).
 */
const heldHere = new Set<string>()

/** Who holds a lock: what the lock file says. */
interface LockOwner {
  pid: number
  /** Start time of the process, in clock ticks since boot (`/proc/<pid>/stat`, field 22). */
  startTicks?: string
  /** `/proc/sys/kernel/random/boot_id` when the lock was taken. */
  bootId?: string
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The current boot's id, or undefined where the OS does not expose one. */
function bootId(): string | undefined {
  return readOrUndefined('/proc/sys/kernel/random/boot_id')?.trim() || undefined
}

/** The start time of process `pid` (Linux), or undefined. */
export function processStartTicks(pid: number): string | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`)
  if (stat === undefined) return undefined
  // The command name (field 2) is in parentheses and may hold spaces or ')': fields after the
  // LAST ')' are plain, starting with field 3 (state); start time is field 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = fields[22 - 3]
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined
}

/** The lock file text for this process. */
function ownerText(): string {
  const ticks = processStartTicks(process.pid)
  const boot = bootId()
  return `${process.pid}\n${ticks ?? ''}\n${boot ?? ''}\n`
}

/** Reads a lock file: `pid` on line 1 (all an older lock holds), then start ticks and boot id. */
function parseOwner(text: string): LockOwner {
  const [pid = '', startTicks = '', boot = ''] = text.split('\n').map((line) => line.trim())
  return {
    pid: /^\d+$/.test(pid) ? Number(pid) : Number.NaN,
    ...(startTicks === '' ? {} : { startTicks }),
    ...(boot === '' ? {} : { bootId: boot }),
  }
}

/** Whether the process named by the lock still runs: same pid, and the same process where known. */
function ownerRunning(owner: LockOwner): boolean {
  if (!alive(owner.pid)) return false
  const boot = bootId()
  if (owner.bootId !== undefined && boot !== undefined && owner.bootId !== boot) return false
  if (owner.startTicks === undefined) return true
  const ticks = processStartTicks(owner.pid)
  return ticks === undefined || ticks === owner.startTicks
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the lock of `dir` or throws `OutboxError` (`E_OUTBOX_LOCKED`); returns the release function. */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number
    try {
      fd = openSync(path, 'wx')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new OutboxError('E_OUTBOX', dir, `open outbox failed: cannot create ${path}`, {
          cause: error,
        })
      }
      const text = readOrUndefined(path)
      // Vanished between the create and the read: try again.
      if (text === undefined) continue
      const owner = parseOwner(text)
      // A lock file without a pid is a crash between create and write (the pid is written at once).
      const self = owner.pid === process.pid
      if (
        Number.isInteger(owner.pid) &&
        owner.pid > 0 &&
        (self ? heldHere.has(dir) : ownerRunning(owner))
      ) {
        throw new OutboxError(
          'E_OUTBOX_LOCKED',
          dir,
          `open outbox failed: ${dir} is in use by process ${owner.pid}${self ? ' (this process: another client)' : ''}; one client per outbox directory (delete ${path} only if that process is not an ampkit client)`,
        )
      }
      try {
        unlinkSync(path)
      } catch {
        // Another process removed the stale lock first; the next create decides.
      }
      continue
    }
    writeSync(fd, ownerText())
    closeSync(fd)
    heldHere.add(dir)
    let released = false
    return () => {
      if (released) return
      released = true
      heldHere.delete(dir)
      try {
        unlinkSync(path)
      } catch {
        // Already gone: nothing to release.
      }
    }
  }
  throw new OutboxError('E_OUTBOX_LOCKED', dir, `open outbox failed: could not take ${path}`)
}
