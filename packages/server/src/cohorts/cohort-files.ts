/**
 * @module The files of cohort downloads on disk (query-api.md §4.2). A file is written as its rows
 * are produced and read back as a stream, so neither side holds a cohort in memory, whatever its
 * size (Amplitude allows 2 M members).
 *
 * Where: the directory the app is given (`ampkit serve` gives `<data dir>/cohort-files`), whose
 * files are all leftovers of an earlier run when the app starts, so they are deleted then; or,
 * without one (`--memory`, tests), a directory of this process under `os.tmpdir()` named
 * `ampkit-cohort-files-<pid>-…`, removed at close. Such directories of processes that have ended
 * (a crash skips the close) are deleted at start; those of live processes are left alone.
 */
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'

/** Prefix of the per-process directories under `os.tmpdir()`. */
export const TEMP_DIR_PREFIX = 'ampkit-cohort-files-'

/** The names of the files (only these are ever deleted from a given directory). */
const FILE_NAME = /^cohort-[0-9a-f]{1,64}\.csv$/

/** The file name of a job's file. */
export function cohortFileName(requestId: string): string {
  if (!/^[0-9a-f]{1,64}$/.test(requestId))
    throw new Error(`cohort file: bad request id ${JSON.stringify(requestId)}`)
  return `cohort-${requestId}.csv`
}

/** Deletes the cohort files in `dir` (nothing else: the directory may be shared). */
async function deleteFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[]))
    if (FILE_NAME.test(name)) await rm(join(dir, name), { force: true }).catch(() => {})
}

/** A finished file. */
export interface CohortFile {
  path: string
  /** Its size, in bytes (the `Content-Length` it is served with). */
  bytes: number
}

/** A file opened for serving. */
export interface OpenedCohortFile {
  /** The bytes; cancelling it (a client that leaves) closes the file. */
  stream: ReadableStream<Uint8Array>
  bytes: number
}

/** Appends text to the file being written; resolves once the bytes are handed to the OS. */
export type WriteText = (text: string) => Promise<void>

let tempSweep: Promise<void> | undefined

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes the temp directories of ended processes, once per process. */
function sweepTempDirs(): Promise<void> {
  tempSweep ??= (async () => {
    const base = tmpdir()
    const names = await readdir(base).catch(() => [] as string[])
    for (const name of names) {
      if (!name.startsWith(TEMP_DIR_PREFIX)) continue
      const pid = Number(name.slice(TEMP_DIR_PREFIX.length).split('-')[0])
      if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue
      await rm(join(base, name), { recursive: true, force: true }).catch(() => {})
    }
  })()
  return tempSweep
}

/** The cohort files of one app. */
export class CohortFiles {
  readonly #configured: string | undefined
  /** The directory, ready for files (leftovers deleted); made on first use without one given. */
  #dir: Promise<string> | undefined
  readonly #removals = new Set<Promise<void>>()

  /** @param dir Where files go; undefined: a directory of this process under `os.tmpdir()`. */
  constructor(dir: string | undefined) {
    this.#configured = dir
    if (dir !== undefined) {
      // At start: the files there belong to jobs of an earlier run, which are gone.
      this.#dir = (async () => {
        await mkdir(dir, { recursive: true })
        await deleteFiles(dir)
        return dir
      })()
      // A failure is reported by the first write; the promise must not reject unobserved.
      this.#dir.catch(() => {})
    } else {
      void sweepTempDirs()
    }
  }

  #directory(): Promise<string> {
    this.#dir ??= (async () => {
      await sweepTempDirs()
      return mkdtemp(join(tmpdir(), `${TEMP_DIR_PREFIX}${process.pid}-`))
    })()
    return this.#dir
  }

  /**
   * Writes the file `name` (`cohortFileName`) with what `produce` appends (awaiting each append keeps memory to one
   * piece at a time). A failure deletes what was written and is rethrown.
   */
  async write(name: string, produce: (write: WriteText) => Promise<void>): Promise<CohortFile> {
    const path = join(await this.#directory(), name)
    const handle = await open(path, 'wx', 0o600)
    let bytes = 0
    try {
      await produce(async (text) => {
        const buffer = Buffer.from(text, 'utf8')
        let offset = 0
        while (offset < buffer.byteLength) {
          const { bytesWritten } = await handle.write(buffer, offset)
          offset += bytesWritten
        }
        bytes += buffer.byteLength
      })
      await handle.close()
    } catch (error) {
      await handle.close().catch(() => {})
      await rm(path, { force: true }).catch(() => {})
      throw error
    }
    return { path, bytes }
  }

  /**
   * Opens a file for serving; undefined when it is gone. The file stays readable to the end even
   * if its job is dropped (and the file deleted) meanwhile.
   */
  async open(file: CohortFile): Promise<OpenedCohortFile | undefined> {
    let handle: Awaited<ReturnType<typeof open>>
    try {
      handle = await open(file.path, 'r')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    const stream = createReadStream(file.path, { fd: handle, autoClose: true })
    return {
      stream: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
      bytes: file.bytes,
    }
  }

  /** Deletes a file (in the background; `close` waits for it). */
  remove(file: CohortFile): void {
    const removal = rm(file.path, { force: true }).catch(() => {})
    this.#removals.add(removal)
    void removal.finally(() => this.#removals.delete(removal))
  }

  /** Deletes every file: the cohort files of the given directory, or this process's temp one. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#removals])
    const dir = await this.#dir?.catch(() => undefined)
    if (dir === undefined) return
    if (this.#configured === undefined) {
      await rm(dir, { recursive: true, force: true }).catch(() => {})
      return
    }
    await deleteFiles(dir)
  }
}
