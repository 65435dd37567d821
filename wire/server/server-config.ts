// The server's configuration: an embedded default, then a JSON config file, then environment
// variables, then command-line flags, each overriding the one before. Everything is validated here,
// once, so the rest of the server reads plain numbers it can trust.
//
// The file is validated by the one schema, wire/server/config/config-schema.ts (published as
// config.schema.json); adding a key starts there. Config file shape (every field optional):
//   { "host": "127.0.0.1", "port": 7070, "logLevel": "info",
//     "ioThreads": 1,                                 uWS I/O threads on the one port (wire/server/io-threads/)
//     "engine": EngineConfigInput,                       (engine/front/config.ts)
//     "persistence": { "dataDir", "fsync", "snapshotIntervalSec", "walSegmentBytes" } | false,
//     "allowedOrigins": ["https://app.example"], "allowedHosts": ["tessera.internal"],
//     "auth": { "tokens": [{ "name", "sha256", "roles": { "content": "write", "*": "read" } }],
//               "openStatus": false, "openMetrics": false },                     (access-control.ts)
//     "tls": { "certFile": "cert.pem", "keyFile": "key.pem" },               (tls-files.ts)
//     "legacyHttpPort": 7071,                         HTTP/1.0 via Node's parser (legacy-http.ts)
//     "limits": { "frameBytesMax", "requestsInFlightPerConnectionMax", "backpressureBytesMax",
//                 "busyBackpressureBytes", "idleTimeoutSec", "shutdownGraceMs",
//                 "subscriberBackpressureBytes", "maxBufferedOutputBytes", "maxConnections" } }

import { readFileSync } from 'node:fs';
import { defaultShardCount, normalizeEngineConfig, type EngineConfigInput, type NamespaceConfigInput } from '../../engine/front/config';
import { frameBytesMax, requestsInFlightPerConnectionMax } from '../../engine/layout/limits';
import { normalizePersistence, persistenceDefaults, type PersistenceConfig } from '../../engine/front/persistence-config';
import type { AuthConfig } from './access-control';
import { isLoopbackHost } from './request-origin';
import type { TlsConfig } from './tls-files';
import { ServerError, reasonOf } from './server-errors';
import { ioThreadsMax, logLevelNames, type ConfigFile } from './config/config-schema';
import { mergeConfig } from './config/config-merge';
import { readConfigFile } from './config/read-config-file';
import { checkMemory, memoryAvailable, type MemoryAvailable } from './config/memory-check';
import { checkShards, checkThreads, cpusAvailable, type CpusAvailable } from './config/cpu-check';

export interface ServerLimits {
  /** uWS maxPayloadLength: a larger WebSocket frame closes the connection (code 1009). */
  frameBytesMax: number;
  /** Requests a connection may have in flight; one more is answered Busy without running. */
  requestsInFlightPerConnectionMax: number;
  /** uWS maxBackpressure: output a connection may leave unread before it is closed. */
  backpressureBytesMax: number;
  /** Unread output above which new requests are answered Busy instead of run. */
  busyBackpressureBytes: number;
  /** uWS idleTimeout for WebSockets (0 = never; otherwise 8..960, uWS's range). */
  idleTimeoutSec: number;
  /** How long a shutdown waits for in-flight requests before closing connections anyway. */
  shutdownGraceMs: number;
  /**
   * Unread subscription output above which a connection leaves live delivery and catches up from
   * the change log instead (wire/server/subscriptions). Below backpressureBytesMax.
   */
  subscriberBackpressureBytes: number;
  /**
   * Unread output summed over every WebSocket connection: above it, requests are answered Busy
   * and the connections holding the most are closed (wire/server/output-budget.ts).
   */
  maxBufferedOutputBytes: number;
  /** Open WebSocket connections; one more upgrade is answered 503. */
  maxConnections: number;
}

/** 8 MiB, or a quarter of backpressureBytesMax when that is smaller and no value is given. */
const subscriberBackpressureBytesDefault = 8 * 1024 * 1024;

export const logLevels = logLevelNames;
export type LogLevel = (typeof logLevels)[number];

