// The attach-time consistency check of a shard's table (shard-recovery.ts runs it after a restart;
// tests run it after their changes): every linked record lies in the arena and is not mid-write,
// the live count matches the index, and every free list stays in the arena and ends.

import { assert, fail } from '../layout/assert';
import { classCount } from '../layout/size-classes';
import {
  headerBytes,
  headerWordClassFreeHead8,
  isRecordOffset,
  offsetFrom8,
  recordFreeNextByte,
  recordHeaderBytes,
  recordVersionByte,
} from '../layout/table-layout';
import { wordAt } from '../layout/words';
import type { ShardTable } from './shard-table';

/** Free-list steps before a list is taken to loop (far more slots than a 4 GiB table holds). */
const freeListStepsMax = 1 << 28;

export function checkTable(table: ShardTable): void {
  const capacity = table.indexCapacity;
  const usedBytes = table.usedBytes;
  let live = 0;
  for (let slot = 0; slot < capacity; slot++) {
    const record = table.slotRecord(slot);
    if (!isRecordOffset(record)) continue;
    live++;
    if (record < headerBytes || record + recordHeaderBytes > usedBytes) fail(`slot ${slot} points outside the arena`);
    if ((table.u32[wordAt(record + recordVersionByte)]! & 1) !== 0) fail(`record at ${record} is mid-write`);
  }
  assert(live === table.indexLive, `index live count ${table.indexLive} but ${live} linked`);
  for (let classIndex = 0; classIndex < classCount; classIndex++) {
    let free8 = table.header[headerWordClassFreeHead8 + classIndex]!;
    for (let steps = 0; free8 !== 0; steps++) {
      if (steps >= freeListStepsMax) fail(`free list ${classIndex} loops`);
      if (offsetFrom8(free8) < headerBytes || offsetFrom8(free8) >= usedBytes) fail(`free list ${classIndex} leaves the arena`);
      free8 = table.u32[wordAt(offsetFrom8(free8) + recordFreeNextByte)]!;
    }
  }
}
