// Wrong argument types fail in the client with a TypeError naming the op, the argument and the
// rule, before any frame is sent; refused values name the argument too.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { Status } from '../../engine/layout/status';
import { opFailureMessage, opLabel } from './argument-checks';
import { connect, type Client } from './client';
import { FakeServer } from './fake-server.fixture';
import { TesseraError } from './tessera-error';

let server: FakeServer;
let client: Client;

before(async () => {
  server = await FakeServer.start();
  client = await connect(server.url);
});

after(async () => {
  await client.close();
  await server.close();
});

/** Calls with any values, as a JavaScript caller would. */
const untyped = (): Record<string, (...args: unknown[]) => Promise<unknown>> => client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

async function typeError(promise: () => Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TypeError, `a TypeError, not ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

test('wrong types are TypeErrors naming the op, the argument and the rule; nothing is sent', async () => {
  const frames = server.framesReceived;
  const calls = untyped();
  await typeError(() => calls.put!('content', 42, 'v'), /^put: key must be a string or a Uint8Array, got number 42$/);
  await typeError(() => calls.put!('content', 'k', { title: 'x' }), /^put: value must be a string or a Uint8Array \(a Buffer is one\), got an object$/);
  await typeError(() => calls.put!('content', 'k', 7), /^put: value must be .*, got number 7$/);
  await typeError(() => calls.get!(undefined, 'k'), /^get: ns must be a string \(a namespace name\), got undefined$/);
  await typeError(() => calls.put!('content', 'k', 'v', { ttl: '10' }), /^put: options.ttl must be a number, got a string "10"$/);
  await typeError(() => calls.put!('content', 'k', 'v', { ttlSec: 10 }), /^put: unknown option 'ttlSec' \(known: ttl, ifGeneration, mode, contentType, tags\)$/);
  await typeError(() => calls.delete!('content', 'k', 5), /^delete: options must be an object, got number 5$/);
  await typeError(() => calls.touch!('content', 'k', '60'), /^touch: ttl must be a number of seconds/);
  await typeError(() => calls.scan!('content', { prefix: 5 }), /^scan: options.prefix must be a string or a Uint8Array, got number 5$/);
  await typeError(() => calls.batch!([{ op: 'get', ns: 'content', key: 'a' }, { op: 'frob', ns: 'content' }]), /^batch: ops\[1\]\.op must be one of get, head, put, delete, touch, scan, got a string "frob"$/);
  await typeError(() => calls.batch!([{ op: 'put', ns: 'content', key: 1, value: 'v' }]), /^batch: ops\[0\]\.key must be a string or a Uint8Array, got number 1$/);
  assert.throws(() => (client.subscribe as (options: unknown) => unknown)({ ns: 'content', prefix: 3 }), /^TypeError: subscribe: options.prefix must be a string or a Uint8Array, got number 3$/);
  await assert.rejects(connect(server.url, { requestsPendingMax: 5 } as object), /^TypeError: connect: unknown option 'requestsPendingMax'/);
  await assert.rejects(connect(server.url, { reconnect: 'yes' } as object), /^TypeError: connect: options.reconnect must be a boolean, got a string "yes"$/);
  assert.equal(server.framesReceived, frames, 'no frame sent');
});

test('refused values are statuses whose message names the op, the key and the argument', async () => {
  const frames = server.framesReceived;
  const cases: [() => Promise<unknown>, string, string][] = [
    [() => client.put('content', '', 'v'), 'InvalidKey', 'put content/: InvalidKey: key must not be empty'],
    [() => client.put('content', 'articles/x', 'v', { ttl: 1.5 }), 'InvalidArgument', 'put content/articles/x: InvalidArgument: ttl must be a whole number of seconds from 0 (never expires) to 315360000, got 1.5'],
    [() => client.put('content', 'articles/x', 'v', { mode: 'replace' as 'create' }), 'InvalidArgument', "put content/articles/x: InvalidArgument: mode must be 'upsert', 'create' or 'update', got 'replace'"],
    [() => client.scan('content', { prefix: 'a/', limit: 0 }), 'InvalidArgument', 'scan content/a/*: InvalidArgument: limit must be an integer from 1 to 1000, got 0'],
    [() => client.get('content', 'x'.repeat(20_000)), 'KeyTooLarge', `get content/${'x'.repeat(200)}...: KeyTooLarge: key is 20000 bytes, more than any namespace allows (16384)`],
  ];
  for (const [call, status, message] of cases) {
    await assert.rejects(call, (error: unknown) => {
      assert.ok(error instanceof TesseraError, String(error));
      assert.equal(error.status, status);
      assert.equal(error.code, Status[status as keyof typeof Status]);
      assert.equal(error.message, message);
      return true;
    });
  }
  assert.equal(server.framesReceived, frames, 'no frame sent');
});

test('op labels show byte keys as text when they are UTF-8, else as hex', () => {
  assert.equal(opLabel({ op: 'get', ns: 'content', key: new TextEncoder().encode('articles/é') }), 'get content/articles/é');
  assert.equal(opLabel({ op: 'delete', ns: 'content', key: Uint8Array.of(0xff, 0x00) }), 'delete content/<2 bytes: ff00>');
  assert.equal(opFailureMessage({ op: 'put', ns: 'content', key: 'articles/x', value: 'v' }, Status.InvalidKey, null), 'put content/articles/x: InvalidKey: the key is empty or not valid');
});
