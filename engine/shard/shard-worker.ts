// The Piscina worker module: a shard thread's whole world. On load it attaches to the memory the
// front allocated, checks it and replays the journal tail a dead predecessor left (invariant 2);
// then each task is one batch.

import { move, workerData } from 'piscina';
import { exitCodeInternalError } from '../layout/exit-codes';
import { ShardExecutor } from './shard-executor';
import type { ShardOptions } from '../layout/shard-options';

const options = workerData as ShardOptions;
const executor = new ShardExecutor(options);
const replayed = executor.recover();
if (replayed > 0) process.stderr.write(`tessera shard ${options.shardIndex}: replayed ${replayed} journal entries after a restart\n`);

export default function runBatch(batch: ArrayBuffer): ArrayBuffer {
  try {
    return move(executor.runBatch(batch)) as ArrayBuffer;
  } catch (error) {
    // A broken invariant: the table may be inconsistent, so this thread must not serve again.
    // Exiting makes Piscina start a fresh thread, which re-checks the table and replays.
    process.stderr.write(`tessera shard ${options.shardIndex}: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(exitCodeInternalError);
  }
}
