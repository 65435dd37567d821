// Which web pages and which host names may reach this node (DESIGN "Access"). Two browser attacks
// on a Tessera running on a developer's machine:
//   - any page the developer visits can open a WebSocket to ws://127.0.0.1:7070 (WebSockets are not
//     bound by the same-origin policy): the upgrade's Origin header names the page, so it is checked
//     against allowedOrigins. No Origin header means no browser (curl, the Node client): allowed.
//   - DNS rebinding: a page on evil.example re-points its own name at 127.0.0.1 and then makes
//     same-origin requests to it; the requests carry Host: evil.example. This works on any bind,
//     a wildcard one (0.0.0.0, the Docker image) included: the victim's browser reaches whatever
//     address the name now points at. So a node answers only Host values that cannot be rebound:
//     IP literals (v4, [v6]) and loopback names, plus the DNS names listed in allowedHosts. A node
//     reached by a DNS name needs that name in allowedHosts.
// Refusals are 403 (Forbidden).

import { isIPv4, isIPv6 } from 'node:net';

export interface OriginPolicyConfig {
  /** The address the node listens on. */
  host: string;
  /** Exact origins ("https://app.example.com") whose pages may open WebSockets; "*" allows any. */
  allowedOrigins: readonly string[];
  /** DNS names (without port) accepted besides IP literals and loopback names. */
  allowedHosts: readonly string[];
}

/** Origins longer than this are not echoed (a scheme, a host of at most 253, a port). */
const originBytesMax = 300;
const originSyntax = /^[a-z][a-z0-9+.-]*:\/\/[\x21-\x7e]+$/i;

const loopbackNames = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/;

/** True for the addresses and names that only ever reach this machine. */
export function isLoopbackHost(host: string): boolean {
  return loopbackNames.test(host.toLowerCase());
}

/**
 * True for an IP literal as it appears in a Host header: dotted IPv4, or IPv6 in brackets. A page
 * cannot rebind an address, only a name, so a literal is safe to answer on any bind.
 */
export function isIpLiteralHost(name: string): boolean {
  if (name.startsWith('[') && name.endsWith(']')) return isIPv6(name.slice(1, -1));
  return isIPv4(name);
}

/** The host name of a Host header value, without its port ("[::1]:7070" → "[::1]"). */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

export class OriginPolicy {
  readonly #anyOrigin: boolean;
  readonly #origins: ReadonlySet<string>;
  readonly #hosts: ReadonlySet<string>;
  /** The last Host value allowed: a keep-alive client sends the same one every time. */
  #lastAllowedHost = '';

  constructor(config: OriginPolicyConfig) {
    this.#anyOrigin = config.allowedOrigins.includes('*');
    this.#origins = new Set(config.allowedOrigins.map((origin) => origin.toLowerCase().replace(/\/+$/, '')));
    this.#hosts = new Set(config.allowedHosts.map((host) => host.toLowerCase()));
  }

  /**
   * An Origin header value ('' when absent) may open a WebSocket. A page this server served itself
   * (/dashboard, a page importing /client.mjs from here) is same-origin: its Origin names the Host
   * it was loaded from, which the Host check has already vetted (DNS rebinding), so it is allowed.
   */
  originAllowed(origin: string, hostHeader = ''): boolean {
    if (origin === '' || this.#anyOrigin) return true;
    const normalized = origin.toLowerCase();
    if (hostHeader !== '' && (normalized === `http://${hostHeader.toLowerCase()}` || normalized === `https://${hostHeader.toLowerCase()}`)) return true;
    return this.#origins.has(normalized);
  }

  /** CORS applies at all: some origin is allowed (responses then carry `Vary: Origin`). */
  get corsEnabled(): boolean {
    return this.#anyOrigin || this.#origins.size > 0;
  }

  /**
   * An Origin header value that gets CORS headers (cors.ts): one listed in allowedOrigins, or any
   * with "*", except `null`: stored pages are served sandboxed precisely so that they run with the
   * opaque origin `null`, and "*" must not hand them the API back. (`null` listed explicitly is
   * honoured.)
   */
  corsAllowed(origin: string): boolean {
    // It is echoed into a header: a scheme, "://" and visible ASCII only, bounded.
    if (origin === '' || origin.length > originBytesMax || !originSyntax.test(origin)) return origin === 'null' && this.#origins.has('null');
    const normalized = origin.toLowerCase();
    if (this.#origins.has(normalized)) return true;
    return this.#anyOrigin && normalized !== 'null';
  }

  /** A Host header value ('' when absent: not a browser, HTTP/1.0) may be answered. */
  hostAllowed(hostHeader: string): boolean {
    if (hostHeader === '' || hostHeader === this.#lastAllowedHost) return true;
    const name = hostName(hostHeader);
    const allowed = this.#hosts.has(name) || isIpLiteralHost(name) || isLoopbackHost(name);
    if (allowed) this.#lastAllowedHost = hostHeader;
    return allowed;
  }
}
