// Finding the primary among several nodes (node-set.ts) against small HTTP servers answering /status
// with canned documents: the highest epoch saying primary wins (a fenced-off stale primary keeps a
// lower one); without a listed primary, the one a replica names; draining or silent nodes count as
// not answering; bearer token sent.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { discover, httpOriginOfClientUrl } from './node-set';

const servers: Server[] = [];
after(() => servers.forEach((server) => server.close()));

/** A node answering GET /status with `document` (or `code` with it); returns its client URL. */
async function fakeNode(document: object | null, code = 200, seen: string[] = []): Promise<string> {
  const server = createServer((request, response) => {
    seen.push(request.headers.authorization ?? '');
    if (request.url !== '/status' || document === null) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(document));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ws`;
}

const primary = (epoch: number): object => ({ state: 'running', replication: { role: 'primary', epoch } });
const replica = (epoch: number, of: string): object => ({ state: 'running', replication: { role: 'replica', epoch, primary: `${of}?access_token=secret` } });

test('the primary with the highest epoch wins; replicas are listed in the order given', async () => {
  const stale = await fakeNode(primary(1));
  const current = await fakeNode(primary(2));
  const follower = await fakeNode(replica(2, current));
  const found = await discover([follower, stale, current], undefined, 1000);
  assert.deepEqual(found, { primary: current, replicas: [follower], answered: 3 });
});

test('no listed primary: the one a replica names (query dropped); draining and silent nodes do not answer', async () => {
  const hidden = await fakeNode(primary(3));
  const follower = await fakeNode(replica(3, hidden));
  const draining = await fakeNode({ state: 'draining', replication: { role: 'primary', epoch: 9 } }, 503);
  const silent = await fakeNode(null);
  const found = await discover([silent, draining, follower], undefined, 1000);
  assert.deepEqual(found, { primary: hidden, replicas: [follower], answered: 1 });
});

test('nobody answers: no primary, zero answered; a node without replication is a primary; the token is sent', async () => {
  const seen: string[] = [];
  assert.deepEqual(await discover(['ws://127.0.0.1:1/v1/ws'], undefined, 300), { primary: null, replicas: [], answered: 0 });
  const plain = await fakeNode({ state: 'running', replication: null }, 200, seen);
  assert.deepEqual(await discover([plain], 'tsr_token', 1000), { primary: plain, replicas: [], answered: 1 });
  assert.deepEqual(seen, ['Bearer tsr_token']);
});

test('client URLs map to HTTP origins; other schemes are refused', () => {
  assert.equal(httpOriginOfClientUrl('ws://10.0.0.1:7070/v1/ws'), 'http://10.0.0.1:7070');
  assert.equal(httpOriginOfClientUrl('wss://db.example:443/v1/ws'), 'https://db.example');
  assert.throws(() => httpOriginOfClientUrl('http://10.0.0.1:7070/v1/ws'), TypeError);
});
