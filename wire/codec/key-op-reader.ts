// Request frames of key ops (get, head, put, delete, touch), verified and read in one pass into
// reused op objects: the WebSocket fast path's decoder (issue 10). The general path,
// verifyFrame + decodeRequest, walks the schema generically and builds fresh objects per frame and
// per op (a verifier and a DataView per frame, a BigInt id, an object and a decoded namespace
// string per op): 0.7-0.8 µs for a one-get frame, most of it the generic walk.
//
// This reader accepts a frame only when it can prove decodeRequest would accept it too and read the
// same ops: it applies the verifier's checks (verify-frame.ts) to every field it meets, with the
// same budgets, and answers false ("take the general path") for anything else: a frame that fails
// a check, an op kind other than the five, a field the key ops do not use, op tables that are not
// laid out one after another (shared tables), a decode-time refusal (a ttl or content type out of
// range). The general path then gives the exact status. key-op-reader.test.ts holds the two
// together on random and mutated frames.
//
// What read() fills is valid until the next read(): the op objects are reused per op index and kind,
// keys and values are views into the frame (as decodeRequest's), and namespace names are interned.

import { contentTypeBytesMax, frameBytesMax, opsPerRequestMax, ttlSecMax } from '../../engine/layout/limits';
import type { PutMode } from '../../engine/layout/types';
import { frameIdentifier } from './schema-layout';
import { isUtf8 } from './utf8-validate';

export type KeyOp =
  | { op: 'get'; ns: string; key: Uint8Array }
  | { op: 'head'; ns: string; key: Uint8Array }
  | { op: 'put'; ns: string; key: Uint8Array; value: Uint8Array; mode: PutMode; ifGeneration: number; ttl: number | undefined; contentType: string | undefined; tags?: string[] }
  | { op: 'delete'; ns: string; key: Uint8Array; ifGeneration: number }
  | { op: 'touch'; ns: string; key: Uint8Array; ttl: number | undefined };

type GetOp = Extract<KeyOp, { op: 'get' }>;
type HeadOp = Extract<KeyOp, { op: 'head' }>;
type PutOp = Extract<KeyOp, { op: 'put' }>;
type DeleteOp = Extract<KeyOp, { op: 'delete' }>;
type TouchOp = Extract<KeyOp, { op: 'touch' }>;

/** As verify-frame.ts: uoffsets are read as int32 by the runtime, vtable entries as int16. */
const uoffsetMax = 0x7fffffff;
const voffsetMax = 0x7fff;
const sharedStringBytesAllowance = 256 * 1024;
const noBytes = new Uint8Array(0);
const putModes: readonly PutMode[] = ['upsert', 'create', 'update'];
/** OpKind values (schemas/tessera.fbs) of the five key ops. */
const kindGet = 0;
const kindHead = 1;
const kindPut = 2;
const kindDelete = 3;
const kindTouch = 4;
/**
 * Op fields (vtable slot = field index) each key op may carry; any other present field sends the
 * frame to the general path. Bits: 0 kind, 1 ns, 2 key, 3 value, 4 mode, 5 if_generation, 6 ttl,
 * 7 content_type, 14 tags.
 */
const fieldsAllowed: readonly number[] = [0b111, 0b111, 0b100_0000_1111_1111, 0b10_0111, 0b100_0111];
const opFieldCount = 15;
/** Interned namespace names, most recent first; a frame's namespace is compared as bytes. */
const internedMax = 16;

export class KeyOpReader {
  id = 0;
  count = 0;
  /** [0, count): this frame's ops; objects reused per index and kind. */
  readonly ops: KeyOp[] = [];
  #bytes: Uint8Array = noBytes;
  #view: DataView = new DataView(new ArrayBuffer(0));
  #length = 0;
  #tableVisitsLeft = 0;
  #stringBytesLeft = 0;
  readonly #gets: GetOp[] = [];
  readonly #heads: HeadOp[] = [];
  readonly #puts: PutOp[] = [];
  readonly #deletes: DeleteOp[] = [];
  readonly #touches: TouchOp[] = [];
  readonly #internedBytes: Uint8Array[] = [];
  readonly #internedNames: string[] = [];
  readonly #textDecoder = new TextDecoder();
  /** The string field just read (#readString); its text only when asked for. */
  #stringStart = 0;
  #stringEnd = 0;
  /** The length of the vector #vectorStart found. */
  #vectorBytes = 0;

