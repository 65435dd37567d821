// Purge: deletes every record a selection names, each deletion an ordinary delete op, so every one
// is a change like any other (subscribers see a delete event, the WAL logs it, replicas apply it).
//
// Work is bounded per step: one scan page of keys (purgePageRecords, without values), then one
// batch of deletes for that page, then a setImmediate before the next page, so reads and writes of
// other clients are served between pages instead of waiting behind the whole purge.
//
// Which records go (the rule the tests hold): a record under the prefix that exists when the purge
// starts and is not deleted by someone else meanwhile is deleted, because the scan returns every
// key present for the whole scan once. A record created after the purge started may or may not be
// deleted, depending on whether its (hash, key) position is still ahead of the scan's cursor.

import type { EngineApi } from '../../engine/front/engine-api';
import { Status } from '../../engine/layout/status';
import type { Op } from '../../engine/layout/types';
import { failureOf } from './engine-failure';

/** Keys scanned and deleted per step (one scan page, one delete batch). */
export const purgePageRecords = 256;
/** A purge stops after this many pages whatever happens: a bound on the loop, far above any namespace. */
const purgePagesMax = 2 ** 32 / purgePageRecords;

export interface PurgeOutcome {
  /** Records this purge deleted (a record someone else deleted first is not counted). */
  deleted: number;
  /** Ok, or why the purge stopped early (the records counted in `deleted` stay deleted). */
  status: Status;
  message?: string;
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Deletes every record of ns whose key starts with prefix (an empty prefix = the whole namespace). */
export async function purgeByPrefix(engine: EngineApi, ns: string, prefix: Uint8Array): Promise<PurgeOutcome> {
  let deleted = 0;
  let cursor: string | undefined;
  for (let page = 0; page < purgePagesMax; page++) {
    let keys: Uint8Array[];
    let next: string | null;
    try {
      const scanned = await engine.scan(ns, { prefix, limit: purgePageRecords, values: false, ...(cursor === undefined ? {} : { cursor }) });
      keys = scanned.records.map((record) => record.key);
      next = scanned.cursor;
    } catch (error) {
      return { deleted, ...failureOf(error) };
    }
    const outcome = await deleteKeys(engine, ns, keys);
    deleted += outcome.deleted;
    if (outcome.status !== Status.Ok || next === null) return { ...outcome, deleted };
    cursor = next;
    await yieldTurn();
  }
  return { deleted, status: Status.Ok };
}

/**
 * Deletes every record of ns that carries any of the tags, tag after tag. Per tag, each shard is
 * asked for a page of its keys with the tag (oldest tagging first), they are deleted, and the next
 * page is asked for, until a shard has handed out as many keys as carried the tag when it was
 * first asked (its budget) or has none left. As a put re-appends its key at the end of the tag's
 * list, every record tagged before the purge began lies within the budget: it is deleted, unless
 * someone deleted or re-wrote it meanwhile. One tagged after may or may not be; so may a record
 * re-written without the tag between its page being read and its delete.
 */
export async function purgeByTags(engine: EngineApi, ns: string, tags: readonly string[]): Promise<PurgeOutcome> {
  let deleted = 0;
  for (const tag of tags) {
    const outcome = await purgeTag(engine, ns, tag);
    deleted += outcome.deleted;
    if (outcome.status !== Status.Ok) return { ...outcome, deleted };
  }
  return { deleted, status: Status.Ok };
}

async function purgeTag(engine: EngineApi, ns: string, tag: string): Promise<PurgeOutcome> {
  let deleted = 0;
  let budgets: number[] | null = null;
  let handedOut: number[] = [];
  for (let page = 0; page < purgePagesMax; page++) {
    let keys: Uint8Array[] = [];
    try {
      const shards = await engine.taggedKeys(ns, tag, purgePageRecords);
      if (budgets === null) {
        budgets = shards.map((shard) => shard.total);
        handedOut = shards.map(() => 0);
      }
      shards.forEach((shard, index) => {
        if (handedOut[index]! >= budgets![index]!) return;
        keys = keys.concat(shard.keys);
        handedOut[index]! += shard.keys.length;
      });
    } catch (error) {
      return { deleted, ...failureOf(error) };
    }
    if (keys.length === 0) break;
    const outcome = await deleteKeys(engine, ns, keys);
    deleted += outcome.deleted;
    if (outcome.status !== Status.Ok) return { ...outcome, deleted };
    await yieldTurn();
  }
  return { deleted, status: Status.Ok };
}

/** One batch of deletes: how many went, and the first failure other than NotFound (gone already). */
export async function deleteKeys(engine: EngineApi, ns: string, keys: readonly Uint8Array[]): Promise<PurgeOutcome> {
  if (keys.length === 0) return { deleted: 0, status: Status.Ok };
  const ops: Op[] = keys.map((key) => ({ op: 'delete', ns, key }));
  let results;
  try {
    results = await engine.batch(ops);
  } catch (error) {
    return { deleted: 0, ...failureOf(error) };
  }
  let deleted = 0;
  let status = Status.Ok;
  for (const result of results) {
    if (result.status === Status.Ok) deleted++;
    else if (result.status !== Status.NotFound && status === Status.Ok) status = result.status;
  }
  return { deleted, status };
}
