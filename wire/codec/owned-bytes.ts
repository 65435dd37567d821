// Copies of bytes that must outlive the buffer they were read from, without an ArrayBuffer each.
//
// The client (under Node) decodes a response where its socket received it, in a view of the
// socket's read buffer (reused by the next read: node-web-socket.ts), so that no message is copied
// whole. A value or key handed to a caller must not keep that buffer alive, nor see it change, so
// it is copied out: a small one into a shared slab, as Node's Buffer pool does
// (Buffer.allocUnsafe below 4 KiB), so that a small value kept by a caller holds at most one 8 KiB
// slab, and most copies cost no allocation of memory, only a view; a larger one gets its own.
//
//   slab: [ value a | value b | value c |  free  ]  ─full─►  a new slab (the old one lives while a view does)

/** Bytes per slab (Node's Buffer.poolSize). */
const slabBytes = 8 * 1024;
/** Copies larger than this get an ArrayBuffer of their own (Node's pool takes up to poolSize / 2). */
const slabCopyBytesMax = slabBytes / 2;

let slab = new Uint8Array(slabBytes);
let slabUsed = 0;

/** A copy of `bytes` that shares no memory with them: a plain Uint8Array. */
export function ownedCopy(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  // new Uint8Array(bytes) copies even a Buffer, whose slice() would be a view.
  if (length > slabCopyBytesMax) return new Uint8Array(bytes);
  if (slabUsed + length > slabBytes) {
    slab = new Uint8Array(slabBytes);
    slabUsed = 0;
  }
  const copy = slab.subarray(slabUsed, slabUsed + length);
  copy.set(bytes);
  // The next copy starts 8-aligned, as Node's pool aligns its slices.
  slabUsed = (slabUsed + length + 7) & ~7;
  return copy;
}
