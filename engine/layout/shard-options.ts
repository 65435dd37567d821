// What the front hands each shard thread in workerData. Every buffer here is allocated by the main
// thread, so a replacement thread attaches to the same memory (invariant 2).

export interface ShardNamespaceOptions {
  /** This shard's share of the namespace's memory limit, in slot bytes. */
  budgetBytes: number;
  /** cache: evict (sampled LRU) when full; store: reject with OutOfMemory. */
  evicts: boolean;
  defaultTtlSec: number;
}

export interface ShardOptions {
  shardIndex: number;
  tableBuffer: SharedArrayBuffer;
  journalBuffer: SharedArrayBuffer;
  /** Engine-wide control words (control-layout.ts): the test clock. */
  controlBuffer: SharedArrayBuffer;
  /** Indexed by namespace id. */
  namespaces: ShardNamespaceOptions[];
}
