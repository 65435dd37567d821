// Security review, finding 7: TLS 1.2 accepted suites without forward secrecy (AES128-SHA: RSA key
// exchange, CBC). Both TLS listeners (uWS's SSLApp on the node's port, Node's TLS on the HTTP/1.0
// port) now offer Mozilla's "intermediate" TLS 1.2 suites only. Checked with the openssl command
// line against a real server process; skipped only when openssl is missing.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';
import { hasOpenssl, makeTestCertificates, type TestCertificates } from './tls-certs.fixture';

const skip = hasOpenssl() ? false : 'openssl is not installed';
let certificates: TestCertificates;
let server: ServerProcess;
let legacyPort = 0;

before(async () => {
  if (skip !== false) return;
  certificates = makeTestCertificates();
  server = await spawnServer({ config: { ...testConfig(), legacyHttpPort: 0, tls: { certFile: certificates.certFile, keyFile: certificates.keyFile } } });
  const line = server.logs.find((entry) => entry.includes('"tessera listening"')) ?? '{}';
  legacyPort = (JSON.parse(line) as { legacyHttpPort?: number }).legacyHttpPort ?? 0;
  assert.ok(legacyPort > 0, `legacy port in ${line}`);
});

after(async () => {
  await server?.stop();
  certificates?.remove();
});

/** The cipher an `openssl s_client` handshake settled on, or null when the handshake failed. */
function negotiatedCipher(port: number, options: string[]): string | null {
  const result = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...options], { input: '', timeout: 10_000, encoding: 'utf8' });
  const match = /Cipher is (\S+)/.exec(result.stdout);
  const cipher = match?.[1];
  return result.status === 0 && cipher !== undefined && cipher !== '(NONE)' ? cipher : null;
}

const ports = (): [string, number][] => [
  ['uWS port', server.port],
  ['HTTP/1.0 port', legacyPort],
];

test('TLS 1.2 without forward secrecy (AES128-SHA) is refused on both TLS ports', { skip }, () => {
  for (const [name, port] of ports()) assert.equal(negotiatedCipher(port, ['-tls1_2', '-cipher', 'AES128-SHA']), null, name);
});

test('TLS 1.2 with ECDHE-RSA-AES128-GCM-SHA256 is accepted on both TLS ports', { skip }, () => {
  for (const [name, port] of ports()) assert.equal(negotiatedCipher(port, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']), 'ECDHE-RSA-AES128-GCM-SHA256', name);
});

test('TLS 1.3 is still offered on both TLS ports', { skip }, () => {
  for (const [name, port] of ports()) assert.match(negotiatedCipher(port, ['-tls1_3']) ?? 'none', /^TLS_/, name);
});
