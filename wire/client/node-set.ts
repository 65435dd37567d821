// Which of several nodes is the primary (connect([url1, url2, ...]), cluster-client.ts): each
// node's GET /status says its replication role and epoch (wire/server/replication/, "replication"
// in the status document); a replica also names the primary it follows. The primary is the node
// that says "primary" with the highest epoch (a stale primary that was fenced off keeps a lower
// one); when no listed node is the primary, the primary a replica names is taken instead.
//
// /status is open by default; with access control on and `openStatus: false` it needs an admin
// token, and a node that refuses it counts as one that did not answer. When no node answers at
// all (all refuse /status, or a private CA that fetch does not trust), discovery says so and the
// cluster client falls back to trying the URLs in order, moving on when a write answers ReadOnly.

/** The role of one node as its /status tells it. */
export interface NodeView {
  /** The node's client URL (ws://HOST:PORT/v1/ws), as given, or derived from a replica's hint. */
  url: string;
  role: 'primary' | 'replica';
  epoch: number;
  /** A replica's primary, as a client URL; null on a primary or when it names none. */
  primaryHint: string | null;
}

export interface Discovery {
  /** The primary's client URL, or null when no node is (or names) a primary. */
  primary: string | null;
  /** Nodes that answered as replicas, in the order given. */
  replicas: string[];
  /** How many nodes answered /status at all. */
  answered: number;
}

/** Nodes probed at most (a bound on the work of one discovery; connect() refuses more URLs). */
export const nodesMax = 64;

/** The HTTP origin of a node named by its client URL: ws → http, wss → https. */
export function httpOriginOfClientUrl(clientUrl: string): string {
  const url = new URL(clientUrl);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`connect: a node URL must be ws:// or wss://, got ${clientUrl}`);
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
}

/** host:port of a URL, the identity of a node whatever path or query its URL carries. */
function hostOf(anyUrl: string): string | null {
  try {
    return new URL(anyUrl).host;
  } catch {
    return null;
  }
}

/** One node's view, or null when it does not answer /status with a readable document in time. */
export async function probeNode(clientUrl: string, token: string | undefined, timeoutMs: number): Promise<NodeView | null> {
  try {
    const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
    const response = await fetch(`${httpOriginOfClientUrl(clientUrl)}/status`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    // 503 while recovering still carries the document; 401/403/404 do not say a role.
    if (response.status !== 200 && response.status !== 503) return null;
    const document = (await response.json()) as { state?: unknown; replication?: Record<string, unknown> | null };
    if (document.state === 'draining' || document.state === 'stopped') return null;
    const replication = document.replication;
    // No replication key at all: the reduced /status a node gives without an admin token
    // (auth.openStatus false) says health, not a role: unknown, as if it refused.
    if (replication === undefined) return null;
    // replication: null is a node without replication (a test's model engine): it takes writes.
    if (replication === null) return { url: clientUrl, role: 'primary', epoch: 0, primaryHint: null };
    const role = replication['role'] === 'replica' ? 'replica' : 'primary';
    const epoch = typeof replication['epoch'] === 'number' ? replication['epoch'] : 0;
    const named = replication['primary'];
    return { url: clientUrl, role, epoch, primaryHint: role === 'replica' && typeof named === 'string' ? clientUrlOfHint(named) : null };
  } catch {
    return null;
  }
}

/** A replica's primary (the ws URL it follows, maybe with a token in its query) as a client URL without query. */
function clientUrlOfHint(hint: string): string | null {
  try {
    const url = new URL(hint);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return null;
    return `${url.protocol}//${url.host}/v1/ws`;
  } catch {
    return null;
  }
}

/** Probes every node at once; the primary is the highest-epoch node saying so (first given on a tie). */
export async function discover(urls: readonly string[], token: string | undefined, timeoutMs: number): Promise<Discovery> {
  const views = await Promise.all(urls.slice(0, nodesMax).map((url) => probeNode(url, token, timeoutMs)));
  let primary: NodeView | null = null;
  const replicas: string[] = [];
  let answered = 0;
  for (const view of views) {
    if (view === null) continue;
    answered++;
    if (view.role === 'replica') replicas.push(view.url);
    else if (primary === null || view.epoch > primary.epoch) primary = view;
  }
  if (primary !== null) return { primary: primary.url, replicas, answered };
  // No listed node is the primary: the one the replicas name, as a listed URL when it is one.
  for (const view of views) {
    if (view?.primaryHint === null || view?.primaryHint === undefined) continue;
    const host = hostOf(view.primaryHint);
    const listed = urls.find((url) => hostOf(url) === host);
    const candidate = await probeNode(listed ?? view.primaryHint, token, timeoutMs);
    if (candidate !== null && candidate.role === 'primary') return { primary: candidate.url, replicas, answered };
  }
  return { primary: null, replicas, answered };
}
