// The engine's tables as an I/O thread reads them: one DirectRead per shard (the front's own
// direct read, engine/front/direct-read.ts), the partition map and the namespaces, built from what
// the engine hands over (Engine.directReadSources: shared memory, so the same bytes).

import { DirectOutcome, DirectRead, type DirectReadSources } from '../../../engine/front/direct-read';
import { OpRequest } from '../../../engine/front/op-request';
import type { KeyOpcode } from '../../../engine/layout/batch-layout';
import { keyHash } from '../../../engine/layout/hash';
import { PartitionMap } from '../../../engine/layout/partition-map';
import { TableReader } from '../../../engine/layout/table-reader';
import type { NamespaceConfig } from '../../../engine/layout/types';

export class SharedTables {
  readonly namespaces: readonly NamespaceConfig[];
  readonly #namespaceIds: Map<string, number>;
  readonly #partitions: PartitionMap;
  readonly #direct: DirectRead[];
  readonly #request = new OpRequest();
  #last: DirectRead | null = null;

  constructor(sources: DirectReadSources) {
    this.namespaces = sources.namespaces;
    this.#namespaceIds = new Map(sources.namespaces.map((namespace, id) => [namespace.name, id]));
    this.#partitions = new PartitionMap(sources.shards);
    this.#direct = sources.shardOptions.map((shard) => new DirectRead(new TableReader(shard.tableBuffer), shard.journalBuffer, shard.controlBuffer));
  }

  namespaceId(name: string): number | undefined {
    return this.#namespaceIds.get(name);
  }

  /**
   * Reads (namespaceId, key), a get or a head, validated by the caller. Hit: `hit` holds the record
   * until the next read. FallBack: only the owner can answer (relay to the front).
   */
  read(opcode: KeyOpcode, namespaceId: number, key: Uint8Array): DirectOutcome {
    const request = this.#request.reset(opcode, namespaceId, key, 0, key.length);
    const direct = this.#direct[this.#partitions.shardOfKey(key, 0, key.length)]!;
    this.#last = direct;
    return direct.read(request, keyHash(namespaceId, key, 0, key.length), this.namespaces[namespaceId]!);
  }

  /** The record the last read found (valid until the next read). */
  get hit(): DirectRead {
    return this.#last!;
  }
}
