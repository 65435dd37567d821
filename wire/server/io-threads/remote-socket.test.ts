// RemoteSocket: the calls the front's handlers make on a WebSocket an I/O thread holds become
// Down records in call order; the buffered amount counts what was sent and not yet applied;
// topics are counted per I/O thread so the front publishes there only what is listened to.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { WebSocketBehavior } from 'uWebSockets.js';
import { DownRecord, RelayReader, RelayWriter } from './relay-codec';
import type { DownLink } from './relayed-http';
import { RemoteSocket, TopicCounts } from './remote-socket';
import { sendFlagAnswer, sendFlagBinary } from './send-flags';

class FakeLink implements DownLink {
  readonly writer = new RelayWriter();
  flushes = 0;

  flushSoon(): void {
    this.flushes++;
  }

  finished(): void {
    throw new Error('a socket never finishes a response');
  }
}

type Decoded =
  | { kind: 'send'; connId: number; flags: number; bytes: number[] }
  | { kind: 'subscribe' | 'unsubscribe'; connId: number; topic: string }
  | { kind: 'end'; connId: number; code: number; reason: string }
  | { kind: 'closeNow'; connId: number };

function drain(link: FakeLink): Decoded[] {
  const reader = new RelayReader(link.writer.take());
  const records: Decoded[] = [];
  while (!reader.done) {
    const kind = reader.u8() as DownRecord;
    const connId = reader.u32();
    switch (kind) {
      case DownRecord.Send: {
        const flags = reader.u8();
        records.push({ kind: 'send', connId, flags, bytes: [...reader.bytes()] });
        break;
      }
      case DownRecord.Subscribe:
        records.push({ kind: 'subscribe', connId, topic: reader.string() });
        break;
      case DownRecord.Unsubscribe:
        records.push({ kind: 'unsubscribe', connId, topic: reader.string() });
        break;
      case DownRecord.End:
        records.push({ kind: 'end', connId, code: reader.u32(), reason: reader.string() });
        break;
      case DownRecord.CloseNow:
        records.push({ kind: 'closeNow', connId });
        break;
      default:
        throw new Error(`not a socket record: ${kind as number}`);
    }
  }
  return records;
}

interface Fixture {
  link: FakeLink;
  counts: TopicCounts;
  socket: RemoteSocket<{ name: string }>;
}

function fixture(behavior: WebSocketBehavior<{ name: string }> = { maxBackpressure: 100 }, connId = 21): Fixture {
  const link = new FakeLink();
  const counts = new TopicCounts();
  return { link, counts, socket: new RemoteSocket(connId, link, counts, behavior, { name: 'user data' }, '198.51.100.4') };
}

test('send writes a Send record (binary flag, bytes of any view) and asks for a flush', () => {
  const { link, socket } = fixture();
  const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
  assert.equal(socket.send(backing.subarray(1, 3), true), 1);
  assert.equal(socket.send(new Uint8Array([9]).buffer), 1);
  assert.equal(socket.send(new DataView(backing.buffer, 4, 2), true), 1);
  assert.equal(link.flushes, 3);
  assert.deepEqual(drain(link), [
    { kind: 'send', connId: 21, flags: sendFlagBinary, bytes: [1, 2] },
    { kind: 'send', connId: 21, flags: 0, bytes: [9] },
    { kind: 'send', connId: 21, flags: sendFlagBinary, bytes: [4, 5] },
  ]);
});

test('sendAnswer writes a binary Send record flagged as an answer, counted like any send', () => {
  const { link, socket } = fixture({ maxBackpressure: 4 });
  assert.equal(socket.sendAnswer(new Uint8Array([1, 2, 3])), 1);
  assert.equal(socket.sendAnswer(new Uint8Array([4, 5])), 0, 'past maxBackpressure: 0');
  assert.equal(socket.getBufferedAmount(), 5);
  assert.deepEqual(drain(link), [
    { kind: 'send', connId: 21, flags: sendFlagBinary | sendFlagAnswer, bytes: [1, 2, 3] },
    { kind: 'send', connId: 21, flags: sendFlagBinary | sendFlagAnswer, bytes: [4, 5] },
  ]);
  socket.markClosed();
  assert.equal(socket.sendAnswer(new Uint8Array([6])), 0);
  assert.equal(link.writer.length, 0);
});

test('sent bytes count toward getBufferedAmount until a report says they were applied', () => {
  const { socket } = fixture({ maxBackpressure: 1_000 });
  assert.equal(socket.getBufferedAmount(), 0);
  socket.send(new Uint8Array(30), true);
  socket.send(new Uint8Array(20), true);
  assert.equal(socket.getBufferedAmount(), 50);
  // The I/O thread applied the first 30 bytes; its socket still holds 12 of them.
  socket.report(12, 30);
  assert.equal(socket.getBufferedAmount(), 12 + 20);
  socket.report(0, 20);
  assert.equal(socket.getBufferedAmount(), 0);
  // A report of more applied bytes than are outstanding (published frames count there) never goes negative.
  socket.report(7, 500);
  assert.equal(socket.getBufferedAmount(), 7);
});

