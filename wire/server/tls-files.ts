// TLS on the node's one port (uWS's SSLApp): the certificate and key are read from files named in
// the config, `"tls": { "certFile", "keyFile" }`, and read again on SIGHUP (server.ts reloadTls),
// so a renewed certificate is served without a restart.
//
// How a reload reaches clients, and its limit: uWS 20.30 cannot replace an SSLApp's default
// context, and a port with open connections cannot be bound again by a new app (measured:
// EADDRINUSE, exclusive or not). What it can do is SNI: the renewed pair is added as the context
// for every DNS name the certificate names (its subjectAltName DNS entries, else its CN), replacing
// the one a previous reload added. So clients that connect by name (they send SNI: browsers, the
// Node client, curl, nginx with proxy_ssl_server_name) get the renewed certificate at once, and open
// connections go on; a client that connects by IP address sends no SNI and gets the certificate
// the node started with until it restarts. The pair is checked with Node's own TLS
// (createSecureContext) before uWS sees it: uWS only says "App construction failed", while a bad
// file or a key that does not match the certificate should stop a start or a reload with its name.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { AppOptions, TemplatedApp } from 'uWebSockets.js';
import type { UwsModule } from './load-uws';
import { reasonOf, ServerError } from './server-errors';

/**
 * The TLS 1.2 suites of Mozilla's "intermediate" configuration (guideline 5.7): forward-secret
 * (ECDHE, DHE) AEAD suites only, so a recorded session cannot be read later with the server's key
 * and no CBC or RSA-key-exchange suite (AES128-SHA and the like) is offered. TLS 1.3 suites are all
 * forward secret; uWS's BoringSSL does not let them be configured, so they are not named here.
 */
export const tls12Ciphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * The same for Node's TLS (the HTTP/1.0 listener), with the TLS 1.3 suites named too: Node caps a
 * context at TLS 1.2 when its `ciphers` name no TLS 1.3 suite.
 */
export const nodeTlsCiphers = `TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:${tls12Ciphers}`;

export interface TlsConfig {
  certFile: string;
  keyFile: string;
}

/** Throws TlsUnreadable when the files cannot be read or do not form a certificate and its key. */
export function checkTlsFiles(tls: TlsConfig): void {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(tls.certFile);
    key = readFileSync(tls.keyFile);
  } catch (error: unknown) {
    throw new ServerError('TlsUnreadable', `cannot read TLS files (${tls.certFile}, ${tls.keyFile}): ${reasonOf(error)}`, { cause: error });
  }
  try {
    createSecureContext({ cert, key });
  } catch (error: unknown) {
    throw new ServerError('TlsUnreadable', `${tls.certFile} and ${tls.keyFile} are not a PEM certificate and its private key: ${reasonOf(error)}`, { cause: error });
  }
}

/** A plain App, or an SSLApp with the files (checked first). */
export function createApp(uws: UwsModule, tls: TlsConfig | null): TemplatedApp {
  if (tls === null) return uws.App();
  checkTlsFiles(tls);
  const options: AppOptions = { cert_file_name: tls.certFile, key_file_name: tls.keyFile, ssl_ciphers: tls12Ciphers };
  return uws.SSLApp(options);
}

/** The DNS names a certificate is for: its subjectAltName DNS entries, else its CN. */
export function certificateNames(certPem: Buffer): string[] {
  const certificate = new X509Certificate(certPem);
  const names = (certificate.subjectAltName ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  if (names.length > 0) return names;
  const commonName = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
  return commonName === undefined ? [] : [commonName.toLowerCase()];
}

/**
 * Installs the pair on disk as the SNI context of each name it is for (see the top of this file),
 * replacing those a previous reload added; `installed` holds those names across reloads.
 */
export function reloadServerNames(app: TemplatedApp, tls: TlsConfig, installed: Set<string>): string[] {
  checkTlsFiles(tls);
  const names = certificateNames(readFileSync(tls.certFile));
  if (names.length === 0) throw new ServerError('TlsUnreadable', `${tls.certFile} names no DNS name (subjectAltName or CN) to serve it for`);
  const options: AppOptions = { cert_file_name: tls.certFile, key_file_name: tls.keyFile, ssl_ciphers: tls12Ciphers };
  for (const name of installed) app.removeServerName(name);
  installed.clear();
  for (const name of names) {
    app.addServerName(name, options);
    installed.add(name);
  }
  return names;
}
