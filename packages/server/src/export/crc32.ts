/**
 * @module CRC-32 (ISO-HDLC, the zip and gzip checksum) of the bytes a zip entry stores. Node's
 * native `zlib.crc32` (Node >= 20.15, below our 20.19 floor) runs at memory speed; a table-driven
 * JavaScript loop is several times slower and would cost a sizeable share of an export's time.
 */
import { crc32 as nativeCrc32 } from 'node:zlib'

/** The CRC-32 of `data`, continuing from `previous` (the CRC of the bytes before it; 0 to start). */
export function crc32(data: Uint8Array, previous = 0): number {
  return nativeCrc32(data, previous) >>> 0
}