export interface ServerConfig {
  host: string;
  /** 0 asks the OS for a free port; the server logs the one it got. */
  port: number;
  logLevel: LogLevel;
  /**
   * uWS I/O threads serving the one port, 1..64 (wire/server/io-threads/): the first is the front
   * thread; each one past it takes connections by SO_REUSEPORT and relays requests to the front
   * thread. Default 1: on a 2-core machine one measured best for server CPU per op (README).
   */
  ioThreads: number;
  engine: EngineConfigInput;
  /** The data dir and WAL policy; false = a pure memory node (--no-persistence). */
  persistence: PersistenceConfig | false;
  limits: ServerLimits;
  /** Origins whose pages may open WebSockets (request-origin.ts); none by default, "*" for any. */
  allowedOrigins: string[];
  /** Host names answered besides the loopback names when bound to loopback (request-origin.ts). */
  allowedHosts: string[];
  /** Access tokens (access-control.ts); no tokens = no access control. */
  auth: AuthConfig;
  /** --insecure: serve a non-loopback address without tokens (protected mode off, deliberately). */
  insecure: boolean;
  /** TLS on the same port (tls-files.ts); null = plain HTTP and ws://. */
  tls: TlsConfig | null;
  /**
   * A second port served by Node's HTTP parser, for HTTP/1.0 clients that uWS cannot parse
   * (nginx's default proxy_pass, ab): legacy-http.ts. null = off; 0 = any free port.
   */
  legacyHttpPort: number | null;
  /** A replica of this primary (ws://HOST:PORT/v1/ws), or null for a primary (wire/server/replication/). */
  replicaOf: string | null;
}

/** What `npm start` runs with: one store namespace `content`, loopback only. */
export function defaultServerConfig(): ServerConfig {
  return {
    host: '127.0.0.1',
    port: 7070,
    logLevel: 'info',
    ioThreads: 1,
    engine: { namespaces: [{ name: 'content', mode: 'store' }] },
    // The embedded default persists: ./data under the working directory, fsync always.
    persistence: persistenceDefaults(),
    limits: {
      frameBytesMax,
      requestsInFlightPerConnectionMax,
      backpressureBytesMax: 64 * 1024 * 1024,
      busyBackpressureBytes: 16 * 1024 * 1024,
      idleTimeoutSec: 120,
      // Under docker stop's 10 s before SIGKILL, leaving time to close connections and the engine.
      shutdownGraceMs: 5000,
      subscriberBackpressureBytes: subscriberBackpressureBytesDefault,
      maxBufferedOutputBytes: 256 * 1024 * 1024,
      maxConnections: 10_000,
    },
    allowedOrigins: [],
    allowedHosts: [],
    auth: { tokens: [], openStatus: false, openMetrics: false },
    insecure: false,
    tls: null,
    legacyHttpPort: null,
    replicaOf: null,
  };
}

/** The sources a configuration is resolved from; the CLI passes the real ones, tests fakes. */
export interface ConfigSources {
  flags: {
    host?: string; port?: string; config?: string; logLevel?: string; insecure?: boolean;
    /** --io-threads N (TESSERA_IO_THREADS): text, parsed and range-checked here like --port. */
    ioThreads?: string;
    dataDir?: string; fsync?: string; noPersistence?: boolean;
    replicaOf?: string;
    /** --replicas N: handled by serve-command (sibling replica processes), not part of the config. */
    replicas?: string;
  };
  env: Readonly<Record<string, string | undefined>>;
  readFile?: (file: string) => string;
  /** The memory the node may use (tests pass a figure); default: the machine's or the cgroup's. */
  memory?: MemoryAvailable;
  /** The CPUs the node may use (tests pass a figure); default: the machine's or the cgroup quota. */
  cpus?: CpusAvailable;
}

function invalid(message: string): never {
  throw new ServerError('ConfigInvalid', `invalid config: ${message}`);
}

