// I/O threads (issue 10), end to end through a real server process run with --io-threads 2: what
// a client can do works the same on a connection that landed on the relay thread (thread 1, whose
// sockets' requests the front runs, or which answers reads itself), classified by
// relay-connection.fixture.ts. WebSocket key ops and their typed statuses, many requests in flight,
// reads right after writes across the threads, subscriptions across the two threads (both ways,
// resumed, unsubscribed), the HTTP content API (validators, large bodies both ways, a slow reader,
// pipelining, admin routes), and a client that leaves mid-request.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type Client, type Subscription } from '../../client';
import { decodeServerFrame, type EventFrame } from '../../codec';
import { spawnServer, testConfig, type ServerProcess } from '../server-process.fixture';
import { header, type RawResponse } from '../raw-http.fixture';
import { countersVia, HttpConnection, openClientOn, openHttpOn, openRawWsOn, relayCounters, waitFor } from './relay-connection.fixture';
import { rejectsWith } from '../../client/rejects-with.fixture';

const mebibyte = 1024 * 1024;
let server: ServerProcess;
/** A client on the relay thread and one on the front, shared by the tests. */
let relay: Client;
let front: Client;
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();

// Twice: with the engine's direct reads, an I/O thread answers WebSocket gets and heads and HTTP
// GETs and HEADs of records itself (local-reads.ts, local-http.ts); without them
// (engine.directReads false) it relays every request, so the relayed paths (the front's handlers
// on stand-ins, tryEnd through the relay) are what is tested.
for (const directReads of [true, false]) {
  describe(`--io-threads 2, engine.directReads ${directReads}`, () => {
    before(async () => {
      const config = testConfig({
        namespaces: [
          { name: 'content', mode: 'store', maxKeyBytes: 256, maxValueBytes: 64 * 1024 },
          { name: 'big', mode: 'store', maxValueBytes: 16 * mebibyte },
        ],
      }) as { engine: { directReads?: boolean } };
      config.engine.directReads = directReads;
      server = await spawnServer({ config, args: ['--io-threads', '2'] });
      relay = await openClientOn('relay', server);
      front = await openClientOn('front', server);
    });

    after(async () => {
      await relay?.close();
      await front?.close();
      await server?.stop();
    });


    describe('WebSocket key ops on the relay thread', () => {
      test('put, get, head, touch, delete, and their typed refusals', async () => {
        const { generation } = await relay.put('content', 'ws/a', 'alpha', { contentType: 'text/plain', ttl: 0 });
        assert.equal(generation, 1);
        const record = await relay.get('content', 'ws/a');
        assert.equal(text(record?.value), 'alpha');
        assert.equal(record?.contentType, 'text/plain');
        assert.equal((await relay.head('content', 'ws/a'))?.generation, 1);
        const touched = await relay.touch('content', 'ws/a', 300);
        assert.ok((touched?.expiry ?? 0) >= Math.floor(Date.now() / 1000) + 299);
        assert.equal((await relay.put('content', 'ws/a', 'beta', { ifGeneration: 1 })).generation, 2);
        await rejectsWith(relay.put('content', 'ws/a', 'gamma', { ifGeneration: 1 }), 'GenerationMismatch');
        await rejectsWith(relay.delete('content', 'ws/a', { ifGeneration: 1 }), 'GenerationMismatch');
        await rejectsWith(relay.put('content', 'ws/a', 'gamma', { mode: 'create' }), 'AlreadyExists');
        assert.equal(text((await front.get('content', 'ws/a'))?.value), 'beta', 'a refused write wrote nothing, and the front reads what the relay wrote');
        assert.equal(await relay.delete('content', 'ws/a', { ifGeneration: 2 }), true);
        assert.equal(await relay.delete('content', 'ws/a'), false);
        assert.equal(await relay.get('content', 'ws/a'), null);
        assert.equal(await relay.head('content', 'ws/a'), null);
        assert.equal(await relay.touch('content', 'ws/a', 10), null);
      });

      test('a too-large value, a too-large key, an unknown namespace: typed statuses, nothing written', async () => {
        await rejectsWith(relay.put('content', 'ws/big', new Uint8Array(64 * 1024 + 1)), 'ValueTooLarge');
        await rejectsWith(relay.put('content', 'k'.repeat(257), 'x'), 'KeyTooLarge');
        await rejectsWith(relay.get('nowhere', 'x'), 'UnknownNamespace');
        await rejectsWith(relay.put('nowhere', 'x', 'y'), 'UnknownNamespace');
        assert.equal(await front.head('content', 'ws/big'), null);
      });

      test('batches: one result per op, failures as results', async () => {
        const results = await relay.batch([
          { op: 'put', ns: 'content', key: 'ws/batch/1', value: 'one' },
          { op: 'put', ns: 'content', key: 'ws/batch/2', value: 'two' },
          { op: 'get', ns: 'content', key: 'ws/batch/1' },
          { op: 'get', ns: 'nowhere', key: 'x' },
          { op: 'put', ns: 'content', key: 'ws/batch/3', value: new Uint8Array(64 * 1024 + 1) },
          { op: 'scan', ns: 'content', prefix: 'ws/batch/', limit: 10 },
        ]);
        assert.deepEqual(results.map((result) => result.status), ['Ok', 'Ok', 'Ok', 'UnknownNamespace', 'ValueTooLarge', 'Ok']);
        assert.equal(text(results[2]?.value), 'one');
        assert.deepEqual(results[5]?.records.map((record) => text(record.key)).sort(), ['ws/batch/1', 'ws/batch/2']);
      });

      test('scan pages with a cursor until it is null', async () => {
        await Promise.all(Array.from({ length: 12 }, (_, index) => relay.put('content', `ws/scan/${index}`, `${index}`)));
        const keys: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 20; pages++) {
          const page = await relay.scan('content', { prefix: 'ws/scan/', limit: 5, ...(cursor === undefined ? {} : { cursor }) });
          keys.push(...page.records.map((record) => text(record.key)));
          if (page.cursor === null) break;
          cursor = page.cursor;
        }
        assert.deepEqual(keys.sort(), Array.from({ length: 12 }, (_, index) => `ws/scan/${index}`).sort());
      });

      test('a write acknowledged on one thread is read on the other at once (gets the relay thread may answer itself)', async () => {
        for (let round = 0; round < 50; round++) {
          const [writer, reader] = round % 2 === 0 ? [front, relay] : [relay, front];
          const { generation } = await writer.put('content', 'ws/ack', `round-${round}`);
          const [got, head] = await Promise.all([reader.get('content', 'ws/ack'), reader.head('content', 'ws/ack')]);
          assert.equal(text(got?.value), `round-${round}`, `round ${round}`);
          assert.equal(head?.generation, generation);
        }
        await front.delete('content', 'ws/ack');
        assert.equal(await relay.get('content', 'ws/ack'), null, 'a delete too');
      });

      test('values of several MiB both ways over a relay-thread WebSocket, and to a relay-thread subscriber', async () => {
        const big = patterned(4 * mebibyte, 11);
        const subscription = relay.subscribe({ ns: 'big', prefix: 'ws/' });
        await subscription.ready;
        assert.equal((await relay.put('big', 'ws/value', big)).generation, 1);
        assert.ok(Buffer.from((await relay.get('big', 'ws/value'))?.value ?? []).equals(big), 'read back whole on the relay thread');
        assert.ok(Buffer.from((await front.get('big', 'ws/value'))?.value ?? []).equals(big), 'and on the front');
        const next = await subscription.next();
        assert.ok(next.done !== true && next.value.kind === 'put');
        assert.ok(Buffer.from(next.value.value ?? []).equals(big), 'the event carries the whole value');
        await subscription.close();
      });

      test('200 requests in flight at once, in one frame and in 200 frames: each answered with its own value', async () => {
        const count = 200;
        await Promise.all(Array.from({ length: count }, (_, index) => relay.put('content', `ws/many/${index}`, `value-${index}`)));
        // One turn: auto-pipelining sends them in one frame.
        const together = await Promise.all(Array.from({ length: count }, (_, index) => relay.get('content', `ws/many/${index}`)));
        together.forEach((record, index) => assert.equal(text(record?.value), `value-${index}`));
        // A frame per request, all sent before the first answer.
        const raw = await openRawWsOn('relay', server);
        try {
          const answers = await Promise.all(Array.from({ length: count }, (_, index) => raw.request([{ op: 'get', ns: 'content', key: `ws/many/${index}` }])));
          answers.forEach((answer, index) => {
            assert.equal(answer.status, 0);
            assert.equal(text(answer.results[0]?.value), `value-${index}`);
          });
          assert.deepEqual(raw.unexpected, []);
        } finally {
          await raw.close();
        }
      });
    });

    /** The next `count` events of a subscription (keys and values copied), within `timeoutMs`. */
    async function takeEvents(subscription: Subscription, count: number, timeoutMs = 5000): Promise<{ kind: string; key: string; value: string; lsn: number }[]> {
      const events: { kind: string; key: string; value: string; lsn: number }[] = [];
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
        });
        const next = await Promise.race([subscription.next(), late]);
        clearTimeout(timer);
        if (next === 'late') throw new Error(`${events.length} of ${count} events in ${timeoutMs} ms: ${JSON.stringify(events)}`);
        assert.ok(next.done !== true, 'the subscription ended');
        const event = next.value;
        events.push({ kind: event.kind, key: text(event.key), value: text(event.value), lsn: event.lsn });
      }
      return events;
    }

    describe('subscriptions across the threads', () => {
      test('a subscriber on the relay thread sees writes made on the front (WebSocket and HTTP); prefix and key', async () => {
        const byPrefix = relay.subscribe({ ns: 'content', prefix: 'sub/a/' });
        const byKey = relay.subscribe({ ns: 'content', key: 'sub/key' });
        await Promise.all([byPrefix.ready, byKey.ready]);
        await front.put('content', 'sub/b/ignored', 'no');
        await front.put('content', 'sub/a/1', 'one');
        const viaHttp = await fetch(`${server.httpUrl}/v1/content/sub/a/2`, { method: 'PUT', body: 'two' });
        assert.equal(viaHttp.status, 201);
        await front.put('content', 'sub/key', 'keyed');
        await front.delete('content', 'sub/a/1');
        const events = await takeEvents(byPrefix, 3);
        assert.deepEqual(events.map(({ kind, key, value }) => [kind, key, value]), [['put', 'sub/a/1', 'one'], ['put', 'sub/a/2', 'two'], ['delete', 'sub/a/1', '']]);
        assert.ok((events[0]?.lsn ?? 0) < (events[1]?.lsn ?? 0) && (events[1]?.lsn ?? 0) < (events[2]?.lsn ?? 0), 'in LSN order');
        assert.deepEqual((await takeEvents(byKey, 1)).map(({ kind, key, value }) => [kind, key, value]), [['put', 'sub/key', 'keyed']]);
        await byPrefix.close();
        await byKey.close();
      });

      test('a subscriber on the front thread sees writes made on the relay thread', async () => {
        const byPrefix = front.subscribe({ ns: 'content', prefix: 'sub/f/' });
        const byKey = front.subscribe({ ns: 'content', key: 'sub/fkey' });
        await Promise.all([byPrefix.ready, byKey.ready]);
        await relay.put('content', 'sub/f/1', 'one');
        await relay.batch([{ op: 'put', ns: 'content', key: 'sub/f/2', value: 'two' }, { op: 'put', ns: 'content', key: 'sub/fkey', value: 'keyed' }]);
        assert.deepEqual((await takeEvents(byPrefix, 2)).map(({ key, value }) => [key, value]), [['sub/f/1', 'one'], ['sub/f/2', 'two']]);
        assert.deepEqual((await takeEvents(byKey, 1)).map(({ key, value }) => [key, value]), [['sub/fkey', 'keyed']]);
        await byPrefix.close();
        await byKey.close();
      });

      test('subscribers on both threads at once each get every event once', async () => {
        const onRelay = relay.subscribe({ ns: 'content', prefix: 'sub/both/' });
        const onFront = front.subscribe({ ns: 'content', prefix: 'sub/both/' });
        await Promise.all([onRelay.ready, onFront.ready]);
        for (let index = 0; index < 20; index++) await (index % 2 === 0 ? relay : front).put('content', `sub/both/${index}`, `${index}`);
        const expected = Array.from({ length: 20 }, (_, index) => `sub/both/${index}`);
        assert.deepEqual((await takeEvents(onRelay, 20)).map(({ key }) => key), expected);
        assert.deepEqual((await takeEvents(onFront, 20)).map(({ key }) => key), expected);
        // Nothing more queued: a second write of one key is the next event, not a duplicate.
        await front.put('content', 'sub/both/last', 'x');
        assert.deepEqual((await takeEvents(onRelay, 1)).map(({ key }) => key), ['sub/both/last']);
        await onRelay.close();
        await onFront.close();
      });

      test('resumed with fromLsn on a new relay connection: the changes made while away are replayed', async () => {
        const first = await openClientOn('relay', server);
        const subscription = first.subscribe({ ns: 'content', prefix: 'sub/r/' });
        await subscription.ready;
        await front.put('content', 'sub/r/1', 'one');
        const [seen] = await takeEvents(subscription, 1);
        await first.close();
        await front.put('content', 'sub/r/2', 'two');
        await front.delete('content', 'sub/r/1');
        const second = await openClientOn('relay', server);
        try {
          const resumed = second.subscribe({ ns: 'content', prefix: 'sub/r/', fromLsn: seen?.lsn ?? 0 });
          await front.put('content', 'sub/r/3', 'three');
          assert.deepEqual((await takeEvents(resumed, 3)).map(({ kind, key }) => [kind, key]), [['put', 'sub/r/2'], ['delete', 'sub/r/1'], ['put', 'sub/r/3']]);
          await resumed.close();
        } finally {
          await second.close();
        }
      });

      test('unsubscribe on the relay thread: the server sends that subscription nothing more', async () => {
        const raw = await openRawWsOn('relay', server);
        // Published events carry subId 0 (one frame per topic): they are told apart by key.
        const keys: string[] = [];
        raw.socket.on('message', (data: Buffer) => {
          const frame = decodeServerFrame(new Uint8Array(data));
          const events: EventFrame[] = frame.type === 'event' ? [frame] : frame.type === 'events' ? frame.events : [];
          for (const event of events) if ('key' in event.change) keys.push(text(event.change.key));
        });
        try {
          const subscribed = await raw.request([
            { op: 'subscribe', subId: 1, ns: 'content', prefix: 'sub/u/' },
            { op: 'subscribe', subId: 2, ns: 'content', key: 'sub/sentinel' },
          ]);
          assert.deepEqual(subscribed.results.map((result) => result.status), [0, 0]);
          await front.put('content', 'sub/u/1', 'before');
          assert.ok(await waitFor(() => keys.includes('sub/u/1')), 'subscribed: the event arrives');
          const unsubscribed = await raw.request([{ op: 'unsubscribe', subId: 1 }]);
          assert.equal(unsubscribed.results[0]?.status, 0);
          await front.put('content', 'sub/u/2', 'after');
          await front.put('content', 'sub/sentinel', 'x');
          // The sentinel follows the write in LSN order on the same socket: once it is here, an event
          // for sub/u/2 would have been too.
          assert.ok(await waitFor(() => keys.includes('sub/sentinel')), 'the sentinel arrives');
          assert.deepEqual(keys, ['sub/u/1', 'sub/sentinel']);
        } finally {
          await raw.close();
        }
      });
    });

    const host = 'Host: 127.0.0.1\r\n';

    function putRequest(path: string, body: Buffer | string, headers = ''): Buffer {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      return Buffer.concat([Buffer.from(`PUT ${path} HTTP/1.1\r\n${host}Content-Length: ${bytes.length}\r\n${headers}\r\n`, 'latin1'), bytes]);
    }

    function patterned(size: number, seed: number): Buffer {
      const bytes = Buffer.alloc(size);
      for (let index = 0; index < size; index++) bytes[index] = (index * 31 + seed + (index >> 10)) & 0xff;
      return bytes;
    }

    /**
     * A HEAD on a fresh relay connection, which then closes: the server (one thread or several) does
     * not serve a keep-alive connection past a HEAD answer (uWS waits for the body it announced).
     */
    async function headOnRelay(path: string): Promise<RawResponse> {
      const connection = await openHttpOn('relay', server.port);
      try {
        return await connection.request(`HEAD ${path} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, { bodiless: true });
      } finally {
        await connection.close();
      }
    }

    describe('HTTP on the relay thread', () => {
      let http: HttpConnection;

      before(async () => {
        http = await openHttpOn('relay', server.port);
      });

      after(async () => {
        await http?.close();
      });

      test('PUT, GET, HEAD, DELETE with ETag, If-None-Match 304, If-Match 412 and Content-Type', async () => {
        const created = await http.request(putRequest('/v1/content/http/a', 'one', 'Content-Type: text/markdown; charset=utf-8\r\n'));
        assert.equal(created.status, 201);
        const etag = header(created, 'etag') ?? '';
        assert.match(etag, /^"\d+-1"$/);
        const got = await http.request(`GET /v1/content/http/a HTTP/1.1\r\n${host}\r\n`);
        assert.equal(got.status, 200);
        assert.equal(got.body.toString(), 'one');
        assert.equal(header(got, 'content-type'), 'text/markdown; charset=utf-8');
        assert.equal(header(got, 'etag'), etag);
        const notModified = await http.request(`GET /v1/content/http/a HTTP/1.1\r\n${host}If-None-Match: ${etag}\r\n\r\n`);
        assert.equal(notModified.status, 304);
        assert.equal(notModified.body.length, 0);
        const head = await headOnRelay('/v1/content/http/a');
        assert.equal(head.status, 200);
        assert.equal(header(head, 'content-length'), '3');
        assert.equal(header(head, 'etag'), etag);
        assert.equal(head.body.length, 0);
        const stale = await http.request(putRequest('/v1/content/http/a', 'two', 'If-Match: "1-1"\r\n'));
        assert.equal(stale.status, 412);
        assert.equal((JSON.parse(stale.body.toString()) as { error: string }).error, 'GenerationMismatch');
        const fresh = await http.request(putRequest('/v1/content/http/a', 'two', `If-Match: ${etag}\r\n`));
        assert.equal(fresh.status, 200);
        assert.equal(header(fresh, 'tessera-generation'), '2');
        assert.equal(text((await relay.get('content', 'http/a'))?.value), 'two', 'the WebSocket reads what HTTP wrote');
        const refusedDelete = await http.request(`DELETE /v1/content/http/a HTTP/1.1\r\n${host}If-Match: ${etag}\r\n\r\n`);
        assert.equal(refusedDelete.status, 412);
        const deleted = await http.request(`DELETE /v1/content/http/a HTTP/1.1\r\n${host}\r\n`);
        assert.equal(deleted.status, 204);
        assert.equal((await http.request(`GET /v1/content/http/a HTTP/1.1\r\n${host}\r\n`)).status, 404);
        const tooLarge = await http.request(putRequest('/v1/content/http/b', Buffer.alloc(64 * 1024 + 1)));
        assert.equal(tooLarge.status, 413);
        assert.equal((await http.request(`GET /v1/content/http/b HTTP/1.1\r\n${host}\r\n`)).status, 404, 'a refused PUT writes nothing');
      });

      test('a body over 1 MiB uploaded and read back byte-exact', async () => {
        const body = patterned(mebibyte + 12_345, 7);
        const created = await http.request(putRequest('/v1/big/upload', body, 'Content-Type: application/octet-stream\r\n'));
        assert.equal(created.status, 201, created.body.toString());
        const got = await http.request(`GET /v1/big/upload HTTP/1.1\r\n${host}\r\n`);
        assert.equal(got.status, 200);
        assert.equal(got.body.length, body.length);
        assert.ok(got.body.equals(body), 'byte-exact');
        assert.ok(Buffer.from((await relay.get('big', 'upload'))?.value ?? []).equals(body), 'the same bytes over the WebSocket');
      });

      test('a value of several MiB read by a reader that pauses: whole and byte-exact', async () => {
        const body = patterned(8 * mebibyte, 3);
        assert.equal((await fetch(`${server.httpUrl}/v1/big/several`, { method: 'PUT', body })).status, 201);
        // Paused before the answer comes: the relay thread's socket fills and it must wait for writable.
        http.socket.pause();
        const answer = http.request(`GET /v1/big/several HTTP/1.1\r\n${host}\r\n`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        http.socket.resume();
        const got = await answer;
        assert.equal(got.status, 200);
        assert.equal(header(got, 'content-length'), String(body.length));
        assert.ok(got.body.equals(body), 'byte-exact');
        assert.equal((await http.request(`GET /v1/content/missing HTTP/1.1\r\n${host}\r\n`)).status, 404, 'the connection still serves');
      });

      test('404 for an unknown route; /status and /metrics answered', async () => {
        const unknown = await http.request(`GET /nothing/here HTTP/1.1\r\n${host}\r\n`);
        assert.equal(unknown.status, 404);
        const status = await http.request(`GET /status HTTP/1.1\r\n${host}\r\n`);
        assert.equal(status.status, 200);
        const parsed = JSON.parse(status.body.toString()) as { ioThreads: { thread: number; role: string; httpInFlight?: number }[] };
        assert.deepEqual(parsed.ioThreads.map(({ thread, role }) => [thread, role]), [[0, 'front'], [1, 'relay']]);
        assert.equal(parsed.ioThreads[1]?.httpInFlight, 1, 'this request, relayed and not yet answered');
        const metrics = await http.request(`GET /metrics HTTP/1.1\r\n${host}\r\n`);
        assert.equal(metrics.status, 200);
        assert.match(metrics.body.toString(), /^tessera_ops_total\{transport="http",op="get",status="Ok"\} \d+$/m);
      });

      test('requests one after another on one keep-alive socket are answered in order', async () => {
        const requests: [string | Buffer, number, string | null][] = [
          [putRequest('/v1/content/http/seq', 'first', 'Content-Type: text/plain\r\n'), 201, null],
          [`GET /v1/content/http/seq HTTP/1.1\r\n${host}\r\n`, 200, 'first'],
          [`GET /v1/content/http/missing HTTP/1.1\r\n${host}\r\n`, 404, null],
          [putRequest('/v1/content/http/seq', 'again'), 200, null],
          [`GET /v1/content/http/seq HTTP/1.1\r\n${host}\r\n`, 200, 'again'],
          [`GET /v1/content/http/seq HTTP/1.1\r\n${host}If-None-Match: *\r\n\r\n`, 304, null],
          [`DELETE /v1/content/http/seq HTTP/1.1\r\n${host}\r\n`, 204, null],
          [`GET /v1/content/http/seq HTTP/1.1\r\n${host}\r\n`, 404, null],
        ];
        for (const [request, status, body] of requests) {
          const answer = await http.request(request);
          assert.equal(answer.status, status, String(request).split('\r\n')[0]);
          if (body !== null) assert.equal(answer.body.toString(), body);
        }
      });

      test('a write pipelined behind another request is never applied without an answer (as on the front thread)', async () => {
        // uWS refuses async pipelining by closing the connection (http-pipelining.test.ts); a relayed
        // request is always answered asynchronously.
        const followers = [`GET /v1/content/http/other HTTP/1.1\r\n${host}\r\n`, putRequest('/v1/content/http/second', 'two'), `DELETE /v1/content/http/other HTTP/1.1\r\n${host}\r\n`];
        for (const [index, follower] of followers.entries()) {
          const connection = await openHttpOn('relay', server.port);
          try {
            const key = `/v1/content/http/first-${index}`;
            const answers = await Promise.allSettled(connection.pipeline([putRequest(key, 'one'), follower]));
            const first = answers[0];
            const stored = await fetch(`${server.httpUrl}${key}`);
            if (first?.status === 'fulfilled') {
              assert.equal(first.value.status, 201, 'answered: applied and said so');
              assert.equal(stored.status, 200);
            } else {
              assert.equal(stored.status, 404, 'closed unanswered: the write was not applied');
            }
          } finally {
            await connection.close();
          }
        }
      });

      test('pipelined reads answered in order (relayed: any answers that come are the right ones)', async () => {
        // A GET the relay thread answers itself (direct reads) is answered within uWS's handler, so
        // pipelined GETs are all answered, as on the front. A relayed one is answered later, and uWS
        // closes the connection at the next pipelined request (http-pipelining.test.ts): then what
        // must hold is that no answer is wrong.
        await relay.put('content', 'http/piped', 'piped');
        const connection = await openHttpOn('relay', server.port);
        try {
          const settled = await Promise.allSettled(connection.pipeline([
            `GET /v1/content/http/piped HTTP/1.1\r\n${host}\r\n`,
            `GET /v1/content/http/nothing HTTP/1.1\r\n${host}\r\n`,
            `GET /v1/content/http/piped HTTP/1.1\r\n${host}\r\n`,
          ]));
          const expected: [number, string][] = [[200, 'piped'], [404, ''], [200, 'piped']];
          const rejected = settled.findIndex((result) => result.status === 'rejected');
          if (directReads) assert.equal(rejected, -1, 'every pipelined GET answered');
          const answers = settled.slice(0, rejected === -1 ? settled.length : rejected);
          assert.ok(settled.slice(answers.length).every((result) => result.status === 'rejected'), 'nothing answered after the close');
          answers.forEach((result, index) => {
            assert.ok(result.status === 'fulfilled');
            assert.equal(result.value.status, expected[index]?.[0]);
            if (result.value.status === 200) assert.equal(result.value.body.toString(), expected[index]?.[1]);
          });
        } finally {
          await connection.close();
        }
      });
    });

    describe('a client that leaves mid-request on the relay thread', () => {
      test('a PUT body cut off halfway: nothing written, nothing left in flight, the server serves on', async () => {
        // /status read on the front thread: one answered on the relay would count itself in flight.
        const watcher = await openHttpOn('front', server.port);
        const http = await openHttpOn('relay', server.port);
        try {
          const body = patterned(2 * mebibyte, 5);
          http.socket.write(putRequest('/v1/big/partial', body).subarray(0, mebibyte));
          assert.ok(await waitFor(async () => (await countersVia(watcher)).httpInFlight === 1), 'the PUT is in flight on the relay thread');
          // Let the first half reach the front as Data records.
          await new Promise((resolve) => setTimeout(resolve, 50));
          await http.close();
          assert.ok(await waitFor(async () => (await countersVia(watcher)).httpInFlight === 0), 'the aborted request is forgotten');
          assert.equal(await front.head('big', 'partial'), null, 'nothing partial was written');
          const status = await watcher.request(`GET /status HTTP/1.1\r\n${host}\r\n`);
          assert.equal(status.status, 200);
          assert.equal((JSON.parse(status.body.toString()) as { state: string }).state, 'running');
          await relay.put('big', 'partial', 'whole');
          assert.equal(text((await relay.get('big', 'partial'))?.value), 'whole');
        } finally {
          await watcher.close();
        }
      });

      test('a WebSocket dropped with 200 requests in flight: its connection is closed on the front, the server serves on', async () => {
        const before = await relayCounters(server.httpUrl);
        const raw = await openRawWsOn('relay', server);
        const opened = await relayCounters(server.httpUrl);
        assert.equal(opened.connections, before.connections + 1);
        for (let index = 0; index < 200; index++) void raw.request([{ op: 'put', ns: 'content', key: `drop/${index}`, value: 'x'.repeat(1000) }]);
        raw.socket.terminate();
        await raw.closed;
        assert.ok(await waitFor(async () => (await relayCounters(server.httpUrl)).connections === before.connections), 'the front forgot the socket');
        const client = await connect(server.wsUrl, { reconnect: false });
        try {
          assert.equal((await client.put('content', 'drop/after', 'ok')).generation, 1);
        } finally {
          await client.close();
        }
      });
    });
  });
}
