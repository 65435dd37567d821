// I/O threads (issue 10), end to end through real server processes run with --io-threads 2: the
// server's gates hold on a connection that landed on the relay thread (thread 1) as on the front:
// access control (401 with its challenge on the upgrade and on HTTP, Forbidden for a read-only
// token's write), maxConnections counted over both threads (503 past it wherever the upgrade
// lands), shutdown (SIGTERM closes relay-thread WebSockets 1001 and exits 0 promptly) and a second
// node on the same port refused with ListenFailed while the first keeps serving.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { TesseraError, type Client } from '../../client';
import { createTokenEntry } from '../token-command';
import { header } from '../raw-http.fixture';
import { RawWsClient } from '../raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from '../server-process.fixture';
import { HttpConnection, openClientOn, openHttpOn, openRawWsOn, waitFor, type IoThreadRole } from './relay-connection.fixture';

const host = 'Host: 127.0.0.1\r\n';

/** A WebSocket upgrade request, written by hand so it can follow other requests on a socket. */
function upgradeRequest(extraHeaders = ''): string {
  return `GET /v1/ws HTTP/1.1\r\n${host}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`;
}

async function statusOf(server: ServerProcess, headers: Record<string, string> = {}): Promise<{ connections: number; ioThreads: { connections?: number }[] }> {
  return (await (await fetch(`${server.httpUrl}/status`, { headers })).json()) as { connections: number; ioThreads: { connections?: number }[] };
}

describe('access control on the relay thread', () => {
  const read = createTokenEntry('reader', { content: 'read' });
  const admin = createTokenEntry('admin', { '*': 'admin' });
  const adminHeaders = { Authorization: `Bearer ${admin.token}` };

  test('upgrade and HTTP without a token: 401 with WWW-Authenticate; a read-only token: Forbidden to write', async () => {
    const server = await spawnServer({ config: { ...testConfig(), auth: { tokens: [read.entry, admin.entry] } }, args: ['--io-threads', '2'] });
    const opened: { close(): Promise<unknown> }[] = [];
    try {
      // The /status requests that classify a connection carry the admin token; the requests under test do not.
      const http = await openHttpOn('relay', server.port, { statusHeaders: adminHeaders });
      opened.push(http);
      const getting = await http.request(`GET /v1/content/acl/seed HTTP/1.1\r\n${host}\r\n`);
      assert.equal(getting.status, 401);
      assert.equal(header(getting, 'www-authenticate'), 'Bearer realm="tessera"');
      const putting = await http.request(`PUT /v1/content/acl/seed HTTP/1.1\r\n${host}Content-Length: 1\r\n\r\nx`);
      assert.equal(putting.status, 401);
      const readerPut = await http.request(`PUT /v1/content/acl/seed HTTP/1.1\r\n${host}Authorization: Bearer ${read.token}\r\nContent-Length: 1\r\n\r\nx`);
      assert.equal(readerPut.status, 403);
      const readerGet = await http.request(`GET /v1/content/acl/seed HTTP/1.1\r\n${host}Authorization: Bearer ${read.token}\r\n\r\n`);
      assert.equal(readerGet.status, 404, 'read allowed: nothing was written');
      const refused = await http.request(upgradeRequest());
      assert.equal(refused.status, 401);
      assert.equal(header(refused, 'www-authenticate'), 'Bearer realm="tessera"');
      const another = await openHttpOn('relay', server.port, { statusHeaders: adminHeaders });
      opened.push(another);
      assert.equal((await another.request(upgradeRequest('Authorization: Bearer tsr_not-a-token\r\n'))).status, 401);

      const reader = await openClientOn('relay', server, { token: read.token, statusHeaders: adminHeaders });
      opened.push(reader);
      assert.equal(await reader.get('content', 'acl/seed'), null, 'a read is allowed');
      await assert.rejects(reader.put('content', 'acl/seed', 'x'), (error: unknown) => error instanceof TesseraError && error.status === 'Forbidden');
      await assert.rejects(reader.delete('content', 'acl/seed'), (error: unknown) => error instanceof TesseraError && error.status === 'Forbidden');
      const writer = await openClientOn('front', server, { token: admin.token, statusHeaders: adminHeaders });
      opened.push(writer);
      assert.equal(await writer.head('content', 'acl/seed'), null, 'the refused writes wrote nothing');
    } finally {
      await Promise.all(opened.map((connection) => connection.close()));
      await server.stop();
    }
  });
});

