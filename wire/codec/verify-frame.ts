// The FlatBuffers verifier for Tessera frames. The FlatBuffers TypeScript runtime reads whatever
// offsets a buffer holds, so every frame from the network passes through here before a generated
// accessor touches it: this is what makes "bad input never reaches a table".
//
// It follows the C++ flatbuffers::Verifier, plus what the TypeScript runtime needs:
// - every offset, vtable, vector and string lies inside the frame; scalars, offsets and vector
//   headers are aligned to their size (relative to the frame start, which the Builder aligns);
// - uoffsets are 1..2^31-1 and vtable / table sizes at most 0x7fff, because the runtime reads
//   uoffsets as int32 and vtable entries as int16: a larger value would send it backwards;
// - strings are NUL-terminated and well-formed UTF-8; enums and bools hold valid values;
//   required fields are present; a union has a valid type exactly when it has a value;
// - work is bounded: table depth, table visits and string bytes checked are limited, since a
//   FlatBuffer may point many offsets at one table or string (a DAG) to make a small frame
//   expensive to walk.
// It never throws on any input: every read is bounds-checked first, and a failure is a result.

import { Status } from '../../engine/layout/status';
import { assert } from '../../engine/layout/assert';
import { frameIdentifier, type FieldLayout, type TableLayout } from './schema-layout';
import { isUtf8 } from './utf8-validate';

export type VerifyResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: Status; readonly message: string };

/** Our schema nests at most 4 deep (ServerFrame > Response > Result > ScannedRecord). */
const tableDepthMax = 8;
/** The runtime reads uoffsets and vector lengths as int32. */
const uoffsetMax = 0x7fffffff;
/** The runtime reads vtable entries as int16. */
const voffsetMax = 0x7fff;
/**
 * String bytes checked per frame beyond the frame's own size. Builders may share strings (the
 * same namespace name for every op of a batch), which is legal; sharing one big string many
 * times is not something an honest client does, and would make verification quadratic.
 */
const sharedStringBytesAllowance = 256 * 1024;

const verified: VerifyResult = Object.freeze({ ok: true });

/** Verifies `bytes` as a frame whose root table has layout `root`. Never throws. */
export function verifyFrame(bytes: Uint8Array, root: TableLayout): VerifyResult {
  const result = reusedVerifier.reset(bytes).verify(root);
  reusedVerifier.reset(noBytes); // keeps no frame alive between calls
  return result;
}

