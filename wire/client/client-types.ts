// The client's public types. Ops and records reuse the engine's shapes (engine/layout/types.ts).

import type { Status, StatusName } from '../../engine/layout/status';
import type { Key, Op, PutMode, RecordMeta, ScannedRecord } from '../../engine/layout/types';
import type { ScanOp } from '../codec/wire-types';
import type { SocketConstructor } from './web-socket';

/** A record's metadata: the engine's one record-metadata type. */
export type RecordMetadata = RecordMeta;

export interface GetResult extends RecordMetadata {
  /** A view into the received frame. */
  value: Uint8Array;
}

export interface PutOptions {
  /** Seconds; absent = the namespace default, 0 = never expires. */
  ttl?: number;
  /** Write only if the record's generation is this (0 or absent: no check). */
  ifGeneration?: number;
  /** upsert (default), create (fails with AlreadyExists), update (fails with NotFound). */
  mode?: PutMode;
  contentType?: string;
  /**
   * Surrogate keys (at most 16, each 1..64 token characters): purge({ ns, tags }) deletes every
   * record carrying one of them. They replace the record's tags; a put without them leaves none.
   */
  tags?: string[];
}

/** What purge() deletes: every record under a non-empty prefix, or carrying any of the tags. */
export interface PurgeOptions {
  ns: string;
  prefix?: Key;
  tags?: string[];
}

export interface DeleteOptions {
  ifGeneration?: number;
}

/** What batch() accepts: the engine's ops and scans (subscriptions have their own method). */
export type BatchOp = Op | ScanOp;

/** One result of batch(): per-op failures are results here, not exceptions. */
export interface BatchResult extends RecordMetadata {
  status: StatusName;
  code: Status;
  message: string | null;
  value: Uint8Array | null;
  created: boolean;
  records: readonly ScannedRecord[];
  cursor: string | null;
}

export interface ConnectOptions {
  /** The WebSocket class; default the client's own under Node (node-web-socket.ts), the global WebSocket elsewhere. */
  WebSocket?: SocketConstructor;
  /** Reconnect after the connection drops (default true). */
  reconnect?: boolean;
  /** First reconnect delay (default 100 ms); doubles per failed attempt, with jitter. */
  reconnectDelayMsMin?: number;
  /** Longest reconnect delay (default 10 s). */
  reconnectDelayMsMax?: number;
  /** A request without a response after this long fails with Timeout (default 30 s; 0 = never). */
  requestTimeoutMs?: number;
  /** A connection attempt not open after this long is abandoned (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * Request frames in flight at once (default 64; each carries up to 1024 calls). Keep it at or
   * below the server's limits.requestsInFlightPerConnectionMax (default 8192); calls past the
   * window wait in the client's queue. A frame the server still refuses Busy is sent again later.
   */
  requestsInFlightMax?: number;
  /**
   * Bytes the calls waiting to be sent may hold (default 256 MiB, an estimate of their encoded
   * size); a call past it fails at once with QueueFull.
   */
  queueBytesMax?: number;
  /**
   * Auto-pipelining (default true): the calls made in one event-loop turn leave together, as few
   * frames as fit, like ioredis's enableAutoPipelining. false sends each call in a frame of its
   * own as it is made (while the in-flight window has room), like ioredis without it.
   */
  autoPipelining?: boolean;
  /**
   * Access token (`tessera token create`). Under Node it is sent as `Authorization: Bearer` on the
   * upgrade; in browsers as the `access_token` query parameter. A missing or invalid token fails
   * connect() (the server answers the upgrade 401); an op the token's roles do not allow fails
   * with Forbidden.
   */
  token?: string;
  /** PEM certificate(s) to trust for wss:// (Node only), e.g. the CA of a self-signed certificate. */
  ca?: string | Uint8Array;
}
