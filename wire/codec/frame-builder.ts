// One FlatBuffers Builder for every frame this thread encodes. Encoding is synchronous and never
// re-entered, so sharing it is safe; clear() between frames keeps its buffer, so steady-state
// encoding allocates only the output copy (and the UTF-8 of strings, inside the runtime).

import * as flatbuffers from 'flatbuffers';
import type { Key } from '../../engine/layout/types';
import { assert } from '../../engine/layout/assert';
import { frameIdentifier } from './schema-layout';

/** Holds most frames without growing (a get response of a few KiB, a batch of small puts). */
const builderBytesInitial = 64 * 1024;
/**
 * After a frame larger than this (an 8 MiB batch), the grown builder is dropped rather than kept
 * for the life of the process.
 */
const builderBytesRetainedMax = 1024 * 1024;

let builder = new flatbuffers.Builder(builderBytesInitial);
/** Table offsets waiting to become a vector; a stack, since scan records nest inside results. */
const pendingOffsets: flatbuffers.Offset[] = [];

export function beginFrame(): flatbuffers.Builder {
  builder.clear();
  pendingOffsets.length = 0;
  return builder;
}

/** Finishes the frame with the identifier and returns a copy the caller owns. */
export function endFrame(root: flatbuffers.Offset): Uint8Array {
  const frame = endFrameView(root).slice();
  releaseLargeBuilder();
  return frame;
}

/**
 * Finishes the frame and returns a view into the shared builder, valid only until the next
 * beginFrame(): for a caller that copies the frame at once into a buffer of its own (the
 * WebSocket outbox), so no ArrayBuffer is allocated per frame. Call releaseLargeBuilder() after
 * the copy.
 */
export function endFrameView(root: flatbuffers.Offset): Uint8Array {
  builder.finish(root, frameIdentifier);
  return builder.asUint8Array();
}

/** After a frame larger than builderBytesRetainedMax, drops the grown builder. */
export function releaseLargeBuilder(): void {
  if (builder.dataBuffer().capacity() > builderBytesRetainedMax) {
    builder = new flatbuffers.Builder(builderBytesInitial);
  }
}

export function pushOffset(offset: flatbuffers.Offset): void {
  pendingOffsets.push(offset);
}

/** The stack height, to pass to createOffsetVector once the elements are pushed. */
export function pendingOffsetCount(): number {
  return pendingOffsets.length;
}

/** A vector of the offsets pushed since the stack was `start` high, which it pops. */
export function createOffsetVector(target: flatbuffers.Builder, start: number): flatbuffers.Offset {
  assert(start >= 0 && start <= pendingOffsets.length, 'offset vector start inside the stack');
  const count = pendingOffsets.length - start;
  target.startVector(4, count, 4);
  // FlatBuffers builds back to front: the last element is written first.
  for (let index = pendingOffsets.length - 1; index >= start; index--) {
    target.addOffset(pendingOffsets[index]!);
  }
  pendingOffsets.length = start;
  return target.endVector();
}

/**
 * A [ubyte] vector of the key's bytes. A string goes through createString, which writes its UTF-8
 * as a vector followed by a NUL byte: a valid byte vector (the NUL is padding outside its length),
 * encoded without a separate TextEncoder pass.
 */
export function createKeyBytes(target: flatbuffers.Builder, key: Key): flatbuffers.Offset {
  return typeof key === 'string' ? createUtf8String(target, key) : target.createByteVector(key);
}

/** Strings up to this many characters are tried as ASCII, byte by byte (see createUtf8String). */
const asciiStringLengthMax = 256;

/**
 * builder.createString(text), the same bytes, without its TextEncoder.encode: that allocates an
 * ArrayBuffer per string, twice per op (namespace and key). An ASCII string (names and keys
 * usually are) is written a character at a time, back to front as FlatBuffers builds; any other
 * string goes through createString.
 */
export function createUtf8String(target: flatbuffers.Builder, text: string): flatbuffers.Offset {
  const length = text.length;
  if (length > asciiStringLengthMax) return target.createString(text);
  for (let index = 0; index < length; index++) if (text.charCodeAt(index) > 0x7f) return target.createString(text);
  target.addInt8(0); // the NUL after the string, as createString writes
  target.startVector(1, length, 1); // makes room for the bytes
  for (let index = length - 1; index >= 0; index--) target.writeInt8(text.charCodeAt(index));
  return target.endVector();
}
