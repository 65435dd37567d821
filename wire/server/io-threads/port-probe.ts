// Several I/O threads share the port by SO_REUSEPORT, and so could a second node started on the
// same port by the same user: the kernel would silently split the traffic (and the data) between
// the two. With one thread the front listens exclusively (server.ts); with several it first binds
// the port without SO_REUSEPORT (Node 20's net does not set it), which fails while anyone listens
// there, reuseport or not, and closes it again before the threads listen.

import net from 'node:net';
import { ServerError } from '../server-errors';

export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(new ServerError('ListenFailed', `cannot listen on ${host}:${port} (${error.code === 'EADDRINUSE' ? 'address in use' : (error.code ?? error.message)})`));
    });
    probe.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
