// Test support (not a test): a private CA and a server certificate for 127.0.0.1 / localhost,
// made with the openssl command line at test time (no key material is committed).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCertificates {
  folder: string;
  caFile: string;
  ca: string;
  certFile: string;
  keyFile: string;
  /** Issues a new server certificate (new serial) over certFile and keyFile; returns its serial. */
  renew(): string;
  remove(): void;
}

function openssl(folder: string, args: string[]): string {
  return execFileSync('openssl', args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 }).toString();
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export function makeTestCertificates(): TestCertificates {
  const folder = mkdtempSync(path.join(tmpdir(), 'tessera-tls-'));
  openssl(folder, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Tessera Test CA']);
  writeFileSync(path.join(folder, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  const renew = (): string => {
    openssl(folder, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key.new', '-out', 'server.csr', '-subj', '/CN=localhost']);
    openssl(folder, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem.new', '-days', '2', '-extfile', 'server.ext']);
    // Key first, then certificate, each replaced whole (a reload reads both).
    writeFileSync(path.join(folder, 'server.key'), readFileSync(path.join(folder, 'server.key.new')));
    writeFileSync(path.join(folder, 'server.pem'), readFileSync(path.join(folder, 'server.pem.new')));
    return openssl(folder, ['x509', '-in', 'server.pem', '-noout', '-serial']).trim().replace(/^serial=/, '');
  };
  renew();
  return {
    folder,
    caFile: path.join(folder, 'ca.pem'),
    ca: readFileSync(path.join(folder, 'ca.pem'), 'utf8'),
    certFile: path.join(folder, 'server.pem'),
    keyFile: path.join(folder, 'server.key'),
    renew,
    remove: () => rmSync(folder, { recursive: true, force: true }),
  };
}