function integerIn(value: unknown, min: number, max: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function parseIntegerText(text: string, min: number, max: number, name: string): number {
  if (!/^\d+$/.test(text.trim())) invalid(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return integerIn(Number(text), min, max, name);
}

function hostOf(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) invalid(`${name} must be a host name or address`);
  return value;
}

/** A primary's WebSocket URL: ws:// or wss://, with a host. */
function replicaUrlOf(value: unknown, name: string): string {
  let url: URL | null = null;
  try {
    url = typeof value === 'string' ? new URL(value) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hostname === '') invalid(`${name} must be a ws:// or wss:// URL of the primary, got ${JSON.stringify(value)}`);
  return url.toString();
}

function logLevelOf(value: unknown, name: string): LogLevel {
  const level = logLevels.find((candidate) => candidate === value);
  if (level === undefined) invalid(`${name} must be one of ${logLevels.join(', ')}, got ${JSON.stringify(value)}`);
  return level;
}

/** --no-persistence wins; otherwise --data-dir / --fsync (or their environment) refine the file's. */
function applyPersistenceFlags(config: ServerConfig, flags: ConfigSources['flags'], env: ConfigSources['env']): void {
  if (flags.noPersistence === true) {
    if (flags.dataDir !== undefined || flags.fsync !== undefined) invalid('--no-persistence cannot be combined with --data-dir or --fsync');
    config.persistence = false;
    return;
  }
  const dataDir = flags.dataDir ?? env['TESSERA_DATA_DIR'];
  const fsync = flags.fsync ?? env['TESSERA_FSYNC'];
  if ((dataDir === undefined || dataDir === '') && (fsync === undefined || fsync === '')) return;
  const base = config.persistence === false ? persistenceDefaults() : config.persistence;
  config.persistence = {
    ...base,
    ...(dataDir !== undefined && dataDir !== '' ? { dataDir } : {}),
    ...(fsync !== undefined && fsync !== '' ? { fsync: fsync as PersistenceConfig['fsync'] } : {}),
  };
}

function applyFile(config: ServerConfig, file: string, readFile: (file: string) => string): void {
  const parsed = readConfigFile(file, readFile);
  const { $schema: _schema, ...given } = parsed;
  mergeConfig(config, given);
  if (given.replicaOf !== undefined && given.replicaOf !== null) config.replicaOf = replicaUrlOf(given.replicaOf, 'replicaOf');
  if (given.limits?.subscriberBackpressureBytes === undefined) {
    // 8 MiB, or a quarter of backpressureBytesMax when that is smaller and no value is given.
    config.limits.subscriberBackpressureBytes = Math.min(subscriberBackpressureBytesDefault, Math.floor(config.limits.backpressureBytesMax / 4));
  }
  const names = new Set<string>();
  for (const token of config.auth.tokens) {
    if (names.has(token.name)) invalid(`auth.tokens: the name ${JSON.stringify(token.name)} is used twice`);
    names.add(token.name);
  }
}

function checkConsistency(config: ServerConfig): void {
  try {
    config.persistence = normalizePersistence(config.persistence);
    normalizeEngineConfig({ ...config.engine, persistence: config.persistence });
  } catch (error: unknown) {
    throw new ServerError('ConfigInvalid', reasonOf(error), { cause: error });
  }
  const { idleTimeoutSec, busyBackpressureBytes, backpressureBytesMax, subscriberBackpressureBytes } = config.limits;
  if (idleTimeoutSec !== 0 && idleTimeoutSec < 8) invalid('limits.idleTimeoutSec must be 0 or 8..960 (uWS)');
  if (busyBackpressureBytes >= backpressureBytesMax) {
    invalid('limits.busyBackpressureBytes must be below limits.backpressureBytesMax');
  }
  // A connection may pass the subscriber limit by a quarter before the hub's sweep sees it.
  if (subscriberBackpressureBytes + (subscriberBackpressureBytes >>> 2) >= backpressureBytesMax) {
    invalid('limits.subscriberBackpressureBytes × 1.25 must be below limits.backpressureBytesMax');
  }
}

/**
 * Protected mode, as Redis has it: a node reachable from other machines with no access tokens
 * would let anyone on the network read and overwrite everything, so it refuses to start unless the
 * operator says --insecure.
 */
function checkProtectedMode(config: ServerConfig): void {
  if (isLoopbackHost(config.host) || config.auth.tokens.length > 0 || config.insecure) return;
  throw new ServerError(
    'Unprotected',
    `refusing to serve ${config.host} without access tokens: anyone who can reach it could read and overwrite every record.\n` +
      `  Add a token:  tessera token create --role '*=write'   and put the printed entry in the config file under "auth": { "tokens": [...] }\n` +
      `  Or bind to 127.0.0.1, or pass --insecure to serve without access control deliberately.`,
  );
}

/** A resolved configuration and what it warns about (logged once at start, printed by config check). */
export interface ResolvedConfig {
  config: ServerConfig;
  warnings: string[];
}

export function resolveConfig(sources: ConfigSources): ResolvedConfig {
  const { flags, env } = sources;
  const config = defaultServerConfig();
  const file = flags.config ?? env['TESSERA_CONFIG'];
  if (file !== undefined && file !== '') {
    applyFile(config, file, sources.readFile ?? ((name) => readFileSync(name, 'utf8')));
  }
  const host = flags.host ?? env['TESSERA_HOST'];
  if (host !== undefined && host !== '') config.host = hostOf(host, 'host');
  const port = flags.port ?? env['TESSERA_PORT'];
  if (port !== undefined && port !== '') config.port = parseIntegerText(port, 0, 65535, 'port');
  const logLevel = flags.logLevel ?? env['TESSERA_LOG_LEVEL'];
  if (logLevel !== undefined && logLevel !== '') config.logLevel = logLevelOf(logLevel, 'log level');
  const ioThreads = flags.ioThreads ?? env['TESSERA_IO_THREADS'];
  if (ioThreads !== undefined && ioThreads !== '') config.ioThreads = parseIntegerText(ioThreads, 1, ioThreadsMax, '--io-threads');
  applyPersistenceFlags(config, flags, env);
  config.insecure = flags.insecure === true;
  const replicaOf = flags.replicaOf ?? env['TESSERA_REPLICA_OF'];
  if (replicaOf !== undefined && replicaOf !== '') config.replicaOf = replicaUrlOf(replicaOf, '--replica-of');
  checkConsistency(config);
  const warnings = checkMemory(config.engine, sources.memory ?? memoryAvailable());
  const cpus = sources.cpus ?? cpusAvailable();
  // The shard count the engine will run: normalizeEngineConfig fills in the same default.
  const threadsWarning = checkThreads(config.engine.shards ?? defaultShardCount(), config.ioThreads, cpus) ?? checkShards(config.engine.shards, cpus);
  if (threadsWarning !== null) warnings.push(threadsWarning);
  checkProtectedMode(config);
  return { config, warnings };
}

export function resolveServerConfig(sources: ConfigSources): ServerConfig {
  return resolveConfig(sources).config;
}

/**
 * What `tessera config print` shows: the resolved config with the engine's defaults filled in
 * (shards, every namespace's limits), so every figure the node will run with is on the page.
 */
export function effectiveConfig(config: ServerConfig): Record<string, unknown> {
  const { persistence: _persistence, ...engine } = normalizeEngineConfig({ ...config.engine, persistence: config.persistence });
  return { ...config, engine };
}

// tsc keeps the schema and ServerConfig together: every key the file may hold has a field here of
// a type that takes the parsed value (a key added to the schema alone does not build).
type Misfits<Given, Target> = {
  [K in keyof Given]-?: K extends keyof Target ? (NonNullable<Given[K]> extends Target[K] | Partial<Target[K]> ? never : K) : K;
}[keyof Given];
type Fits<Given, Target> = [Misfits<Given, Target>] extends [never] ? true : { keyWithoutAField: Misfits<Given, Target> };
const configFileFits: Fits<Omit<ConfigFile, '$schema'>, ServerConfig> = true;
const limitsFit: Fits<NonNullable<ConfigFile['limits']>, ServerLimits> = true;
const engineFits: Fits<NonNullable<ConfigFile['engine']>, Required<EngineConfigInput>> = true;
const namespaceFits: Fits<NonNullable<ConfigFile['engine']>['namespaces'] extends (infer N)[] | undefined ? N : never, Required<NamespaceConfigInput>> = true;
void [configFileFits, limitsFit, engineFits, namespaceFits];
