// The one schema of the config file, every key at every depth. Validator: zod 4, chosen over ajv
// because the schema is then TypeScript: the parsed file is typed from it (no hand-written type
// that can drift from the validator), a unit-bearing size is parsed to bytes in the same step it is
// checked, and it has no dependencies. The JSON Schema published for editors and other tools
// (config.schema.json at the repository root, `"$schema": "./config.schema.json"`) is generated
// from this one by z.toJSONSchema (config-json-schema.ts), and a test proves the committed file
// current, as schemas/generated.test.ts does for the FlatBuffers code.
//
// Every object is strict: an unknown key at any depth is an error naming its path
// (`engine.changelogCapacity`). Defaults are not here: they live in defaultServerConfig() and the
// engine's namespaceDefaults(), and the file is merged over them key by key (config-merge.ts).
//
// ADDING A KEY: one line in the object it belongs to below, with .describe() (its documentation
// in config.schema.json), then `npm run build && node dist/wire/server/config/config-json-schema.js
// --write` to regenerate config.schema.json, its default (if any) in defaultServerConfig()
// (server-config.ts) or the engine's defaults, and a line in README.md. The parsed file's type
// follows from the schema; a key the server code reads also needs its field in ServerConfig /
// EngineConfig, which tsc then checks against this schema (server-config.ts, `satisfies`).

import { z } from 'zod';
import { frameBytesMax, keyBytesMaxHard, namespacesMax, requestsInFlightPerConnectionMax, ttlSecMax, valueBytesMaxHard } from '../../../engine/layout/limits';
import { fsyncPolicies, snapshotIntervalSecMax, walSegmentBytesMax, walSegmentBytesMin } from '../../../engine/front/persistence-config';
import { byteSizePattern, formatByteSize, parseByteSize } from './byte-size';

const logLevelNames = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const roleNameList = ['read', 'write', 'admin'] as const;

