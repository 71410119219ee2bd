/**
 * @module Which format an input is: `--format` when given, else the extension (after a `.gz`),
 * else the first non-blank character (`[` a JSON array, `{` NDJSON, anything else CSV). A `.json`
 * file may hold either a JSON array or NDJSON, so it is sniffed too.
 */
import { openInput } from './open-input.ts'

/** The formats `ampkit import` reads. */
export const INPUT_FORMATS = ['ndjson', 'json', 'csv'] as const
export type InputFormat = (typeof INPUT_FORMATS)[number]

async function firstCharacter(path: string): Promise<string | undefined> {
  const input = await openInput(path)
  try {
    for await (const chunk of input.bytes as AsyncIterable<Buffer>) {
      const text = chunk.toString('latin1').trimStart()
      if (text !== '') return text[0]
    }
    return undefined
  } finally {
    input.bytes.destroy()
  }
}

/** Detects the format of `path`. */
export async function detectFormat(path: string): Promise<InputFormat> {
  const name = path.toLowerCase().replace(/\.(gz|gzip)$/, '')
  if (name.endsWith('.csv')) return 'csv'
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson'
  const first = await firstCharacter(path)
  if (first === '[') return 'json'
  if (first === '{' || name.endsWith('.json')) return 'ndjson'
  return 'csv'
}
