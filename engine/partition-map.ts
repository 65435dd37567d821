// Which shard owns which partition. Partitions are dealt round-robin so every shard owns
// partitionCount / shards of them; the map is an array so a later rebalance can move one.

import { partitionCount } from './limits';

export class PartitionMap {
  readonly shards: number;
  readonly #owner: Uint8Array;

  constructor(shards: number) {
    if (!Number.isInteger(shards) || shards < 1 || shards > 255) throw new RangeError(`shards must be 1..255, got ${shards}`);
    this.shards = shards;
    this.#owner = new Uint8Array(partitionCount);
    for (let partition = 0; partition < partitionCount; partition++) this.#owner[partition] = partition % shards;
  }

  shardOf(partition: number): number {
    return this.#owner[partition]!;
  }
}