  /** True: `bytes` is a request of key ops only, read into id, count and ops. False: use decodeRequest. */
  read(bytes: Uint8Array): boolean {
    const length = bytes.byteLength;
    if (length < 4 + frameIdentifier.length || length > frameBytesMax) return false;
    for (let index = 0; index < frameIdentifier.length; index++) if (bytes[4 + index] !== frameIdentifier.charCodeAt(index)) return false;
    this.#bytes = bytes;
    if (this.#view.buffer !== bytes.buffer || this.#view.byteOffset !== bytes.byteOffset || this.#view.byteLength !== length) {
      this.#view = new DataView(bytes.buffer, bytes.byteOffset, length);
    }
    this.#length = length;
    this.#tableVisitsLeft = (length >>> 2) + 1;
    this.#stringBytesLeft = 2 * length + sharedStringBytesAllowance;
    const ok = this.#readRequest(this.#follow(0));
    // Nothing of the frame is kept past the read but the views handed out in ops.
    this.#bytes = noBytes;
    return ok;
  }

  #readRequest(table: number): boolean {
    const vtable = this.#table(table);
    if (vtable < 0) return false;
    const view = this.#view;
    const vtableSize = view.getUint16(vtable, true);
    const tableSize = view.getUint16(vtable + 2, true);
    // id: uint64, present (else the general path says MalformedRequest), at most 2^53-1.
    const idOffset = slot(view, vtable, vtableSize, 0);
    if (idOffset === 0 || !this.#fieldFits(table, tableSize, idOffset, 8)) return false;
    const low = view.getUint32(table + idOffset, true);
    const high = view.getUint32(table + idOffset + 4, true);
    if (high > 0x1fffff) return false;
    // ops: required, a vector of tables.
    const opsOffset = slot(view, vtable, vtableSize, 1);
    if (opsOffset === 0 || !this.#fieldFits(table, tableSize, opsOffset, 4)) return false;
    const vector = this.#follow(table + opsOffset);
    if (vector < 0 || (vector & 3) !== 0 || vector + 4 > this.#length) return false;
    const count = view.getUint32(vector, true);
    if (count === 0 || count > (this.#length - vector - 4) / 4 || count > opsPerRequestMax) return false;
    let previous = -1;
    for (let index = 0; index < count; index++) {
      const opTable = this.#follow(vector + 4 + 4 * index);
      // Distinct tables in one direction (a Builder writes them back to front): a table shared by
      // several elements is legal, and left to the general path with its visit budget.
      if (opTable < 0 || (previous !== -1 && opTable >= previous)) return false;
      previous = opTable;
      if (!this.#readOp(opTable, index)) return false;
    }
    this.id = high * 0x1_0000_0000 + low;
    this.count = count;
    this.ops.length = count;
    return true;
  }

  #readOp(table: number, index: number): boolean {
    const vtable = this.#table(table);
    if (vtable < 0) return false;
    const view = this.#view;
    const bytes = this.#bytes;
    const vtableSize = view.getUint16(vtable, true);
    const tableSize = view.getUint16(vtable + 2, true);
    const kindOffset = slot(view, vtable, vtableSize, 0);
    if (kindOffset !== 0 && !this.#fieldFits(table, tableSize, kindOffset, 1)) return false;
    const kind = kindOffset === 0 ? kindGet : bytes[table + kindOffset]!;
    if (kind > kindTouch) return false;
    const allowed = fieldsAllowed[kind]!;
    for (let field = 0; field < opFieldCount; field++) {
      if (slot(view, vtable, vtableSize, field) !== 0 && (allowed & (1 << field)) === 0) return false;
    }
    // ns: a string; key: bytes; both required by the decoder.
    const nsOffset = slot(view, vtable, vtableSize, 1);
    if (nsOffset === 0 || !this.#readString(table, tableSize, nsOffset)) return false;
    const ns = this.#internedName();
    const keyOffset = slot(view, vtable, vtableSize, 2);
    const key = keyOffset === 0 ? null : this.#readBytes(table, tableSize, keyOffset);
    if (key === null) return false;
    switch (kind) {
      case kindGet: {
        const op = (this.#gets[index] ??= { op: 'get', ns: '', key: noBytes });
        op.ns = ns;
        op.key = key;
        this.ops[index] = op;
        return true;
      }
      case kindHead: {
        const op = (this.#heads[index] ??= { op: 'head', ns: '', key: noBytes });
        op.ns = ns;
        op.key = key;
        this.ops[index] = op;
        return true;
      }
      case kindDelete: {
        const ifGeneration = this.#uint32(table, tableSize, slot(view, vtable, vtableSize, 5));
        if (ifGeneration < 0) return false;
        const op = (this.#deletes[index] ??= { op: 'delete', ns: '', key: noBytes, ifGeneration: 0 });
        op.ns = ns;
        op.key = key;
        op.ifGeneration = ifGeneration;
        this.ops[index] = op;
        return true;
      }
      case kindTouch: {
        const ttl = this.#ttl(table, tableSize, slot(view, vtable, vtableSize, 6));
        if (ttl === null) return false;
        const op = (this.#touches[index] ??= { op: 'touch', ns: '', key: noBytes, ttl: undefined });
        op.ns = ns;
        op.key = key;
        op.ttl = ttl;
        this.ops[index] = op;
        return true;
      }
      default:
        return this.#readPut(table, tableSize, vtable, vtableSize, index, ns, key);
    }
  }

  #readPut(table: number, tableSize: number, vtable: number, vtableSize: number, index: number, ns: string, key: Uint8Array): boolean {
    const view = this.#view;
    const valueOffset = slot(view, vtable, vtableSize, 3);
    const value = valueOffset === 0 ? null : this.#readBytes(table, tableSize, valueOffset);
    if (value === null) return false;
    const modeOffset = slot(view, vtable, vtableSize, 4);
    if (modeOffset !== 0 && !this.#fieldFits(table, tableSize, modeOffset, 1)) return false;
    const mode = putModes[modeOffset === 0 ? 0 : this.#bytes[table + modeOffset]!];
    if (mode === undefined) return false;
    const ifGeneration = this.#uint32(table, tableSize, slot(view, vtable, vtableSize, 5));
    if (ifGeneration < 0) return false;
    const ttl = this.#ttl(table, tableSize, slot(view, vtable, vtableSize, 6));
    if (ttl === null) return false;
    let contentType: string | undefined;
    const contentTypeOffset = slot(view, vtable, vtableSize, 7);
    if (contentTypeOffset !== 0) {
      if (!this.#readString(table, tableSize, contentTypeOffset) || this.#stringEnd - this.#stringStart > contentTypeBytesMax) return false;
      contentType = this.#textDecoder.decode(this.#bytes.subarray(this.#stringStart, this.#stringEnd));
    }
    let tags: string[] | undefined;
    const tagsOffset = slot(view, vtable, vtableSize, 14);
    if (tagsOffset !== 0) {
      if (!this.#readString(table, tableSize, tagsOffset)) return false;
      tags = this.#textDecoder.decode(this.#bytes.subarray(this.#stringStart, this.#stringEnd)).split(' ');
    }
    const op = (this.#puts[index] ??= { op: 'put', ns: '', key: noBytes, value: noBytes, mode: 'upsert', ifGeneration: 0, ttl: undefined, contentType: undefined, tags: undefined });
    op.ns = ns;
    op.key = key;
    op.value = value;
    op.mode = mode;
    op.ifGeneration = ifGeneration;
    op.ttl = ttl;
    op.contentType = contentType;
    op.tags = tags;
    this.ops[index] = op;
    return true;
  }

  /** The table at `position` checked as the verifier checks it; its vtable's position, or -1. */
  #table(position: number): number {
    if (position < 0) return -1;
    this.#tableVisitsLeft -= 1;
    if (this.#tableVisitsLeft < 0 || (position & 3) !== 0 || position + 4 > this.#length) return -1;
    const view = this.#view;
    const vtable = position - view.getInt32(position, true);
    if (vtable < 0 || (vtable & 1) !== 0 || vtable + 4 > this.#length) return -1;
    const vtableSize = view.getUint16(vtable, true);
    const tableSize = view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || (vtableSize & 1) !== 0 || vtableSize > voffsetMax || vtable + vtableSize > this.#length) return -1;
    if (tableSize < 4 || tableSize > voffsetMax || position + tableSize > this.#length) return -1;
    return vtable;
  }

  /** The uoffset at `position` followed, or -1 (the verifier's #followOffset). */
  #follow(position: number): number {
    if ((position & 3) !== 0 || position + 4 > this.#length) return -1;
    const offset = this.#view.getUint32(position, true);
    if (offset === 0 || offset > uoffsetMax || position + offset >= this.#length) return -1;
    return position + offset;
  }

  /** A field of `size` bytes at fieldOffset lies inside its table and is aligned. */
  #fieldFits(table: number, tableSize: number, fieldOffset: number, size: number): boolean {
    return fieldOffset >= 4 && fieldOffset + size <= tableSize && (table + fieldOffset) % size === 0;
  }

  /** A string field: bounds, NUL, the string budget and UTF-8; sets #stringStart/#stringEnd. */
  #readString(table: number, tableSize: number, fieldOffset: number): boolean {
    const start = this.#vectorStart(table, tableSize, fieldOffset);
    if (start < 0) return false;
    const end = start + this.#vectorBytes;
    if (end >= this.#length || this.#bytes[end] !== 0) return false;
    this.#stringBytesLeft -= this.#vectorBytes;
    if (this.#stringBytesLeft < 0 || !isUtf8(this.#bytes, start, end)) return false;
    this.#stringStart = start;
    this.#stringEnd = end;
    return true;
  }

  /** A [ubyte] field as a view into the frame, or null. */
  #readBytes(table: number, tableSize: number, fieldOffset: number): Uint8Array | null {
    const start = this.#vectorStart(table, tableSize, fieldOffset);
    return start < 0 ? null : this.#bytes.subarray(start, start + this.#vectorBytes);
  }

  /**
   * The first byte of the byte vector (or string) a reference field points to, its length in
   * #vectorBytes; -1 when the field or the vector is misplaced or runs past the frame (the
   * verifier's #followOffset and #vectorLength).
   */
  #vectorStart(table: number, tableSize: number, fieldOffset: number): number {
    if (!this.#fieldFits(table, tableSize, fieldOffset, 4)) return -1;
    const position = this.#follow(table + fieldOffset);
    if (position < 0 || (position & 3) !== 0 || position + 4 > this.#length) return -1;
    const byteLength = this.#view.getUint32(position, true);
    if (byteLength > this.#length - position - 4) return -1;
    this.#vectorBytes = byteLength;
    return position + 4;
  }

  /** A uint32 field (0 when absent), or -1 when it is misplaced. */
  #uint32(table: number, tableSize: number, fieldOffset: number): number {
    if (fieldOffset === 0) return 0;
    if (!this.#fieldFits(table, tableSize, fieldOffset, 4)) return -1;
    return this.#view.getUint32(table + fieldOffset, true);
  }

  /** The ttl field in seconds (undefined: the namespace default), or null (misplaced, or out of range). */
  #ttl(table: number, tableSize: number, fieldOffset: number): number | undefined | null {
    if (fieldOffset === 0) return undefined;
    if (!this.#fieldFits(table, tableSize, fieldOffset, 8)) return null;
    const low = this.#view.getUint32(table + fieldOffset, true);
    const high = this.#view.getInt32(table + fieldOffset + 4, true);
    if (high === -1 && low === 0xffffffff) return undefined; // -1: the namespace default
    if (high !== 0) return null; // negative, or far above ttlSecMax
    return low <= ttlSecMax ? low : null;
  }

  /** The namespace string just read (#readString), interned: no string is built for a known name. */
  #internedName(): string {
    const bytes = this.#bytes;
    const start = this.#stringStart;
    const length = this.#stringEnd - start;
    const interned = this.#internedBytes;
    for (let candidate = 0; candidate < interned.length; candidate++) {
      const known = interned[candidate]!;
      if (known.byteLength !== length) continue;
      let same = true;
      for (let index = 0; index < length; index++) {
        if (known[index] !== bytes[start + index]) {
          same = false;
          break;
        }
      }
      if (same) return this.#internedNames[candidate]!;
    }
    const name = this.#textDecoder.decode(bytes.subarray(start, this.#stringEnd));
    if (interned.length === internedMax) {
      interned.pop();
      this.#internedNames.pop();
    }
    interned.unshift(bytes.slice(start, this.#stringEnd));
    this.#internedNames.unshift(name);
    return name;
  }
}

/** The offset of field `index` in its table (0: absent), from the vtable. */
function slot(view: DataView, vtable: number, vtableSize: number, index: number): number {
  const at = 4 + 2 * index;
  return at + 2 <= vtableSize ? view.getUint16(vtable + at, true) : 0;
}
