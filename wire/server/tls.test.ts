// TLS on the same port (issue 9): HTTPS and wss:// through a real server process with a
// certificate from a private CA made by openssl at test time; the real client with its `ca`
// option; a certificate renewed on disk is served after SIGHUP (to clients that send SNI, see
// tls-files.ts for why) while open connections go on.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { after, before, test } from 'node:test';
import { connect } from '../client';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';
import { hasOpenssl, makeTestCertificates, type TestCertificates } from './tls-certs.fixture';

const skip = hasOpenssl() ? false : 'openssl is not installed';
/** Larger than the socket and TLS buffers take at once: the body goes out from onWritable (http-output.ts). */
const largeValueBytes = 3 * 1024 * 1024;
let certificates: TestCertificates;
let server: ServerProcess;
/** The HTTP/1.0 port (legacy-http.ts): TLS too when "tls" is configured. */
let legacyPort = 0;

before(async () => {
  if (skip !== false) return;
  certificates = makeTestCertificates();
  const namespaces = [{ name: 'content', mode: 'store', maxValueBytes: largeValueBytes }];
  server = await spawnServer({ config: { ...testConfig({ namespaces }), legacyHttpPort: 0, tls: { certFile: certificates.certFile, keyFile: certificates.keyFile } } });
  const line = server.logs.find((entry) => entry.includes('"tessera listening"')) ?? '{}';
  legacyPort = (JSON.parse(line) as { legacyHttpPort?: number }).legacyHttpPort ?? 0;
});

after(async () => {
  await server?.stop();
  certificates?.remove();
});

function httpsGet(path: string, ca: string, port = server.port): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, ca, timeout: 5000, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function httpsGetBytes(path: string, ca: string, port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, ca, timeout: 10_000, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks)));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

test('a value larger than the socket takes at once comes whole over HTTPS, on both ports', { skip }, async () => {
  const client = await connect(`wss://127.0.0.1:${server.port}/v1/ws`, { ca: certificates.ca, reconnect: false });
  try {
    const value = new Uint8Array(largeValueBytes);
    for (let index = 0; index < value.length; index++) value[index] = (index * 31 + (index >> 12)) & 0xff;
    await client.put('content', 'tls/large', value);
    for (const port of [server.port, legacyPort]) {
      const body = await httpsGetBytes('/v1/content/tls/large', certificates.ca, port);
      assert.equal(body.byteLength, largeValueBytes, `port ${port}`);
      assert.ok(Buffer.from(value).equals(body), `port ${port}: the bytes are the value's`);
    }
  } finally {
    await client.close();
  }
});

function peerSerial(ca: string, port = server.port): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().serialNumber.toUpperCase());
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

test('HTTPS and wss:// on the one port, with the client trusting the private CA', { skip }, async () => {
  const client = await connect(`wss://127.0.0.1:${server.port}/v1/ws`, { ca: certificates.ca, reconnect: false });
  try {
    await client.put('content', 'tls/a', 'secret', { contentType: 'text/plain' });
    const got = await httpsGet('/v1/content/tls/a', certificates.ca);
    assert.deepEqual(got, { status: 200, body: 'secret' });
  } finally {
    await client.close();
  }
  await assert.rejects(connect(`wss://127.0.0.1:${server.port}/v1/ws`, { reconnect: false, connectTimeoutMs: 3000 }), 'without the CA the certificate is not trusted');
  await assert.rejects(fetch(`http://127.0.0.1:${server.port}/status`), 'plain HTTP is not served on a TLS port');
  assert.deepEqual(await httpsGet('/v1/content/tls/a', certificates.ca, legacyPort), { status: 200, body: 'secret' }, 'the HTTP/1.0 port speaks TLS too');
  await assert.rejects(fetch(`http://127.0.0.1:${legacyPort}/status`), 'and not plain HTTP');
});

test('SIGHUP reloads a renewed certificate; connections already open go on', { skip }, async () => {
  const client = await connect(`wss://127.0.0.1:${server.port}/v1/ws`, { ca: certificates.ca, reconnect: false });
  try {
    const before = await peerSerial(certificates.ca);
    const renewed = certificates.renew();
    assert.notEqual(renewed, before);
    const reloads = server.logs.filter((line) => line.includes('tls reloaded')).length;
    server.child.kill('SIGHUP');
    const deadline = Date.now() + 5000;
    while (server.logs.filter((line) => line.includes('tls reloaded')).length === reloads && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await peerSerial(certificates.ca), renewed, 'new connections (with SNI) get the renewed certificate');
    assert.equal(await peerSerial(certificates.ca, legacyPort), renewed, 'so does the HTTP/1.0 port');
    await client.put('content', 'tls/b', 'after reload');
    assert.equal(new TextDecoder().decode((await client.get('content', 'tls/b'))?.value), 'after reload', 'the open connection goes on');
    assert.equal((await httpsGet('/v1/content/tls/b', certificates.ca)).body, 'after reload');
  } finally {
    await client.close();
  }
});

test('a bad certificate at start is refused with the file named; a bad one on reload keeps the old', { skip }, async () => {
  await assert.rejects(spawnServer({ config: { ...testConfig(), tls: { certFile: certificates.keyFile, keyFile: certificates.keyFile } } }), /not a PEM certificate/);
  const serial = await peerSerial(certificates.ca);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(certificates.certFile, 'not a certificate');
  server.child.kill('SIGHUP');
  const deadline = Date.now() + 5000;
  while (!server.logs.some((line) => line.includes('tls reload failed')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(server.logs.some((line) => line.includes('tls reload failed')));
  assert.equal(await peerSerial(certificates.ca), serial);
  assert.equal(await peerSerial(certificates.ca, legacyPort), serial);
});
