// Engine-wide control words shared by the main thread and every shard, as a Float64Array.
// Slot 0: the test clock in epoch ms; 0 means "use Date.now()" (tests set it through the engine's
// testing hooks to drive TTL expiry deterministically).

export const controlSlotClockOverrideMs = 0;
export const controlSlots = 8;

export function allocateControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(controlSlots * 8);
}