describe('maxConnections over both threads', () => {
  test('past it, an upgrade is answered 503 on whichever thread it lands; one closed makes room', async () => {
    const connectionsMax = 4;
    const server = await spawnServer({ config: testConfig({ limits: { maxConnections: connectionsMax } }), args: ['--io-threads', '2'] });
    const clients: RawWsClient[] = [];
    try {
      // Two on each thread, so the limit is seen to count both.
      for (const role of ['relay', 'relay', 'front', 'front'] as const) clients.push(await openRawWsOn(role, server));
      const full = await statusOf(server);
      assert.equal(full.connections, connectionsMax);
      assert.equal(full.ioThreads[1]?.connections, 2);
      const refusedOn = new Set<IoThreadRole>();
      for (let attempt = 0; attempt < 64 && refusedOn.size < 2; attempt++) {
        const probe = await HttpConnection.open(server.port);
        try {
          // Classified as openHttpOn does, on this very socket, then the upgrade follows on it.
          const first = await probe.request(`GET /status HTTP/1.1\r\n${host}\r\n`);
          const second = await probe.request(`GET /status HTTP/1.1\r\n${host}\r\n`);
          const relayed = (body: Buffer): number => (JSON.parse(body.toString()) as { ioThreads: { httpRequestsRelayed: number }[] }).ioThreads[1]?.httpRequestsRelayed ?? -1;
          const role: IoThreadRole = relayed(second.body) > relayed(first.body) ? 'relay' : 'front';
          const refused = await probe.request(upgradeRequest());
          assert.equal(refused.status, 503, `upgrade past maxConnections on the ${role} thread`);
          refusedOn.add(role);
        } finally {
          await probe.close();
        }
      }
      assert.equal(refusedOn.size, 2, 'refusals seen on both threads');
      assert.equal((await statusOf(server)).connections, connectionsMax, 'the refused upgrades opened nothing');
      // A relay-thread connection closed frees a place for an upgrade landing anywhere.
      await clients.shift()?.close();
      assert.ok(await waitFor(async () => (await statusOf(server)).connections === connectionsMax - 1));
      clients.push(await RawWsClient.open(server.wsUrl));
      assert.equal((await statusOf(server)).connections, connectionsMax);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await server.stop();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

describe('start and shutdown with two I/O threads', () => {
  test('a second node on the same port fails to start (ListenFailed), with one I/O thread or two; the first serves on', async () => {
    const port = await freePort();
    const args = ['--io-threads', '2', '--port', String(port)];
    const first = await spawnServer({ config: testConfig(), args });
    let client: Client | null = null;
    try {
      assert.equal(first.port, port);
      for (const second of [args, ['--port', String(port)]]) {
        await assert.rejects(spawnServer({ config: testConfig(), args: second }), (error: unknown) => {
          assert.match(String(error), /TESSERA_LISTEN_FAILED/);
          assert.match(String(error), /cannot listen on 127\.0\.0\.1:\d+ \(address in use/);
          return true;
        }, `second start with ${second.join(' ')}`);
      }
      client = await openClientOn('relay', first);
      await client.put('content', 'still', 'serving');
      assert.equal(Buffer.from((await client.get('content', 'still'))?.value ?? []).toString(), 'serving');
      assert.equal((await fetch(`${first.httpUrl}/status`)).status, 200);
    } finally {
      await client?.close();
      await first.stop();
    }
  });

  test('SIGTERM with WebSockets open on both threads: each closed 1001, exit 0 promptly', async () => {
    const server = await spawnServer({ config: testConfig(), args: ['--io-threads', '2'] });
    try {
      const onRelay = await openRawWsOn('relay', server);
      const onFront = await openRawWsOn('front', server);
      const answered = await onRelay.request([{ op: 'put', ns: 'content', key: 'down/relay', value: 'x' }]);
      assert.equal(answered.status, 0);
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      const [relayClose, frontClose] = await Promise.all([onRelay.closed, onFront.closed]);
      assert.equal(relayClose.code, 1001, 'the relay-thread socket closed as going away');
      assert.equal(frontClose.code, 1001);
      assert.equal(await server.exited, 0);
      const tookMs = Date.now() - signalled;
      // No requests in flight: the drain has nothing to wait for, and the I/O thread closes at once
      // (io-thread-host.ts waits up to 2 s for it before terminating it).
      assert.ok(tookMs < 2000, `exited ${tookMs} ms after the signal`);
      assert.ok(server.logs.some((line) => line.includes('tessera stopped')));
      assert.ok(!server.logs.some((line) => line.includes('did not close in time')), 'the I/O thread closed by itself');
    } finally {
      await server.stop();
    }
  });
});
