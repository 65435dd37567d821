// HTTP GET and HEAD of a record answered on an I/O thread, by the content API's own handler
// (http-content.ts handleContent), so the answer is the front's byte for byte: ETag, validators,
// 304, ranges, compression, Cache-Control, access control. What differs is the engine under it: a
// stand-in whose only read is the one this thread made from the shared tables just before
// (shared-tables.ts). A read the table cannot prove consistent is not started here: the whole
// request is relayed to the front, untouched.
//
// Answered within the handler, as the front answers a direct read, so a pipelined GET is answered
// in order; uWS closes a connection whose pipelined request finds the previous one unanswered
// (see http-pipelining.test.ts), which is what a relayed request would be.
//
// Taken here only when the front would not refuse it for a reason this thread cannot see: the gate
// is open (running, not recovering, output under budget), the Host is allowed (the front's route
// guard), and the path is a record's (/v1/{ns}/{key}: the namespace listing and purges go to the
// front). The counts and latencies land in this thread's metrics, reported to the front's.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { DirectOutcome } from '../../../engine/front/direct-read';
import type { EngineApi } from '../../../engine/front/engine-api';
import type { OpSubmitter } from '../../../engine/front/op-batcher';
import type { OpRequest } from '../../../engine/front/op-request';
import { notFound } from '../../../engine/front/result-collectors';
import type { ResultSink } from '../../../engine/front/result-sink';
import { assert } from '../../../engine/layout/assert';
import { Opcode } from '../../../engine/layout/batch-layout';
import { Status } from '../../../engine/layout/status';
import type { NamespaceConfig } from '../../../engine/layout/types';
import { validateKey } from '../../../engine/layout/validate-op';
import { AccessControl, type AuthConfig } from '../access-control';
import { CompressedCopies } from '../compressed-copies';
import { contentPathPrefix, parseContentPath } from '../content-path';
import { handleContent, type ContentContext } from '../http-content';
import { Lifecycle } from '../lifecycle';
import type { ServerMetrics } from '../metrics';
import { OriginPolicy, type OriginPolicyConfig } from '../request-origin';
import { gateOpen } from './local-reads';
import type { SharedTables } from './shared-tables';

/** What the thread needs of the front's config to judge requests as the front would. */
export interface LocalHttpConfig {
  auth: AuthConfig;
  origins: OriginPolicyConfig;
}

/** The engine the handler sees: its one read is the outcome this thread read before calling it. */
class PreReadEngine implements OpSubmitter {
  readonly closed = false;
  readonly namespaces: readonly NamespaceConfig[];
  readonly #tables: SharedTables;
  #armed: DirectOutcome | null = null;

  constructor(tables: SharedTables) {
    this.#tables = tables;
    this.namespaces = tables.namespaces;
  }

  namespaceId(name: string): number | undefined {
    return this.#tables.namespaceId(name);
  }

  arm(outcome: DirectOutcome.Hit | DirectOutcome.Miss): void {
    this.#armed = outcome;
  }

  disarm(): void {
    this.#armed = null;
  }

  submit(request: OpRequest, sink: ResultSink, token: number): void {
    const outcome = this.#armed;
    assert(outcome !== null && request.opcode === Opcode.Get, 'the handler reads once, the record read before it ran');
    this.#armed = null;
    sink.onResult(token, outcome === DirectOutcome.Hit ? this.#tables.hit : notFound);
  }
}

export class LocalHttp {
  readonly #tables: SharedTables;
  readonly #gate: Int32Array;
  readonly #engine: PreReadEngine;
  readonly #origins: OriginPolicy;
  readonly #context: ContentContext;
  /** Requests answered here, and those relayed because the table could not prove the read. */
  answered = 0;
  fallbacks = 0;

  constructor(tables: SharedTables, gate: SharedArrayBuffer, config: LocalHttpConfig, metrics: ServerMetrics) {
    this.#tables = tables;
    this.#gate = new Int32Array(gate);
    this.#engine = new PreReadEngine(tables);
    this.#origins = new OriginPolicy(config.origins);
    this.#context = {
      // Never drains: the gate closes first, and from then on the front answers everything.
      lifecycle: new Lifecycle(),
      metrics,
      latency: metrics.latency('http'),
      engine: this.#engine as unknown as EngineApi,
      namespaces: new Map(tables.namespaces.map((namespace) => [namespace.name, namespace])),
      access: new AccessControl(config.auth),
      origins: this.#origins,
      compressed: new CompressedCopies(),
      primaryUrl: null,
    };
  }

  /** True when answered here (within this call); false: relay the request, nothing was written. */
  serve(res: HttpResponse, req: HttpRequest): boolean {
    const method = req.getMethod();
    if (method !== 'get' && method !== 'head') return false;
    if (Atomics.load(this.#gate, 0) !== gateOpen) return false;
    if (!this.#origins.hostAllowed(req.getHeader('host'))) return false;
    const url = req.getUrl();
    // A record's path has a '/' after the namespace; /v1/{ns} alone is the listing.
    if (!url.startsWith(contentPathPrefix) || url.indexOf('/', contentPathPrefix.length) < 0) return false;
    const path = parseContentPath(url);
    if (!path.ok) return false;
    const namespaceId = this.#tables.namespaceId(path.ns);
    if (namespaceId === undefined || validateKey(path.key, this.#tables.namespaces[namespaceId]!) !== Status.Ok) return false;
    const outcome = this.#tables.read(Opcode.Get, namespaceId, path.key);
    if (outcome === DirectOutcome.FallBack) {
      this.fallbacks++;
      return false;
    }
    this.#engine.arm(outcome);
    try {
      handleContent(this.#context, res, req);
    } finally {
      // A request refused before its read (a token that may not read, a bad condition) leaves it armed.
      this.#engine.disarm();
    }
    this.answered++;
    return true;
  }
}
