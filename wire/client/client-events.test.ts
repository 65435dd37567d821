// Connection events (connect, disconnect, reconnecting, error) and the status getter.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { connect } from './client';
import { ClientEvents, type ClientStatus } from './client-events';
import { FakeServer } from './fake-server.fixture';

async function until(condition: () => boolean): Promise<void> {
  for (let round = 0; round < 400 && !condition(); round++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), 'condition reached in time');
}

test('events and status follow a drop, failed reconnects, a recovery and close()', async () => {
  const server = await FakeServer.start();
  const port = server.port;
  const client = await connect(server.url, { reconnectDelayMsMin: 10, reconnectDelayMsMax: 20 });
  const seen: string[] = [];
  const statuses: ClientStatus[] = [client.status];
  client.on('connect', () => seen.push('connect'));
  client.on('disconnect', ({ code }) => seen.push(`disconnect ${code}`));
  client.on('reconnecting', ({ attempt }) => seen.push(`reconnecting ${attempt}`));
  client.on('error', (error) => seen.push(`error ${error.status}`));
  await server.close();
  await until(() => seen.includes('reconnecting 2'));
  statuses.push(client.status);
  const restarted = await FakeServer.start(port);
  try {
    await until(() => client.status === 'ready');
    statuses.push(client.status);
    assert.equal(await client.get('ns', 'k'), null);
    await client.close();
    statuses.push(client.status);
  } finally {
    await restarted.close();
  }
  assert.deepEqual(statuses, ['ready', 'reconnecting', 'ready', 'closed']);
  assert.equal(seen[0], 'disconnect 1006');
  assert.equal(seen[1], 'reconnecting 1');
  assert.ok(seen.includes('error ConnectionFailed'), `a failed attempt is an error event: ${seen.join(', ')}`);
  assert.deepEqual(seen.slice(-2), ['connect', 'disconnect 1000']);
});

test('once, off, unknown events, and a listener that throws does not stop the others', () => {
  const failures: unknown[] = [];
  const events = new ClientEvents((error) => failures.push(error));
  const seen: string[] = [];
  const removed = (): void => void seen.push('removed');
  events.once('disconnect', ({ code }) => seen.push(`once ${code}`));
  events.on('disconnect', removed);
  events.off('disconnect', removed);
  events.on('disconnect', () => {
    throw new Error('listener bug');
  });
  events.on('disconnect', ({ reason }) => seen.push(`after ${reason}`));
  events.emit('disconnect', { code: 1006, reason: 'a' });
  events.emit('disconnect', { code: 1006, reason: 'b' });
  assert.deepEqual(seen, ['once 1006', 'after a', 'after b']);
  assert.equal(failures.length, 2);
  assert.match(String(failures[0]), /listener bug/);
  assert.equal(events.listenerCount('disconnect'), 2);
  assert.throws(() => events.on('ready' as 'connect', () => undefined), /^TypeError: on: unknown event 'ready' \(events: connect, disconnect, reconnecting, error\)$/);
  assert.throws(() => events.on('connect', 'nope' as unknown as () => void), /^TypeError: on\('connect'\): listener must be a function, got string$/);
});
