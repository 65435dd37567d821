// Which web pages and which host names may reach this node (DESIGN "Access"). Two browser attacks
// on a Tessera running on a developer's machine:
//   - any page the developer visits can open a WebSocket to ws://127.0.0.1:7070 (WebSockets are not
//     bound by the same-origin policy): the upgrade's Origin header names the page, so it is checked
//     against allowedOrigins. No Origin header means no browser (curl, the Node client): allowed.
//   - DNS rebinding: a page on evil.example re-points its own name at 127.0.0.1 and then makes
//     same-origin requests to it; the requests carry Host: evil.example. So a node bound to a
//     loopback address answers only Host names that are loopback names (or listed in allowedHosts).
// Refusals are 403 (Forbidden).

export interface OriginPolicyConfig {
  /** The address the node listens on. */
  host: string;
  /** Exact origins ("https://app.example.com") whose pages may open WebSockets; "*" allows any. */
  allowedOrigins: readonly string[];
  /** Host names (without port) accepted besides the loopback names; enforced whenever non-empty. */
  allowedHosts: readonly string[];
}

const loopbackNames = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/;

/** True for the addresses and names that only ever reach this machine. */
export function isLoopbackHost(host: string): boolean {
  return loopbackNames.test(host.toLowerCase());
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
  /** Host names are checked when bound to loopback, or whenever allowedHosts lists some. */
  readonly #checkHost: boolean;
  readonly #allowLoopbackNames: boolean;
  /** The last Host value allowed: a keep-alive client sends the same one every time. */
  #lastAllowedHost = '';

  constructor(config: OriginPolicyConfig) {
    this.#anyOrigin = config.allowedOrigins.includes('*');
    this.#origins = new Set(config.allowedOrigins.map((origin) => origin.toLowerCase().replace(/\/+$/, '')));
    this.#hosts = new Set(config.allowedHosts.map((host) => host.toLowerCase()));
    this.#allowLoopbackNames = isLoopbackHost(config.host);
    this.#checkHost = this.#allowLoopbackNames || this.#hosts.size > 0;
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

  /** A Host header value ('' when absent: not a browser, HTTP/1.0) may be answered. */
  hostAllowed(hostHeader: string): boolean {
    if (!this.#checkHost || hostHeader === '' || hostHeader === this.#lastAllowedHost) return true;
    const name = hostName(hostHeader);
    const allowed = this.#hosts.has(name) || (this.#allowLoopbackNames && isLoopbackHost(name));
    if (allowed) this.#lastAllowedHost = hostHeader;
    return allowed;
  }
}
