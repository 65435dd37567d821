// Runs one decoded WebSocket request: every op is checked first (validateOp, the same check the
// HTTP API and the engine use); the valid engine ops go to engine.batch in ONE call, so a request
// is one engine round trip and nothing of an invalid op is ever written; scans run after the batch,
// so a scan sees the writes of its own request. One result per op, in op order.

import type { EngineApi } from '../../engine/front/engine-api';
import { Status } from '../../engine/layout/status';
import type { NamespaceConfig, Op, OpResult } from '../../engine/layout/types';
import { validateOp } from '../../engine/layout/validate-op';
import type { PurgeOp, ResultInput, ScanOp, StatusResult, SubscribeOp, UnsubscribeOp, WireOp } from '../codec';
import { purgeByPrefix, purgeByTags } from './purge-runner';
import type { Principal } from './access-control';
import { failureOf } from './engine-failure';

export interface RequestContext {
  engine: EngineApi;
  namespaces: ReadonlyMap<string, NamespaceConfig>;
  /**
   * True while the node replays its data dir: a subscribe is answered Recovering then (the client
   * asks again), since the change log is still being refilled and a join could miss changes.
   */
  recovering?: () => boolean;
}

const subscribeWhileRecovering: StatusResult = {
  status: Status.Recovering,
  message: 'the node is recovering its data dir: subscribe again shortly',
};

/** A connection's subscriptions (wire/server/subscriptions, ConnectionSubscriptions). */
export interface SubscriptionScope {
  /** Immediate, or settled once a replay from the change log has caught up. */
  subscribe(op: SubscribeOp): ResultInput | Promise<ResultInput>;
  unsubscribe(op: UnsubscribeOp): ResultInput;
}

/** The answer where a transport has no subscriptions. */
const subscriptionsNotSupported: StatusResult = {
  status: Status.InvalidArgument,
  message: 'subscribe and unsubscribe need a WebSocket connection',
};

/**
 * The results of a request. Resolves, never rejects: an engine call that throws answers the ops it
 * carried with the thrown status (StatusError) or InternalError.
 */
export function runRequest(context: RequestContext, ops: readonly WireOp[], subscriptions?: SubscriptionScope, principal: Principal | null = null): Promise<ResultInput[]> {
  // Fast path, the common case: only engine ops, all valid and allowed. The decoded array goes to
  // the engine as it is, with no second array built.
  if (allValidEngineOps(context, ops, principal)) return batchOrFailure(context.engine, ops as readonly Op[]);
  return runMixed(context, ops, subscriptions, principal);
}

function allValidEngineOps(context: RequestContext, ops: readonly WireOp[], principal: Principal | null): boolean {
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index] as WireOp;
    if (op.op === 'scan' || op.op === 'subscribe' || op.op === 'unsubscribe' || op.op === 'purge') return false;
    if (principal !== null && !principal.allows(op)) return false;
    if (validateOp(op, context.namespaces.get(op.ns)) !== Status.Ok) return false;
  }
  return true;
}

/** An op the connection's token does not allow is answered Forbidden and never runs. */
const forbidden: StatusResult = { status: Status.Forbidden, message: 'the access token has no role that allows this operation on this namespace' };

function batchOrFailure(engine: EngineApi, ops: readonly Op[]): Promise<ResultInput[]> {
  if (ops.length === 0) return Promise.resolve([]);
  return engine.batch(ops).then(
    (results): ResultInput[] => results,
    (error: unknown) => {
      const failure = failureOf(error);
      return ops.map(() => failure);
    },
  );
}

async function runMixed(context: RequestContext, ops: readonly WireOp[], subscriptions: SubscriptionScope | undefined, principal: Principal | null): Promise<ResultInput[]> {
  const results = new Array<ResultInput>(ops.length);
  const engineOps: Op[] = [];
  const engineSlots: number[] = [];
  const scanSlots: number[] = [];
  const purgeSlots: number[] = [];
  const replays: Promise<void>[] = [];
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index] as WireOp;
    if (principal !== null && !principal.allows(op)) {
      results[index] = forbidden;
    } else if (op.op === 'subscribe' || op.op === 'unsubscribe') {
      // In op order, before this request's writes: a subscribe sees the request's own changes.
      const answer = subscriptions === undefined ? subscriptionsNotSupported
        : op.op === 'unsubscribe' ? subscriptions.unsubscribe(op)
        : context.recovering?.() === true ? subscribeWhileRecovering
        : subscriptions.subscribe(op);
      if (answer instanceof Promise) replays.push(answer.then((settled) => void (results[index] = settled)));
      else results[index] = answer;
    } else if (op.op === 'purge') {
      const status = context.namespaces.has(op.ns) ? validateOp(op, context.namespaces.get(op.ns)) : Status.UnknownNamespace;
      if (status === Status.Ok) purgeSlots.push(index);
      else results[index] = { status };
    } else if (op.op === 'scan') {
      const status = validateScan(op, context.namespaces.get(op.ns));
      if (status === Status.Ok) scanSlots.push(index);
      else results[index] = { status };
    } else {
      const status = validateOp(op, context.namespaces.get(op.ns));
      if (status === Status.Ok) {
        engineOps.push(op);
        engineSlots.push(index);
      } else {
        results[index] = { status };
      }
    }
  }
  const engineResults = await batchOrFailure(context.engine, engineOps);
  for (let slot = 0; slot < engineSlots.length; slot++) {
    results[engineSlots[slot] as number] = engineResults[slot] as OpResult;
  }
  for (const index of scanSlots) results[index] = await runScan(context.engine, ops[index] as ScanOp);
  // After the request's writes, like scans; each purge runs to its end before the next op's.
  for (const index of purgeSlots) results[index] = await runPurge(context.engine, ops[index] as PurgeOp);
  await Promise.all(replays);
  return results;
}

function validateScan(op: ScanOp, namespace: NamespaceConfig | undefined): Status {
  if (namespace === undefined) return Status.UnknownNamespace;
  const prefixBytes = op.prefix === undefined ? 0 : typeof op.prefix === 'string' ? Buffer.byteLength(op.prefix) : op.prefix.byteLength;
  return prefixBytes > namespace.maxKeyBytes ? Status.KeyTooLarge : Status.Ok;
}

async function runPurge(engine: EngineApi, op: PurgeOp): Promise<ResultInput> {
  const outcome = op.tags !== undefined ? await purgeByTags(engine, op.ns, [...new Set<string>(op.tags)]) : await purgeByPrefix(engine, op.ns, typeof op.prefix === 'string' ? new TextEncoder().encode(op.prefix) : op.prefix ?? new Uint8Array(0));
  if (outcome.status === Status.Ok) return { status: Status.Ok, deleted: outcome.deleted };
  return { status: outcome.status, message: `the purge stopped after deleting ${outcome.deleted} records${outcome.message === undefined ? '' : `: ${outcome.message}`}` };
}

async function runScan(engine: EngineApi, op: ScanOp): Promise<ResultInput> {
  try {
    const options: { prefix?: ScanOp['prefix']; limit?: number; cursor?: string; values?: boolean } = {};
    if (op.prefix !== undefined) options.prefix = op.prefix;
    if (op.limit !== undefined) options.limit = op.limit;
    if (op.cursor !== undefined) options.cursor = op.cursor;
    if (op.values !== undefined) options.values = op.values;
    return await engine.scan(op.ns, options);
  } catch (error: unknown) {
    return failureOf(error);
  }
}
