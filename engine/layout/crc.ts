// CRC-32 (IEEE, the zlib polynomial) for every durable format: WAL records, segment headers and
// snapshot frames. Node's zlib.crc32 (added in Node 20.15 / 22.2) runs zlib's table-driven and
// SIMD-folded code in C++, so no npm dependency is needed. It detects every burst error up to 32 bits
// and any odd number of flipped bits, which is what a torn or bit-rotted tail looks like.

import * as zlib from 'node:zlib';

type Crc32 = (data: NodeJS.ArrayBufferView, value?: number) => number;

const zlibCrc32 = (zlib as unknown as { crc32?: Crc32 }).crc32;
if (typeof zlibCrc32 !== 'function') {
  throw new Error(`zlib.crc32 is missing: Tessera's durable formats need Node >= 20.15 (this is ${process.version})`);
}
const crc32Native: Crc32 = zlibCrc32;

/** CRC-32 of bytes[start, end), continuing from `seed` (0 to start). No allocation beyond a view. */
export function crc32(bytes: Uint8Array, start: number, end: number, seed = 0): number {
  return crc32Native(bytes.subarray(start, end), seed) >>> 0;
}
