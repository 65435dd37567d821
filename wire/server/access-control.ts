// Access tokens with roles per namespace (DESIGN "Access", issue 9).
//
//   "auth": { "tokens": [ { "name": "cdn", "sha256": "<hex of SHA-256(token)>",
//                           "roles": { "content": "write", "*": "read" } } ],
//             "openStatus": false, "openMetrics": false }
//
// Roles are ordered: read < write < admin; each includes the ones below. A namespace's own entry
// wins over "*" (so "*": "write" with "drafts": "read" keeps drafts read-only). Ops need:
//   get, head, scan, subscribe   read        put, delete, touch   write     purge   admin
//   /status, /metrics (unless openStatus / openMetrics), admin operations   admin on "*"
// Both are protected by default once tokens exist (/status names the namespaces, the data dir and
// the replicas): /metrics answers 401/403 without an admin token; /status then answers only its
// state (the health check), the whole document with one (http-admin.ts).
//
// Only hashes are kept in the config. A token is 32 random bytes (`tessera token create`), so one
// round of SHA-256 is enough: a slow password hash (scrypt) protects guessable secrets, and a
// 256-bit random one is not guessable. Presented tokens are hashed and looked up; a small cache of
// tokens already seen valid saves the hash on every request of a keep-alive client.

import { createHash, randomBytes } from 'node:crypto';
import type { WireOp } from '../codec';

export const roleNames = ['read', 'write', 'admin'] as const;
export type RoleName = (typeof roleNames)[number];

/** 0 = no access; each role includes those below it. */
export const enum Role {
  None = 0,
  Read = 1,
  Write = 2,
  Admin = 3,
}

export interface TokenEntry {
  name: string;
  sha256: string;
  roles: Readonly<Record<string, RoleName>>;
}

export interface AuthConfig {
  tokens: TokenEntry[];
  /** /status answers in full without a token (default false: only its state, http-admin.ts). */
  openStatus: boolean;
  /** /metrics answers without a token (default false: 401/403 without an admin token). */
  openMetrics: boolean;
}

export const allNamespaces = '*';
const tokenPrefix = 'tsr_';
const tokenCacheMax = 1024;

function roleOf(name: RoleName): Role {
  return name === 'admin' ? Role.Admin : name === 'write' ? Role.Write : Role.Read;
}

/** What one token may do. */
export class Principal {
  readonly name: string;
  readonly #roles: ReadonlyMap<string, Role>;
  readonly #wildcard: Role;

  constructor(name: string, roles: Readonly<Record<string, RoleName>>) {
    this.name = name;
    this.#roles = new Map(Object.entries(roles).filter(([ns]) => ns !== allNamespaces).map(([ns, role]) => [ns, roleOf(role)]));
    const wildcard = roles[allNamespaces];
    this.#wildcard = wildcard === undefined ? Role.None : roleOf(wildcard);
  }

  roleFor(ns: string): Role {
    return this.#roles.get(ns) ?? this.#wildcard;
  }

  /** Admin on every namespace ("*": "admin"): operator routes and admin operations. */
  get isAdmin(): boolean {
    return this.#wildcard === Role.Admin;
  }

  allows(op: WireOp): boolean {
    if (op.op === 'unsubscribe') return true;
    return this.roleFor(op.ns) >= requiredRole(op);
  }
}

export function requiredRole(op: WireOp): Role {
  switch (op.op) {
    case 'get':
    case 'head':
    case 'scan':
    case 'subscribe':
      return Role.Read;
    case 'put':
    case 'delete':
    case 'touch':
      return Role.Write;
    case 'unsubscribe':
      return Role.None;
    case 'purge':
      return Role.Admin;
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token: 32 bytes, base64url, with a prefix that makes it easy to spot in a leak scan. */
export function createToken(): string {
  return tokenPrefix + randomBytes(32).toString('base64url');
}

/** The Bearer token of an Authorization header value, or '' when there is none. */
export function bearerToken(authorization: string): string {
  const match = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(authorization);
  return match?.[1] ?? '';
}

export class AccessControl {
  readonly openStatus: boolean;
  readonly openMetrics: boolean;
  readonly #byHash: ReadonlyMap<string, Principal>;
  /** Tokens already seen valid → their principal (bounded; cleared when full). */
  readonly #cache = new Map<string, Principal>();
  /** The last valid Authorization header and its principal: a keep-alive client repeats it. */
  #lastHeader = '';
  #lastPrincipal: Principal | null = null;

  constructor(config: AuthConfig) {
    this.openStatus = config.openStatus;
    this.openMetrics = config.openMetrics;
    this.#byHash = new Map(config.tokens.map((entry) => [entry.sha256.toLowerCase(), new Principal(entry.name, entry.roles)]));
  }

  /** True when tokens are configured: every request must then present one. */
  get enabled(): boolean {
    return this.#byHash.size > 0;
  }

  /** The principal of an `Authorization: Bearer` header value (null when absent or not valid). */
  authenticateHeader(authorization: string): Principal | null {
    if (authorization !== '' && authorization === this.#lastHeader) return this.#lastPrincipal;
    const principal = this.authenticate(bearerToken(authorization));
    if (principal !== null) {
      this.#lastHeader = authorization;
      this.#lastPrincipal = principal;
    }
    return principal;
  }

  /** The principal of a presented token ('' = none presented → null). */
  authenticate(token: string): Principal | null {
    if (token === '' || token.length > 512) return null;
    const cached = this.#cache.get(token);
    if (cached !== undefined) return cached;
    const principal = this.#byHash.get(hashToken(token));
    if (principal === undefined) return null;
    if (this.#cache.size >= tokenCacheMax) this.#cache.clear();
    this.#cache.set(token, principal);
    return principal;
  }
}
