// The server's configuration: an embedded default, then a JSON config file, then environment
// variables, then command-line flags, each overriding the one before. Everything is validated here,
// once, so the rest of the server reads plain numbers it can trust.
//
// Config file shape (every field optional):
//   { "host": "127.0.0.1", "port": 7070, "logLevel": "info",
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
import { normalizeEngineConfig, type EngineConfigInput } from '../../engine/front/config';
import { frameBytesMax, requestsInFlightPerConnectionMax } from '../../engine/layout/limits';
import { normalizePersistence, persistenceDefaults, type PersistenceConfig } from '../../engine/front/persistence-config';
import { roleNames, type AuthConfig, type RoleName, type TokenEntry } from './access-control';
import { isLoopbackHost } from './request-origin';
import type { TlsConfig } from './tls-files';
import { ServerError, reasonOf } from './server-errors';

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

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface ServerConfig {
  host: string;
  /** 0 asks the OS for a free port; the server logs the one it got. */
  port: number;
  logLevel: LogLevel;
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
    engine: { namespaces: [{ name: 'content', mode: 'store' }] },
    // The embedded default persists: ./data under the working directory, fsync always.
    persistence: persistenceDefaults(),
    limits: {
      frameBytesMax,
      requestsInFlightPerConnectionMax,
      backpressureBytesMax: 64 * 1024 * 1024,
      busyBackpressureBytes: 16 * 1024 * 1024,
      idleTimeoutSec: 120,
      shutdownGraceMs: 10_000,
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
    dataDir?: string; fsync?: string; noPersistence?: boolean;
    replicaOf?: string;
    /** --replicas N: handled by serve-command (sibling replica processes), not part of the config. */
    replicas?: string;
  };
  env: Readonly<Record<string, string | undefined>>;
  readFile?: (file: string) => string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function invalid(message: string): never {
  throw new ServerError('ConfigInvalid', `invalid config: ${message}`);
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(object: JsonObject, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) invalid(`unknown field ${where}${key} (known: ${allowed.join(', ')})`);
  }
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

function stringList(value: Json, name: string): string[] {
  if (!Array.isArray(value) || value.length > 256 || !value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= 255 && /^[\x21-\x7e]+$/.test(item))) {
    invalid(`${name} must be a list of at most 256 non-empty strings of visible ASCII`);
  }
  return value as string[];
}

function authOf(value: Json): AuthConfig {
  if (!isObject(value)) invalid('auth must be an object');
  checkKeys(value, ['tokens', 'openStatus', 'openMetrics'], 'auth.');
  const auth: AuthConfig = { tokens: [], openStatus: false, openMetrics: false };
  for (const flag of ['openStatus', 'openMetrics'] as const) {
    const given = value[flag];
    if (given === undefined) continue;
    if (typeof given !== 'boolean') invalid(`auth.${flag} must be true or false`);
    auth[flag] = given;
  }
  const tokens = value['tokens'] ?? [];
  if (!Array.isArray(tokens) || tokens.length > 1024) invalid('auth.tokens must be a list of at most 1024 tokens');
  const names = new Set<string>();
  for (const [index, token] of tokens.entries()) {
    const entry = tokenEntryOf(token, `auth.tokens[${index}]`);
    if (names.has(entry.name)) invalid(`auth.tokens: the name ${JSON.stringify(entry.name)} is used twice`);
    names.add(entry.name);
    auth.tokens.push(entry);
  }
  return auth;
}

function tlsOf(value: Json): TlsConfig {
  if (!isObject(value)) invalid('tls must be an object: { "certFile", "keyFile" }');
  checkKeys(value, ['certFile', 'keyFile'], 'tls.');
  const { certFile, keyFile } = value;
  if (typeof certFile !== 'string' || certFile === '' || typeof keyFile !== 'string' || keyFile === '') invalid('tls.certFile and tls.keyFile must name PEM files');
  return { certFile, keyFile };
}

function tokenEntryOf(value: Json, where: string): TokenEntry {
  if (!isObject(value)) invalid(`${where} must be an object`);
  checkKeys(value, ['name', 'sha256', 'roles'], `${where}.`);
  const { name, sha256, roles } = value;
  if (typeof name !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(name)) invalid(`${where}.name must be 1..64 visible ASCII characters`);
  // Never echo the value: it might be a token pasted where its hash belongs.
  if (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256)) invalid(`${where}.sha256 must be 64 hex digits (SHA-256 of the token; see tessera token create)`);
  if (!isObject(roles) || Object.keys(roles).length === 0) invalid(`${where}.roles must map namespaces (or "*") to ${roleNames.join(', ')}`);
  const checked: Record<string, RoleName> = {};
  for (const [ns, role] of Object.entries(roles)) {
    const known = roleNames.find((candidate) => candidate === role);
    if (known === undefined) invalid(`${where}.roles.${ns} must be one of ${roleNames.join(', ')}`);
    checked[ns] = known;
  }
  return { name, sha256: sha256.toLowerCase(), roles: checked };
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

