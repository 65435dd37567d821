// Engine-wide control words shared by the main thread and every shard, as a Float64Array.
// Slot 0: the test clock in epoch ms; 0 means "use Date.now()" (tests set it through the engine's
// testing hooks to drive TTL expiry deterministically).

// Slot 1: 1 while the node is a replica (front/replication-apply.ts): its expiries arrive in the
// primary's stream, so a shard never removes an expired record on a read (that `expired` change
// would take an LSN of its own and shift every LSN after it); it only answers NotFound.

export const controlSlotClockOverrideMs = 0;
export const controlSlotFollower = 1;
export const controlSlots = 8;

export function allocateControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(controlSlots * 8);
}
