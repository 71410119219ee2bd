/**
 * @module CRC-32 (IEEE, the zlib/PNG polynomial) of the outbox records. Node's native `zlib.crc32`
 * exists from Node 20.15 / 22.2; the package supports Node 20.19+, but the table-driven fallback
 * keeps the log readable on any runtime that lacks it (both compute the same checksum).
 */
import * as zlib from 'node:zlib'

const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** The table-driven CRC-32 (exported for the test that checks it against the native one). */
export function crc32Table(data: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) {
    crc = (TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32

/** CRC-32 of `data`, as an unsigned 32-bit integer. */
export const crc32: (data: Uint8Array) => number =
  typeof native === 'function' ? (data) => native(data) >>> 0 : crc32Table
