// Security review, finding 1: a stored value is served on the API's own origin, so a stored
// text/html page ran with that origin's rights (stored XSS: read and write every key, open /v1/ws).
// Every content GET/HEAD answer now carries nosniff and a CSP sandbox (an opaque origin), on the
// HTTP/1.1 port and on the HTTP/1.0 listener. Through a real server process.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { header, rawHttp } from './raw-http.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const sandbox = 'sandbox allow-scripts allow-forms allow-popups allow-modals';
const page = '<script>fetch("/v1/content/x",{method:"PUT",body:"owned"})</script>';

let server: ServerProcess;
let legacyPort = 0;

before(async () => {
  server = await spawnServer({ config: { ...testConfig(), legacyHttpPort: 0 } });
  const line = server.logs.find((entry) => entry.includes('"tessera listening"')) ?? '{}';
  legacyPort = (JSON.parse(line) as { legacyHttpPort?: number }).legacyHttpPort ?? 0;
  assert.ok(legacyPort > 0, `legacy port in ${line}`);
  const put = await rawHttp(server.port, `PUT /v1/content/page HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/html\r\nContent-Length: ${page.length}\r\n\r\n${page}`, { expectResponses: 1 });
  assert.equal(put.responses[0]?.status, 201, put.raw.toString());
});

after(async () => {
  await server?.stop();
});

describe('a stored HTML value is served sandboxed', () => {
  for (const method of ['GET', 'HEAD']) {
    test(`${method} on the HTTP/1.1 port carries nosniff and the CSP sandbox`, async () => {
      // Connection: close, so a HEAD answer (a Content-Length but no body) ends with the socket.
      const got = await rawHttp(server.port, `${method} /v1/content/page HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      const raw = got.raw.toString();
      assert.match(raw, /^HTTP\/1\.1 200 /);
      assert.match(raw, /\r\ncontent-type: text\/html\r\n/i);
      assert.match(raw, /\r\nx-content-type-options: nosniff\r\n/i);
      assert.match(raw, new RegExp(`\\r\\ncontent-security-policy: ${sandbox}\\r\\n`, 'i'));
    });

    test(`${method} on the HTTP/1.0 listener carries nosniff and the CSP sandbox`, async () => {
      const got = await rawHttp(legacyPort, `${method} /v1/content/page HTTP/1.0\r\n\r\n`);
      assert.match(got.raw.toString(), /^HTTP\/1\.[01] 200 /);
      assert.match(got.raw.toString(), /\r\nx-content-type-options: nosniff\r\n/i);
      assert.match(got.raw.toString(), new RegExp(`\\r\\ncontent-security-policy: ${sandbox}\\r\\n`, 'i'));
    });
  }

  test('a 304 revalidation carries them too', async () => {
    const etag = (await fetch(`${server.httpUrl}/v1/content/page`, { method: 'HEAD' })).headers.get('etag') ?? '';
    const got = await rawHttp(server.port, `GET /v1/content/page HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: ${etag}\r\n\r\n`, { expectResponses: 1 });
    const response = got.responses[0];
    assert.ok(response !== undefined, got.raw.toString());
    assert.equal(response.status, 304);
    assert.equal(header(response, 'content-security-policy'), sandbox);
  });
});