test('send returns 0 once the buffered amount passes behavior.maxBackpressure (the frame is still relayed)', () => {
  const { link, socket } = fixture({ maxBackpressure: 100 });
  assert.equal(socket.send(new Uint8Array(100), true), 1, 'at the limit: still 1');
  assert.equal(socket.send(new Uint8Array(1), true), 0, 'past it: 0');
  assert.equal(drain(link).length, 2, 'both frames relayed: the I/O thread applies the limit itself');
  socket.report(0, 101);
  assert.equal(socket.send(new Uint8Array(1), true), 1, 'applied and drained: 1 again');
  socket.report(150, 1);
  assert.equal(socket.send(new Uint8Array(1), true), 0, "the socket's own reported backlog counts too");
});

test('without a maxBackpressure in the behavior, send always answers 1', () => {
  const { socket } = fixture({});
  assert.equal(socket.send(new Uint8Array(1024 * 1024), true), 1);
});

test('subscribe/unsubscribe write one record per topic change and answer as uWS does', () => {
  const { link, counts, socket } = fixture();
  assert.equal(socket.subscribe('a'), true);
  assert.equal(socket.subscribe('a'), true, 'subscribing twice is fine');
  assert.equal(socket.subscribe('b'), true);
  assert.equal(socket.isSubscribed('a'), true);
  assert.deepEqual(socket.getTopics().sort(), ['a', 'b']);
  assert.equal(counts.has('a'), true);
  assert.equal(socket.unsubscribe('a'), true);
  assert.equal(socket.unsubscribe('a'), false, 'not subscribed any more');
  assert.equal(socket.unsubscribe('never'), false);
  assert.equal(socket.isSubscribed('a'), false);
  assert.equal(counts.has('a'), false);
  assert.equal(counts.has('b'), true);
  assert.deepEqual(drain(link), [
    { kind: 'subscribe', connId: 21, topic: 'a' },
    { kind: 'subscribe', connId: 21, topic: 'b' },
    { kind: 'unsubscribe', connId: 21, topic: 'a' },
  ]);
});

test('two sockets on one topic: the count drops to zero only when both have left', () => {
  const link = new FakeLink();
  const counts = new TopicCounts();
  const first = new RemoteSocket(1, link, counts, {}, {}, '');
  const second = new RemoteSocket(2, link, counts, {}, {}, '');
  first.subscribe('t');
  second.subscribe('t');
  first.subscribe('t');
  first.unsubscribe('t');
  assert.equal(counts.has('t'), true, 'the second socket still listens');
  second.unsubscribe('t');
  assert.equal(counts.has('t'), false);
  // The same with closes, and one leaving by unsubscribe and the other by closing.
  first.subscribe('u');
  second.subscribe('u');
  first.markClosed();
  assert.equal(counts.has('u'), true);
  second.markClosed();
  assert.equal(counts.has('u'), false);
  const third = new RemoteSocket(3, link, counts, {}, {}, '');
  const fourth = new RemoteSocket(4, link, counts, {}, {}, '');
  third.subscribe('v');
  fourth.subscribe('v');
  third.unsubscribe('v');
  fourth.markClosed();
  assert.equal(counts.has('v'), false);
});

test('TopicCounts: removing a topic never added is harmless', () => {
  const counts = new TopicCounts();
  counts.remove('x');
  assert.equal(counts.has('x'), false);
  counts.add('x');
  counts.remove('x');
  counts.remove('x');
  assert.equal(counts.has('x'), false);
  counts.add('x');
  assert.equal(counts.has('x'), true, 'an extra remove did not drive the count negative');
});

test('markClosed releases every topic; later calls write nothing and answer as a closed socket', () => {
  const { link, counts, socket } = fixture();
  socket.subscribe('a');
  socket.subscribe('b');
  drain(link);
  const flushes = link.flushes;
  socket.markClosed();
  assert.equal(socket.closed, true);
  assert.equal(counts.has('a'), false);
  assert.equal(counts.has('b'), false);
  assert.deepEqual(socket.getTopics(), []);
  assert.equal(socket.send(new Uint8Array(3), true), 0);
  assert.equal(socket.subscribe('c'), false);
  assert.equal(counts.has('c'), false);
  assert.equal(socket.unsubscribe('a'), false);
  socket.end(1000, 'bye');
  socket.close();
  assert.equal(link.writer.length, 0, 'nothing reaches the link after the socket closed');
  assert.equal(link.flushes, flushes);
});

test('end writes an End record (code, reason; 1000 and "" by default); close writes CloseNow', () => {
  const { link, socket } = fixture();
  socket.end(4001, 'going away ü');
  socket.end();
  socket.close();
  assert.deepEqual(drain(link), [
    { kind: 'end', connId: 21, code: 4001, reason: 'going away ü' },
    { kind: 'end', connId: 21, code: 1000, reason: '' },
    { kind: 'closeNow', connId: 21 },
  ]);
});

test('records of different calls keep their call order on the link', () => {
  const { link, socket } = fixture();
  socket.cork(() => {
    socket.send(new Uint8Array([1]), true);
    socket.subscribe('t');
    socket.send(new Uint8Array([2]), true);
  });
  socket.end(1001, 'x');
  assert.deepEqual(drain(link).map((record) => record.kind), ['send', 'subscribe', 'send', 'end']);
});

test('user data, remote address and asUws', () => {
  const { socket } = fixture();
  assert.deepEqual(socket.getUserData(), { name: 'user data' });
  assert.equal(new TextDecoder().decode(socket.getRemoteAddressAsText()), '198.51.100.4');
  assert.equal(new TextDecoder().decode(socket.getRemoteAddress()), '198.51.100.4');
  assert.equal(socket.asUws().getUserData(), socket.getUserData());
});
