// The one request struct for Engine.submit(): a key op described by named fields instead of a
// positional list. Callers (engine.batch, the server, the engine benchmark) keep one and refill it
// per op, so naming the fields allocates nothing on the hot path. Submit copies what it needs into
// the shard's batch before it returns: the struct and its key bytes may be reused at once.

import { Opcode, PutModeCode, type KeyOpcode } from '../layout/batch-layout';

const empty = new Uint8Array(0);

export class OpRequest {
  opcode: KeyOpcode = Opcode.Get;
  namespaceId = 0;
  /** The key is keySource[keyStart, keyStart + keyLength). */
  keySource: Uint8Array = empty;
  keyStart = 0;
  keyLength = 0;
  /** Put only. */
  putMode: PutModeCode = PutModeCode.Upsert;
  /** Put and delete: 0 = no check. */
  ifGeneration = 0;
  /** Put and touch: seconds, -1 = the namespace default, 0 = never expires. */
  ttlSec = -1;
  /** Put only: the content type's UTF-8 bytes, or null for none. */
  contentType: Uint8Array | null = null;
  /** Put only. */
  value: Uint8Array | null = null;
  /** Put only: the joined surrogate keys (layout/surrogate-keys.ts), or null for none. */
  tags: Uint8Array | null = null;

  /** Sets the op and its key; every other field back to its default. Returns this. */
  reset(opcode: KeyOpcode, namespaceId: number, keySource: Uint8Array, keyStart: number, keyLength: number): this {
    this.opcode = opcode;
    this.namespaceId = namespaceId;
    this.keySource = keySource;
    this.keyStart = keyStart;
    this.keyLength = keyLength;
    this.putMode = PutModeCode.Upsert;
    this.ifGeneration = 0;
    this.ttlSec = -1;
    this.contentType = null;
    this.value = null;
    this.tags = null;
    return this;
  }
}
