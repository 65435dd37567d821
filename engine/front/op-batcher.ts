// The in-process Promise API (engine.batch) as a thin adapter over the one entry, Engine.submit():
// each op is validated once, its namespace resolved once, its key encoded into a reused scratch,
// and its result collected by index. Tests and in-process users take this path; the server calls
// submit() itself with its own reusable sinks.

import { encodeTagRun } from '../layout/surrogate-keys';
import { joinStoredContentType } from '../layout/stored-content-type';
import { Opcode, PutModeCode } from '../layout/batch-layout';
import { keyBytesMaxHard } from '../layout/limits';
import type { NamespaceConfig, Op, OpResult } from '../layout/types';
import { Status } from '../layout/status';
import { validateOp } from '../layout/validate-op';
import { OpRequest } from './op-request';
import { BatchCollector, statusResult } from './result-collectors';
import type { ResultSink } from './result-sink';

const encoder = new TextEncoder();
const putModes = { upsert: PutModeCode.Upsert, create: PutModeCode.Create, update: PutModeCode.Update } as const;
const opcodes = { get: Opcode.Get, head: Opcode.Head, put: Opcode.Put, delete: Opcode.Delete, touch: Opcode.Touch } as const;
/** Distinct content types whose bytes are kept (a handful per site); the map starts over past it. */
const contentTypesKeptMax = 1024;

/** What the batcher needs of the engine. */
export interface OpSubmitter {
  readonly closed: boolean;
  readonly namespaces: readonly NamespaceConfig[];
  namespaceId(name: string): number | undefined;
  submit(request: OpRequest, sink: ResultSink, token: number): void;
}

export class OpBatcher {
  readonly #engine: OpSubmitter;
  /** Reused for each op submitted (submit copies what it needs before it returns). */
  readonly #request = new OpRequest();
  readonly #keyScratch = new Uint8Array(keyBytesMaxHard * 3);
  readonly #contentTypes = new Map<string, Uint8Array>();

  constructor(engine: OpSubmitter) {
    this.#engine = engine;
  }

  batch(ops: readonly Op[]): Promise<OpResult[]> {
    return new Promise((resolve) => {
      if (ops.length === 0) return resolve([]);
      const collector = new BatchCollector(ops.length, resolve);
      for (let index = 0; index < ops.length; index++) this.#submitOp(ops[index]!, collector, index);
    });
  }

  #submitOp(op: Op, collector: BatchCollector, index: number): void {
    const engine = this.#engine;
    const namespaceId = engine.namespaceId(op.ns);
    const status = engine.closed ? Status.ShuttingDown : validateOp(op, namespaceId === undefined ? undefined : engine.namespaces[namespaceId]);
    if (status !== Status.Ok || namespaceId === undefined) return collector.settle(index, statusResult(status));
    this.submitValid(op, namespaceId, collector, index);
  }

  /**
   * Submits an op its caller has validated (validateOp against the namespace `namespaceId` names)
   * and whose namespace it resolved: the server's WebSocket path, which checks each op once at the
   * edge. Keys and values are copied into the shard's batch before this returns, so they may be
   * views into a frame that is freed right after.
   */
  submitValid(op: Op, namespaceId: number, sink: ResultSink, token: number): void {
    const engine = this.#engine;
    let keySource: Uint8Array;
    let keyLength: number;
    if (typeof op.key === 'string') {
      keySource = this.#keyScratch;
      keyLength = encoder.encodeInto(op.key, keySource).written;
    } else {
      keySource = op.key;
      keyLength = op.key.length;
    }
    const request = this.#request.reset(opcodes[op.op], namespaceId, keySource, 0, keyLength);
    switch (op.op) {
      case 'delete':
        request.ifGeneration = op.ifGeneration ?? 0;
        break;
      case 'touch':
        request.ttlSec = op.ttl ?? -1;
        break;
      case 'put':
        request.putMode = putModes[op.mode ?? 'upsert'];
        request.ifGeneration = op.ifGeneration ?? 0;
        request.ttlSec = op.ttl ?? -1;
        {
          const stored = joinStoredContentType(op.contentType ?? '', op.cacheControl ?? '');
          request.contentType = stored === '' ? null : this.#contentTypeBytes(stored);
        }
        request.value = typeof op.value === 'string' ? encoder.encode(op.value) : op.value;
        request.tags = encodeTagRun(op.tags);
        break;
    }
    engine.submit(request, sink, token);
  }

  /** Content types repeat: keep their bytes, bounded. */
  #contentTypeBytes(contentType: string): Uint8Array {
    let bytes = this.#contentTypes.get(contentType);
    if (bytes === undefined) {
      bytes = encoder.encode(contentType);
      if (this.#contentTypes.size >= contentTypesKeptMax) this.#contentTypes.clear();
      this.#contentTypes.set(contentType, bytes);
    }
    return bytes;
  }
}
