// Finding 7 of issue 9: SIGTERM under keep-alive load. 16 keep-alive clients doing PUTs one after
// another; on SIGTERM every request that reached the server is answered (its result, or 503
// ShuttingDown), every answer sent during the drain says `Connection: close`, and then the
// connections close. A client never waits on a request the server dropped. Raw sockets against a
// real server process whose engine is slowed so requests are in flight at the signal.

import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { header, openSocket, parseResponses, type RawResponse } from './raw-http.fixture';
import { testEngineDelayVariable } from './engine-delay.fixture';
import { spawnServer, testConfig } from './server-process.fixture';

const clientCount = 16;

interface ClientOutcome {
  sent: number;
  responses: RawResponse[];
  /** The connection closed with a request of ours unanswered. */
  lost: boolean;
}

/** PUTs one after another on one connection until the server says Connection: close or closes it. */
function keepPutting(socket: Socket, client: number, deadlineMs: number): Promise<ClientOutcome> {
  return new Promise((resolve) => {
    const outcome: ClientOutcome = { sent: 0, responses: [], lost: false };
    let buffered = Buffer.alloc(0);
    const send = (): void => {
      const body = `value ${outcome.sent}`;
      socket.write(`PUT /v1/content/keepalive/${client} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      outcome.sent++;
    };
    const finish = (): void => {
      clearTimeout(timer);
      outcome.lost = outcome.responses.length < outcome.sent;
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(finish, deadlineMs);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const parsed = parseResponses(buffered);
      if (parsed.length <= outcome.responses.length) return;
      outcome.responses = parsed;
      const last = parsed[parsed.length - 1] as RawResponse;
      if (header(last, 'connection')?.toLowerCase() === 'close') return; // the server closes next
      send();
    });
    socket.on('close', finish);
    socket.on('error', () => undefined);
    send();
  });
}

test('SIGTERM under keep-alive load: every request answered, Connection: close, then closed', async () => {
  const server = await spawnServer({ config: testConfig(), testHooks: true, env: { [testEngineDelayVariable]: '50' } });
  try {
    const sockets = await Promise.all(Array.from({ length: clientCount }, () => openSocket(server.port)));
    const outcomes = Promise.all(sockets.map((socket, client) => keepPutting(socket, client, 15_000)));
    await new Promise((resolve) => setTimeout(resolve, 400));
    server.child.kill('SIGTERM');
    const results = await outcomes;
    for (const [client, outcome] of results.entries()) {
      assert.equal(outcome.lost, false, `client ${client}: sent ${outcome.sent}, answered ${outcome.responses.length}`);
      const last = outcome.responses[outcome.responses.length - 1];
      assert.ok(last !== undefined);
      assert.equal(header(last, 'connection')?.toLowerCase(), 'close', `client ${client}: the last answer says Connection: close`);
      assert.ok(last.status === 200 || last.status === 201 || last.status === 503, `client ${client}: ${last.status}`);
      for (const response of outcome.responses.slice(0, -1)) assert.ok(response.status === 200 || response.status === 201);
    }
    assert.equal(await server.exited, 0);
  } finally {
    await server.stop();
  }
});