class FrameVerifier {
  #bytes: Uint8Array;
  #view: DataView;
  #length: number;
  #tableVisitsLeft = 0;
  #stringBytesLeft = 0;
  #failureStatus: Status = Status.MalformedRequest;
  #failureMessage = '';

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#length = bytes.byteLength;
  }

  /**
   * Points the verifier at a new frame. One verifier serves every frame of the thread
   * (verification is synchronous and never re-entered): no verifier object per frame.
   */
  reset(bytes: Uint8Array): this {
    this.#view = bytes === noBytes ? noView : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#bytes = bytes;
    this.#length = bytes.byteLength;
    // Distinct tables take at least 4 bytes each (their soffset); more visits than that means
    // tables are shared to make the walk expensive.
    this.#tableVisitsLeft = (this.#length >>> 2) + 1;
    this.#stringBytesLeft = 2 * this.#length + sharedStringBytesAllowance;
    this.#failureStatus = Status.MalformedRequest;
    this.#failureMessage = '';
    return this;
  }

  verify(root: TableLayout): VerifyResult {
    const headerBytes = 4 + frameIdentifier.length;
    if (this.#length < headerBytes) return this.#result(this.#fail('the frame is shorter than a FlatBuffer header'));
    if (this.#length > uoffsetMax) return this.#result(this.#fail('the frame is larger than 2 GiB'));
    for (let index = 0; index < frameIdentifier.length; index++) {
      if (this.#bytes[4 + index] !== frameIdentifier.charCodeAt(index)) {
        return this.#result(this.#fail(`the frame identifier is not ${frameIdentifier}`));
      }
    }
    const rootPosition = this.#followOffset(0, 'root');
    if (rootPosition < 0) return this.#result(false);
    return this.#result(this.#table(rootPosition, root, 1));
  }

  #result(ok: boolean): VerifyResult {
    if (ok) return verified;
    assert(this.#failureMessage !== '', 'a verification failure has a message');
    return { ok: false, status: this.#failureStatus, message: this.#failureMessage };
  }

  #fail(message: string, status: Status = Status.MalformedRequest): false {
    this.#failureStatus = status;
    this.#failureMessage = message;
    return false;
  }

  /** Follows the uoffset stored at `position`; returns the target, or -1 after #fail. */
  #followOffset(position: number, what: string): number {
    if ((position & 3) !== 0 || position + 4 > this.#length) {
      this.#fail(`${what}: offset misaligned or out of bounds`);
      return -1;
    }
    const offset = this.#view.getUint32(position, true);
    if (offset === 0 || offset > uoffsetMax || position + offset >= this.#length) {
      this.#fail(`${what}: offset ${offset} points outside the frame`);
      return -1;
    }
    return position + offset;
  }

  #table(position: number, layout: TableLayout, depth: number): boolean {
    if (depth > tableDepthMax) return this.#fail(`${layout.name}: tables nested too deep`);
    this.#tableVisitsLeft -= 1;
    if (this.#tableVisitsLeft < 0) return this.#fail(`${layout.name}: too many table references`);
    if ((position & 3) !== 0 || position + 4 > this.#length) {
      return this.#fail(`${layout.name}: table misaligned or out of bounds`);
    }
    const vtable = position - this.#view.getInt32(position, true);
    if (vtable < 0 || (vtable & 1) !== 0 || vtable + 4 > this.#length) {
      return this.#fail(`${layout.name}: vtable misaligned or out of bounds`);
    }
    const vtableSize = this.#view.getUint16(vtable, true);
    const tableSize = this.#view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || (vtableSize & 1) !== 0 || vtableSize > voffsetMax || vtable + vtableSize > this.#length) {
      return this.#fail(`${layout.name}: vtable size ${vtableSize} not valid`);
    }
    if (tableSize < 4 || tableSize > voffsetMax || position + tableSize > this.#length) {
      return this.#fail(`${layout.name}: table size ${tableSize} not valid`);
    }
    // Fields beyond the layout (from a newer schema) are ignored, as FlatBuffers intends.
    const fields = layout.fields;
    for (let index = 0; index < fields.length; index++) {
      const field = fields[index]!;
      const fieldOffset = this.#fieldOffset(vtable, vtableSize, index);
      if (fieldOffset === 0) {
        if (field.required) return this.#fail(`${field.path}: required field missing`);
        continue;
      }
      if (!this.#field(position, tableSize, fieldOffset, vtable, vtableSize, index, layout, depth)) return false;
    }
    return true;
  }

  /** The offset of field `index` inside its table, 0 when absent. */
  #fieldOffset(vtable: number, vtableSize: number, index: number): number {
    const slot = 4 + 2 * index;
    return slot + 2 <= vtableSize ? this.#view.getUint16(vtable + slot, true) : 0;
  }

  #field(
    table: number,
    tableSize: number,
    fieldOffset: number,
    vtable: number,
    vtableSize: number,
    index: number,
    layout: TableLayout,
    depth: number,
  ): boolean {
    const field = layout.fields[index]!;
    const size = inlineSizeOf(field);
    if (fieldOffset < 4 || fieldOffset + size > tableSize) {
      return this.#fail(`${field.path}: field outside its table`);
    }
    const position = table + fieldOffset;
    if (position % size !== 0) return this.#fail(`${field.path}: field misaligned`);
    const what = field.path;
    switch (field.kind) {
      case 'bool':
        return this.#bytes[position]! <= 1 || this.#fail(`${what}: bool is neither 0 nor 1`);
      case 'enum':
        return this.#bytes[position]! <= field.enumMax || this.#fail(`${what}: enum value out of range`);
      case 'union-type': {
        const type = this.#bytes[position]!;
        if (type > field.enumMax) return this.#fail(`${what}: union type out of range`);
        // The value field follows the type field; a type without a value is malformed.
        const valuePresent = this.#fieldOffset(vtable, vtableSize, index + 1) !== 0;
        return type === 0 || valuePresent || this.#fail(`${what}: union type without a value`);
      }
      case 'union':
        return this.#union(table, vtable, vtableSize, index, position, layout, depth);
      case 'uint32':
      case 'uint64':
      case 'int64':
      case 'float64':
        return true;
      case 'string':
        return this.#string(this.#followOffset(position, what), what);
      case 'bytes': {
        const target = this.#followOffset(position, what);
        return target >= 0 && this.#vectorLength(target, 1, what) >= 0;
      }
      case 'table': {
        assert(field.table !== null, 'a table field has a layout');
        const target = this.#followOffset(position, what);
        return target >= 0 && this.#table(target, field.table, depth + 1);
      }
      case 'tables':
        return this.#tableVector(this.#followOffset(position, what), field, what, depth);
    }
  }

  #union(
    table: number,
    vtable: number,
    vtableSize: number,
    index: number,
    position: number,
    layout: TableLayout,
    depth: number,
  ): boolean {
    const field = layout.fields[index]!;
    const what = field.path;
    const typeField = layout.fields[index - 1];
    assert(typeField !== undefined && typeField.kind === 'union-type', 'a union follows its type field');
    // The type field was verified just before (lower index), so its byte is inside the table.
    const typeOffset = this.#fieldOffset(vtable, vtableSize, index - 1);
    const type = typeOffset === 0 ? 0 : this.#bytes[table + typeOffset]!;
    const member = field.members[type];
    if (member === undefined || member === null) return this.#fail(`${what}: union value without a valid type`);
    const target = this.#followOffset(position, what);
    return target >= 0 && this.#table(target, member, depth + 1);
  }

  /** The element count of the vector at `position`, or -1 after #fail. */
  #vectorLength(position: number, elementSize: number, what: string): number {
    if ((position & 3) !== 0 || position + 4 > this.#length) {
      this.#fail(`${what}: vector misaligned or out of bounds`);
      return -1;
    }
    const count = this.#view.getUint32(position, true);
    if (count > (this.#length - position - 4) / elementSize) {
      this.#fail(`${what}: vector of ${count} elements runs past the frame`);
      return -1;
    }
    return count;
  }

  #string(position: number, what: string): boolean {
    if (position < 0) return false;
    const byteLength = this.#vectorLength(position, 1, what);
    if (byteLength < 0) return false;
    const start = position + 4;
    const end = start + byteLength;
    if (end >= this.#length || this.#bytes[end] !== 0) return this.#fail(`${what}: string not NUL-terminated`);
    this.#stringBytesLeft -= byteLength;
    if (this.#stringBytesLeft < 0) return this.#fail(`${what}: too many string bytes referenced`);
    return isUtf8(this.#bytes, start, end) || this.#fail(`${what}: string is not valid UTF-8`);
  }

  #tableVector(position: number, field: FieldLayout, what: string, depth: number): boolean {
    if (position < 0) return false;
    assert(field.table !== null, 'a table vector has a layout');
    const count = this.#vectorLength(position, 4, what);
    if (count < 0) return false;
    if (count > field.lengthMax) {
      return this.#fail(`${what}: ${count} elements, at most ${field.lengthMax} allowed`, field.lengthStatus);
    }
    for (let element = 0; element < count; element++) {
      const target = this.#followOffset(position + 4 + 4 * element, what);
      if (target < 0 || !this.#table(target, field.table, depth + 1)) return false;
    }
    return true;
  }
}

const noBytes = new Uint8Array(0);
const noView = new DataView(noBytes.buffer);
const reusedVerifier = new FrameVerifier(noBytes);

/** Bytes the field takes inside its table: scalars their size, references a uoffset. */
function inlineSizeOf(field: FieldLayout): number {
  switch (field.kind) {
    case 'bool':
    case 'enum':
    case 'union-type':
      return 1;
    case 'uint32':
      return 4;
    case 'uint64':
    case 'int64':
    case 'float64':
      return 8;
    case 'string':
    case 'bytes':
    case 'table':
    case 'tables':
    case 'union':
      return 4;
  }
}
