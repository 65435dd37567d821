// Which shard owns which partition. Partitions are dealt round-robin so every shard owns
// partitionCount / shards of them; the map is an array so a later rebalance can move one.
// shardOfKey is the one key-to-shard function: routing, direct reads and Engine.shardOf all use it.

import { partitionCount } from './limits';
import { partitionOfKey } from './partition';

export const shardsMax = 255;

export class PartitionMap {
  readonly shards: number;
  readonly #owner: Uint8Array;

  constructor(shards: number) {
    if (!Number.isInteger(shards) || shards < 1 || shards > shardsMax) throw new RangeError(`shards must be 1..${shardsMax}, got ${shards}`);
    this.shards = shards;
    this.#owner = new Uint8Array(partitionCount);
    for (let partition = 0; partition < partitionCount; partition++) this.#owner[partition] = partition % shards;
  }

  shardOf(partition: number): number {
    return this.#owner[partition]!;
  }

  /** The shard that owns the key bytes[start, start + length) (through its partition, layout/partition.ts). */
  shardOfKey(bytes: Uint8Array, start: number, length: number): number {
    return this.#owner[partitionOfKey(bytes, start, length)]!;
  }
}