function integer(min: number, max: number): z.ZodNumber {
  const error = `must be an integer in ${min}..${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** Bytes: a whole number, or a string with a unit ("1GiB", "512MiB"), parsed to bytes here. */
function size(min: number, max: number) {
  const error = `must be a size in ${formatByteSize(min)}..${formatByteSize(max)} (bytes, or a string such as "512MiB" or "1GiB")`;
  return z
    .union([integer(min, max), z.string({ error }).regex(new RegExp(byteSizePattern), { error })], { error })
    .transform((value, context) => {
      const bytes = typeof value === 'number' ? value : parseByteSize(value);
      if (bytes === null || bytes < min || bytes > max) {
        context.addIssue({ code: 'custom', message: error });
        return z.NEVER;
      }
      return bytes;
    });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

const visibleAscii = z.string({ error: 'must be 1..255 visible ASCII characters' }).regex(/^[\x21-\x7e]{1,255}$/, { error: 'must be 1..255 visible ASCII characters' });
const port = integer(0, 65535);
/** The bound on ioThreads, as engine.shards has 1..64; --io-threads and TESSERA_IO_THREADS take the same range. */
const ioThreadsMax = 64;

/** The HTTP caching policy of a namespace's records (wire/server/cache-control.ts). */
export const cacheSchema = z.strictObject({
  maxAge: z.union([integer(0, ttlSecMax), z.literal('no-cache')], { error: `must be whole seconds in 0..${ttlSecMax} or "no-cache"` }).optional().describe('Cache-Control max-age for records without a TTL, or "no-cache" (a record with a TTL gets the seconds it has left)'),
  sMaxAge: integer(0, ttlSecMax).optional().describe('s-maxage: how long shared caches (CDNs) may serve it; no longer than a TTL left'),
  staleWhileRevalidate: integer(0, ttlSecMax).optional().describe('stale-while-revalidate seconds'),
  staleIfError: integer(0, ttlSecMax).optional().describe('stale-if-error seconds'),
  immutable: z.boolean({ error: 'must be true or false' }).optional().describe('immutable: for content-addressed keys, whose version never changes'),
});

export const namespaceSchema = z.strictObject({
  name: z.string({ error: 'is not a namespace name (1-64 of A-Z a-z 0-9 _ . -)' }).regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'is not a namespace name (1-64 of A-Z a-z 0-9 _ . -)' }).describe('The namespace: 1-64 of A-Z a-z 0-9 _ . -'),
  mode: oneOf(['store', 'cache']).optional().describe('store: a full namespace refuses writes (OutOfMemory); cache: it evicts approximately-LRU records. Default store'),
  ack: oneOf(['memory', 'disk', 'replica']).optional().describe('What a write waits for: memory (applied), disk (WAL, the default with persistence), replica (durable here and on minReplicas replicas)'),
  memoryLimitBytes: size(1024 * 1024, 64 * 1024 ** 4).optional().describe('Record bytes the namespace may hold over all shards (default 1GiB, less when the machine or container has less: see README)'),
  defaultTtlSec: integer(0, ttlSecMax).optional().describe('TTL of a put or touch that gives none; 0 = never expires (default)'),
  maxKeyBytes: size(1, keyBytesMaxHard).optional().describe('Largest key (default 1KiB)'),
  maxValueBytes: size(0, valueBytesMaxHard).optional().describe('Largest value (default 1MiB)'),
  cache: cacheSchema.optional().describe('HTTP caching headers of the namespace\'s records (README: HTTP content API)'),
});

export const engineSchema = z.strictObject({
  shards: integer(1, 64).optional().describe('Shard threads (default: one per core but one, for the front thread; at least 1, at most 8)'),
  namespaces: z.array(namespaceSchema, { error: 'must be a list of namespaces' }).min(1, { error: `must hold 1..${namespacesMax} namespaces` }).max(namespacesMax, { error: `must hold 1..${namespacesMax} namespaces` }).optional(),
  changeLogCapacity: integer(1, 2 ** 30).refine((value) => (value & (value - 1)) === 0, { error: 'must be a power of two' }).optional().describe('Changes the in-memory change log retains (a power of two; default 65536)'),
  sweepIntervalMs: integer(0, 3_600_000).optional().describe('How often each shard sweeps a slice of its index for expired records; 0 = never (default 250)'),
  directReads: z.boolean({ error: 'must be true or false' }).optional().describe('Serve gets from shared memory on the main thread when safe (default true)'),
  minReplicas: integer(1, 64).optional().describe('replica acks: replicas that must acknowledge a write (default 1)'),
  replicaAckTimeoutMs: integer(1, 600_000).optional().describe('replica acks: how long a write waits for them before NotEnoughReplicas (default 2000)'),
});

export const persistenceSchema = z.strictObject({
  dataDir: z.string({ error: 'must be a path' }).min(1, { error: 'must be a path' }).max(4096, { error: 'must be a path' }).optional().describe('Where the WAL, snapshots and history id live (default ./data)'),
  fsync: oneOf(fsyncPolicies).optional().describe('always (ack after fdatasync; default), everysec or never (ack after write())'),
  snapshotIntervalSec: integer(0, snapshotIntervalSecMax).optional().describe('Seconds between scheduled snapshots; 0 = on request only (default 300)'),
  walSegmentBytes: size(walSegmentBytesMin, walSegmentBytesMax).optional().describe('WAL segment size (default 64MiB)'),
});

export const limitsSchema = z.strictObject({
  frameBytesMax: size(1024, frameBytesMax).optional().describe('Largest WebSocket frame; a larger one closes the connection (1009)'),
  requestsInFlightPerConnectionMax: integer(1, requestsInFlightPerConnectionMax).optional().describe('Requests a connection may have in flight; one more is answered Busy'),
  backpressureBytesMax: size(64 * 1024, 1024 ** 3).optional().describe('Unread output per connection above which it is closed (default 64MiB)'),
  busyBackpressureBytes: size(16 * 1024, 1024 ** 3).optional().describe('Unread output per connection above which requests are answered Busy (default 16MiB)'),
  idleTimeoutSec: integer(0, 960).refine((value) => value === 0 || value >= 8, { error: 'must be 0 or 8..960 (uWS)' }).optional().describe('WebSocket idle timeout; 0 = never (default 120)'),
  shutdownGraceMs: integer(0, 10 * 60 * 1000).optional().describe('How long a shutdown waits for in-flight requests (default 5000: under docker stop\'s 10 s)'),
  subscriberBackpressureBytes: size(64 * 1024, 1024 ** 3).optional().describe('Unread subscription output above which a subscriber catches up from the change log instead (default 8MiB)'),
  maxBufferedOutputBytes: size(1024 * 1024, 64 * 1024 ** 3).optional().describe('Unread output summed over every WebSocket connection (default 256MiB)'),
  maxConnections: integer(1, 1_000_000).optional().describe('Open WebSocket connections (default 10000)'),
});

const tokenSchema = z.strictObject({
  name: z.string({ error: 'must be 1..64 visible ASCII characters' }).regex(/^[\x21-\x7e]{1,64}$/, { error: 'must be 1..64 visible ASCII characters' }),
  // Never echoed in a message: it might be a token pasted where its hash belongs.
  sha256: z.string({ error: 'must be 64 hex digits (SHA-256 of the token; see tessera token create)' }).regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 64 hex digits (SHA-256 of the token; see tessera token create)' }).transform((hex) => hex.toLowerCase()),
  roles: z.record(z.string(), oneOf(roleNameList), { error: `must map namespaces (or "*") to ${roleNameList.join(', ')}` }).refine((roles) => Object.keys(roles).length > 0, { error: `must map namespaces (or "*") to ${roleNameList.join(', ')}` }),
});

export const authSchema = z.strictObject({
  tokens: z.array(tokenSchema, { error: 'must be a list of tokens' }).max(1024, { error: 'must be a list of at most 1024 tokens' }).optional().describe('Access tokens (tessera token create); none = no access control'),
  openStatus: z.boolean({ error: 'must be true or false' }).optional().describe('/status answers in full without a token (default false: without an admin token only {state, detail})'),
  openMetrics: z.boolean({ error: 'must be true or false' }).optional().describe('/metrics answers without a token (default false)'),
});

const tlsSchema = z.strictObject({
  certFile: z.string({ error: 'must name a PEM file' }).min(1, { error: 'must name a PEM file' }),
  keyFile: z.string({ error: 'must name a PEM file' }).min(1, { error: 'must name a PEM file' }),
});

const replicaUrl = z.string({ error: 'must be a ws:// or wss:// URL of the primary' }).refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== '';
  } catch {
    return false;
  }
}, { error: 'must be a ws:// or wss:// URL of the primary' });

/** The config file. */
export const configFileSchema = z.strictObject({
  $schema: z.string().optional().describe('The JSON Schema of this file, for editors (ignored by the server)'),
  host: z.string({ error: 'must be a host name or address' }).min(1, { error: 'must be a host name or address' }).max(255, { error: 'must be a host name or address' }).optional().describe('Address to bind (default 127.0.0.1; anything else needs auth tokens or --insecure)'),
  port: port.optional().describe('Port of the HTTP content API and WebSocket endpoint (default 7070; 0 = any free port)'),
  logLevel: oneOf(logLevelNames).optional().describe('Default info'),
  ioThreads: integer(1, ioThreadsMax).optional().describe('uWS I/O threads serving the one port (default 1): threads past the first take connections by SO_REUSEPORT and relay requests to the front thread; see README'),
  engine: engineSchema.optional(),
  persistence: z.union([z.literal(false), persistenceSchema], { error: 'must be an object or false' }).optional().describe('The data dir and WAL policy; false = a pure memory node'),
  limits: limitsSchema.optional().describe('What clients can make the server hold'),
  allowedOrigins: z.array(visibleAscii, { error: 'must be a list of at most 256 non-empty strings of visible ASCII' }).max(256, { error: 'must be a list of at most 256 non-empty strings of visible ASCII' }).optional().describe('Origins whose pages may open WebSockets ("*" for any)'),
  allowedHosts: z.array(visibleAscii, { error: 'must be a list of at most 256 non-empty strings of visible ASCII' }).max(256, { error: 'must be a list of at most 256 non-empty strings of visible ASCII' }).optional().describe('Host names answered besides IP literals and loopback names'),
  auth: authSchema.optional(),
  tls: tlsSchema.optional().describe('TLS on the same port'),
  legacyHttpPort: port.nullable().optional().describe('A second port served by Node\'s HTTP parser for HTTP/1.0 clients; null = off'),
  replicaOf: replicaUrl.nullable().optional().describe('Run as a read-only replica of this primary (ws://HOST:PORT/v1/ws)'),
});

/** The config file as parsed: sizes in bytes, sha256 lower-case. */
export type ConfigFile = z.output<typeof configFileSchema>;

/** One problem with a file, as `path: message`; an unknown key as `unknown field path`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    const where = pathText(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(`unknown field ${where === '' ? key : `${where}.${key}`}`);
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.message.startsWith('Invalid')) {
      // A union whose branches all failed for a reason of their own: the first branch's reason.
      problems.push(...describeIssues(issue.errors[0] ?? []));
    } else {
      problems.push(`${where === '' ? '(the file)' : where} ${issue.message}`);
    }
  }
  return problems;
}

function pathText(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text === '' ? String(part) : `.${String(part)}`;
  return text;
}

export { ioThreadsMax, logLevelNames, roleNameList };
