// Several I/O threads share the port by SO_REUSEPORT, and so could a second node started on the
// same port by the same user: the kernel would silently split the traffic (and the data) between
// the two. With one thread the front listens exclusively (server.ts); with several it first binds
// the port without SO_REUSEPORT (Node 20's net does not set it), which fails while anyone listens
// there, reuseport or not, and closes it again before the threads listen.
//
// Port 0 (any free port) is resolved here too: uSockets sets SO_REUSEPORT only on a port other
// than 0, so a front listening on 0 got a port its I/O threads could not share (they failed with
// ListenFailed: `serve --port 0 --io-threads 2` never started). The probe asks the kernel for a
// free port and the front and the threads then all listen on that one.

import net from 'node:net';
import { ServerError } from '../server-errors';

/** Resolves with the port to listen on: `port`, or the free one the kernel gave when it is 0. */
export async function checkPortFree(host: string, port: number): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(new ServerError('ListenFailed', `cannot listen on ${host}:${port} (${error.code === 'EADDRINUSE' ? 'address in use' : (error.code ?? error.message)})`));
    });
    probe.listen({ host, port, exclusive: true }, () => resolve());
  });
  const address = probe.address();
  const got = typeof address === 'object' && address !== null ? address.port : port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return got;
}
