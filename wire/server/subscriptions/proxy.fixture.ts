// Test support (not a test): a TCP proxy on 127.0.0.1 between a client and a server, to cut the
// network under a connection (both directions dropped at once, no close frame) and to refuse new
// connections for a while, as a network outage would.

import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export class TestProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  /** While true, new connections are dropped at once. */
  refusing = false;
  cuts = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static start(targetPort: number): Promise<TestProxy> {
    return new Promise((resolve, reject) => {
      const holder: { proxy: TestProxy | null } = { proxy: null };
      const server = createServer((downstream) => holder.proxy?.accept(downstream, targetPort));
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        holder.proxy = new TestProxy(server);
        resolve(holder.proxy);
      });
    });
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  accept(downstream: Socket, targetPort: number): void {
    if (this.refusing) {
      downstream.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [downstream, upstream];
    this.#pairs.add(pair);
    const drop = (): void => {
      downstream.destroy();
      upstream.destroy();
      this.#pairs.delete(pair);
    };
    downstream.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  }

  /** Drops every connection through the proxy now. */
  cut(): void {
    this.cuts++;
    for (const [downstream, upstream] of [...this.#pairs]) {
      downstream.destroy();
      upstream.destroy();
    }
    this.#pairs.clear();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