const limitFields = [
  'frameBytesMax',
  'requestsInFlightPerConnectionMax',
  'backpressureBytesMax',
  'busyBackpressureBytes',
  'idleTimeoutSec',
  'shutdownGraceMs',
  'subscriberBackpressureBytes',
  'maxBufferedOutputBytes',
  'maxConnections',
] as const;

function applyLimits(limits: ServerLimits, input: JsonObject): void {
  checkKeys(input, limitFields, 'limits.');
  const bounds: Record<(typeof limitFields)[number], [number, number]> = {
    frameBytesMax: [1024, frameBytesMax],
    requestsInFlightPerConnectionMax: [1, requestsInFlightPerConnectionMax],
    backpressureBytesMax: [64 * 1024, 1024 * 1024 * 1024],
    busyBackpressureBytes: [16 * 1024, 1024 * 1024 * 1024],
    idleTimeoutSec: [0, 960],
    shutdownGraceMs: [0, 10 * 60 * 1000],
    subscriberBackpressureBytes: [64 * 1024, 1024 * 1024 * 1024],
    maxBufferedOutputBytes: [1024 * 1024, 64 * 1024 * 1024 * 1024],
    maxConnections: [1, 1_000_000],
  };
  for (const field of limitFields) {
    const value = input[field];
    if (value === undefined) continue;
    const [min, max] = bounds[field];
    limits[field] = integerIn(value, min, max, `limits.${field}`);
  }
  if (input['subscriberBackpressureBytes'] === undefined) {
    limits.subscriberBackpressureBytes = Math.min(subscriberBackpressureBytesDefault, Math.floor(limits.backpressureBytesMax / 4));
  }
}

const persistenceFields = ['dataDir', 'fsync', 'snapshotIntervalSec', 'walSegmentBytes'] as const;

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
  let text: string;
  try {
    text = readFile(file);
  } catch (error: unknown) {
    throw new ServerError('ConfigUnreadable', `cannot read config file ${file}: ${reasonOf(error)}`, { cause: error });
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch (error: unknown) {
    // Not reasonOf(error): V8's message quotes the text it choked on, and a file given by mistake
    // (a key, a token list) should not have its first bytes copied into logs. A position is enough.
    const position = /position (\d+)/.exec(reasonOf(error))?.[1];
    throw new ServerError('ConfigInvalid', `config file ${file} is not valid JSON${position === undefined ? '' : ` (at byte ${position})`}`);
  }
  if (!isObject(parsed)) invalid(`${file} must hold a JSON object`);
  checkKeys(parsed, ['host', 'port', 'logLevel', 'engine', 'persistence', 'limits', 'allowedOrigins', 'allowedHosts', 'auth', 'tls', 'legacyHttpPort', 'replicaOf'], '');
  if (parsed['legacyHttpPort'] !== undefined) config.legacyHttpPort = parsed['legacyHttpPort'] === null ? null : integerIn(parsed['legacyHttpPort'], 0, 65535, 'legacyHttpPort');
  if (parsed['tls'] !== undefined) config.tls = tlsOf(parsed['tls']);
  if (parsed['auth'] !== undefined) config.auth = authOf(parsed['auth']);
  if (parsed['allowedOrigins'] !== undefined) config.allowedOrigins = stringList(parsed['allowedOrigins'], 'allowedOrigins');
  if (parsed['allowedHosts'] !== undefined) config.allowedHosts = stringList(parsed['allowedHosts'], 'allowedHosts');
  if (parsed['replicaOf'] !== undefined && parsed['replicaOf'] !== null) config.replicaOf = replicaUrlOf(parsed['replicaOf'], 'replicaOf');
  if (parsed['host'] !== undefined) config.host = hostOf(parsed['host'], 'host');
  if (parsed['port'] !== undefined) config.port = integerIn(parsed['port'], 0, 65535, 'port');
  if (parsed['logLevel'] !== undefined) config.logLevel = logLevelOf(parsed['logLevel'], 'logLevel');
  const engine = parsed['engine'];
  if (engine !== undefined) {
    if (!isObject(engine)) invalid('engine must be an object');
    config.engine = engine as EngineConfigInput;
  }
  const persistence = parsed['persistence'];
  if (persistence === false) config.persistence = false;
  else if (persistence !== undefined) {
    if (!isObject(persistence)) invalid('persistence must be an object or false');
    checkKeys(persistence, persistenceFields, 'persistence.');
    config.persistence = { ...persistenceDefaults(), ...(persistence as Partial<PersistenceConfig>) };
  }
  const limits = parsed['limits'];
  if (limits !== undefined) {
    if (!isObject(limits)) invalid('limits must be an object');
    applyLimits(config.limits, limits);
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

export function resolveServerConfig(sources: ConfigSources): ServerConfig {
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
  applyPersistenceFlags(config, flags, env);
  config.insecure = flags.insecure === true;
  const replicaOf = flags.replicaOf ?? env['TESSERA_REPLICA_OF'];
  if (replicaOf !== undefined && replicaOf !== '') config.replicaOf = replicaUrlOf(replicaOf, '--replica-of');
  checkConsistency(config);
  checkProtectedMode(config);
  return config;
}
