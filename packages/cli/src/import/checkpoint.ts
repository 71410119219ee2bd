/**
 * @module The import checkpoint: per input file, the byte offset and line up to which every row is
 * done (delivered, or reported as invalid). It only ever moves on delivery results, so a resumed run
 * never skips an event that was merely queued. Written atomically (temporary file + rename), so an
 * interruption while writing leaves the previous checkpoint.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'

/** Where one input file stands. */
export interface FilePosition {
  /** Decompressed bytes of the file that are done. */
  offset: number
  /** Lines of the file that are done. */
  line: number
  /** Every row of the file is done. */
  complete: boolean
}

/** The checkpoint file's content. */
export interface CheckpointData {
  version: 1
  files: Record<string, FilePosition>
}

/** Reads a checkpoint; a missing file is an empty checkpoint. */
export async function readCheckpoint(path: string): Promise<CheckpointData> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, files: {} }
    throw error
  }
  const data = JSON.parse(text) as CheckpointData
  if (data.version !== 1 || typeof data.files !== 'object' || data.files === null)
    throw new Error(`${path} is not an ampkit import checkpoint`)
  return data
}

/** Writes a checkpoint atomically. */
export async function writeCheckpoint(path: string, data: CheckpointData): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(data, null, 2)}\n`)
  await rename(temporary, path)
}

/** The default checkpoint path of an input file: next to it. */
export function defaultCheckpointPath(inputPath: string): string {
  return `${inputPath}.ampkit-checkpoint.json`
}
