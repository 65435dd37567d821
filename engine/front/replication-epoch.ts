// The replication epoch of a node, kept in its data dir (`EPOCH`, JSON, replaced atomically): a
// primary stamps every stream frame with it; a replica keeps the highest it has followed and never
// applies nor acknowledges a frame of an older one (fencing). A promotion takes the highest epoch
// the node has seen plus one. A node without a data dir keeps it in memory only.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFileLayer, writeFileAtomic } from '../layout/file-layer';

export const epochFileName = 'EPOCH';
/** The epoch of a history no promotion has touched. */
export const epochInitial = 1;
const epochMax = 2 ** 32 - 1;

export class EpochStore {
  readonly #filePath: string | null;
  #epoch: number;

  /** dataDir null: an in-memory store (a node without persistence). */
  constructor(dataDir: string | null) {
    this.#filePath = dataDir === null ? null : path.join(dataDir, epochFileName);
    this.#epoch = this.#filePath === null ? epochInitial : readEpoch(this.#filePath);
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Records a higher epoch (durably before it returns); a lower or equal one changes nothing. */
  raise(epoch: number): void {
    if (epoch <= this.#epoch) return;
    if (!Number.isInteger(epoch) || epoch > epochMax) throw new RangeError(`an epoch is a u32, got ${epoch}`);
    if (this.#filePath !== null) writeFileAtomic(nodeFileLayer, this.#filePath, Buffer.from(`${JSON.stringify({ epoch })}\n`));
    this.#epoch = epoch;
  }
}

function readEpoch(filePath: string): number {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return epochInitial;
    throw error;
  }
  const parsed = JSON.parse(text) as { epoch?: unknown };
  if (typeof parsed.epoch !== 'number' || !Number.isInteger(parsed.epoch) || parsed.epoch < 1 || parsed.epoch > epochMax) {
    throw new Error(`${filePath} is damaged: no valid epoch`);
  }
  return parsed.epoch;
}
