// Compressed copies of stored values, made once per record version and coding and kept in a bounded
// LRU, so a hot page is compressed once and not per request. Keyed by namespace, key, ETag and
// coding: the ETag names one version of one record for the life of the data (entity-tags.ts), so
// a copy can never be served for other content; a new version simply misses and the old copy ages
// out. Why a cache and not a copy made at write time: most values written are never read
// compressed (images, clients without Accept-Encoding, records overwritten before anyone reads
// them), a write-time copy would cost every write the compression and every record the extra bytes
// in the shard's table, and the WAL, snapshots and replication would have to carry or rebuild it.
// See docs/PERFORMANCE.md for the figures.
//
// Compression runs synchronously on the main thread: the value is a copy the request owns, the
// result is needed now, and values above compressionBytesMax are not compressed at all.

import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { assert } from '../../engine/layout/assert';
import { Coding } from './content-encoding';

/** Bytes of compressed copies kept (keys not counted: each is at most keyBytesMaxHard). */
export const compressedCopiesBytesMax = 32 * 1024 * 1024;
/**
 * Brotli quality 5 and gzip level 6: measured on 1-64 KiB of JSON and HTML (PERFORMANCE.md),
 * brotli 11 costs ~20x the time of 5 for a few percent smaller output; the copy is made on the
 * event loop, so the cheaper setting wins.
 */
const brotliQuality = 5;
const gzipLevel = 6;

interface Copy {
  ns: string;
  key: Uint8Array;
  bytes: Uint8Array;
}

/**
 * Entries are found by ETag and coding (a short string), then checked against the namespace and
 * the key's bytes: building a string from the key on every hit cost ~4 µs per request in the
 * first version (wrk, 4 KiB JSON); the tag is the same on two records only when two shards stamp
 * the same microsecond and generation, and such a clash only replaces an entry, never serves it.
 */
export class CompressedCopies {
  readonly #bytesMax: number;
  readonly #copies = new Map<string, Copy>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(bytesMax = compressedCopiesBytesMax) {
    assert(bytesMax > 0, 'compressed copies need a budget');
    this.#bytesMax = bytesMax;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#copies.size;
  }

  /** The value compressed with `coding`, from the cache or made now (and kept if it fits). */
  copy(ns: string, key: Uint8Array, entityTag: string, coding: Coding.Gzip | Coding.Brotli, value: Uint8Array): Uint8Array {
    const cacheKey = coding === Coding.Brotli ? `b${entityTag}` : `g${entityTag}`;
    const cached = this.#copies.get(cacheKey);
    if (cached !== undefined && cached.ns === ns && sameBytes(cached.key, key)) {
      // Map keeps insertion order: moving a hit to the end makes the first entry the least recent.
      this.#copies.delete(cacheKey);
      this.#copies.set(cacheKey, cached);
      this.hits++;
      return cached.bytes;
    }
    this.misses++;
    const compressed = compress(value, coding);
    if (cached !== undefined) this.#remove(cacheKey, cached);
    if (compressed.byteLength <= this.#bytesMax) {
      this.#copies.set(cacheKey, { ns, key: key.slice(), bytes: compressed });
      this.#bytes += compressed.byteLength;
      this.#evictOverBudget();
    }
    return compressed;
  }

  #remove(cacheKey: string, copy: Copy): void {
    this.#copies.delete(cacheKey);
    this.#bytes -= copy.bytes.byteLength;
  }

  #evictOverBudget(): void {
    for (const [cacheKey, copy] of this.#copies) {
      if (this.#bytes <= this.#bytesMax) break;
      this.#remove(cacheKey, copy);
    }
    assert(this.#bytes >= 0 && this.#bytes <= this.#bytesMax, 'compressed copies over budget');
  }
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.byteLength !== right.byteLength) return false;
  for (let index = 0; index < left.byteLength; index++) if (left[index] !== right[index]) return false;
  return true;
}

export function compress(value: Uint8Array, coding: Coding.Gzip | Coding.Brotli): Uint8Array {
  if (coding === Coding.Gzip) return gzipSync(value, { level: gzipLevel });
  return brotliCompressSync(value, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: brotliQuality,
      [constants.BROTLI_PARAM_SIZE_HINT]: value.byteLength,
    },
  });
}
