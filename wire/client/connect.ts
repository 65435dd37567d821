// The client's entry: connect(url) is one node (client.ts, unchanged); connect([url1, url2, ...])
// is a primary and its replicas (cluster-client.ts): writes to the primary, promotions followed.

import { Client } from './client';
import type { ConnectOptions } from './client-types';
import { ClusterClient, type ClusterOptions } from './cluster-client';

/** Connects to a Tessera server (`ws://host:port/v1/ws`); rejects with ConnectionFailed. */
export function connect(url: string, options?: ConnectOptions): Promise<Client>;
/** Connects to the primary among these nodes and follows promotions; `readFrom: 'replica'` spreads reads. */
export function connect(urls: readonly string[], options?: ClusterOptions): Promise<ClusterClient>;
export function connect(urls: string | readonly string[], options: ClusterOptions = {}): Promise<Client | ClusterClient> {
  if (Array.isArray(urls)) return ClusterClient.connect(urls, options);
  return Client.connect(urls as string, options);
}
