/**
 * @module The outbox directory lock: one process at a time. Two writers appending to the same
 * segments would interleave records and acknowledge each other's events, so a second opener is
 * refused. The lock is a file created with `wx` (atomic create-if-absent) holding the owner's pid; a
 * lock whose pid is no longer alive (`process.kill(pid, 0)` fails with ESRCH) was left by a crash and
 * is taken over. Known limit: a recycled pid (a new unrelated process with the dead owner's pid) keeps
 * the lock held until that process ends; the error message names the pid and the file to delete.
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
      let owner = Number.NaN
      try {
        owner = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
      } catch {
        // Vanished between the create and the read: try again.
        continue
      }
      // A lock file without a pid is a crash between create and write (the pid is written at once).
      const self = owner === process.pid
      if (Number.isInteger(owner) && owner > 0 && (self ? heldHere.has(dir) : alive(owner))) {
        throw new OutboxError(
          'E_OUTBOX_LOCKED',
          dir,
          `open outbox failed: ${dir} is in use by process ${owner}${self ? ' (this process: another client)' : ''}; one client per outbox directory (delete ${path} only if that process is not an ampkit client)`,
        )
      }
      try {
        unlinkSync(path)
      } catch {
        // Another process removed the stale lock first; the next create decides.
      }
      continue
    }
    writeSync(fd, `${process.pid}\n`)
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
