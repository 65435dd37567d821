// The cost of access control and TLS (issue 9), measured with the C load generators so the client
// costs the same on both sides: wrk on Tessera's HTTP GET (cdn reads: one 1 KiB value) and
// redis-benchmark GET on Redis (1 KiB values), each plain, with a token / requirepass, and with TLS
// plus the token / requirepass. Same connections (50) and threads (2) everywhere.
//
//   npm run build && node dist/perf/access-cost.js [--duration SEC] [--rounds N]
//
// Not part of `npm run bench` (its harness drives Tessera through the WebSocket client, which this
// does not change): a focused comparison, printed as one line per configuration. Certificates come
// from openssl at run time (wire/server/tls-certs.fixture.ts). On a shared 2-core machine the
// figures are indicative: compare ratios within one run, not across runs.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnTracked, stopTracked } from './child-processes';
import { freePort } from './free-port';
import { serverHost } from './running-server';
import { createTokenEntry } from '../wire/server/token-command';
import { spawnServer, testConfig } from '../wire/server/server-process.fixture';
import { makeTestCertificates, type TestCertificates } from '../wire/server/tls-certs.fixture';

const connections = 50;
const threads = 2;
const valueBytes = 1024;

interface Options {
  durationSec: number;
  rounds: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { durationSec: 6, rounds: 2 };
  for (let index = 0; index < argv.length; index += 2) {
    const value = Number(argv[index + 1]);
    if (argv[index] === '--duration' && Number.isInteger(value) && value > 0 && value <= 600) options.durationSec = value;
    else if (argv[index] === '--rounds' && Number.isInteger(value) && value > 0 && value <= 10) options.rounds = value;
    else throw new Error(`usage: access-cost [--duration SEC] [--rounds N] (got ${argv[index]})`);
  }
  return options;
}

function wrk(url: string, headers: string[], durationSec: number): string {
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationSec}s`, '--latency'];
  for (const header of headers) args.push('-H', header);
  const output = execFileSync('wrk', [...args, url], { encoding: 'utf8', timeout: (durationSec + 30) * 1000 });
  const rate = Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0));
  const p50 = /50%\s+([\d.]+\w+)/.exec(output)?.[1] ?? '?';
  const p99 = /99%\s+([\d.]+\w+)/.exec(output)?.[1] ?? '?';
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? '0';
  return `${rate} req/s p50 ${p50} p99 ${p99}${non2xx === '0' ? '' : ` non-2xx ${non2xx}`}`;
}

async function tessera(name: string, config: object, scheme: 'http' | 'https', headers: string[], certificates: TestCertificates, options: Options): Promise<void> {
  // testConfig: the test servers' settings (one shard, memory only), the namespace as the cdn has it.
  const server = await spawnServer({ config: { ...testConfig({ namespaces: [{ name: 'content', mode: 'store' }] }), ...config } });
  try {
    const url = `${scheme}://${serverHost}:${server.port}/v1/content/access-cost/key`;
    const folder = mkdtempSync(path.join(tmpdir(), 'tessera-access-cost-'));
    const valueFile = path.join(folder, 'value');
    writeFileSync(valueFile, Buffer.alloc(valueBytes, 0x61));
    const curl = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '--data-binary', `@${valueFile}`, '--cacert', certificates.caFile];
    for (const header of headers) curl.push('-H', header);
    const put = execFileSync('curl', [...curl, url], { encoding: 'utf8', timeout: 10_000 });
    rmSync(folder, { recursive: true, force: true });
    if (put !== '201') throw new Error(`tessera ${name}: seeding the value answered ${put}`);
    const rounds: string[] = [];
    for (let round = 0; round < options.rounds; round++) rounds.push(wrk(url, headers, options.durationSec));
    console.log(`tessera ${name.padEnd(16)} ${rounds.join(' | ')}`);
  } finally {
    await server.stop();
  }
}

async function redis(name: string, serverArgs: string[], benchmarkArgs: string[], tls: boolean, options: Options): Promise<void> {
  const port = await freePort();
  const listen = tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const child = spawnTracked('redis-server', [...listen, '--bind', serverHost, '--save', '', '--appendonly', 'no', ...serverArgs], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const requests = String(Math.max(100_000, options.durationSec * 60_000));
    const rounds: string[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const output = execFileSync('redis-benchmark', ['-h', serverHost, '-p', String(port), '-t', 'get', '-d', String(valueBytes), '-c', String(connections), '-n', requests, '--threads', String(threads), '-q', ...benchmarkArgs], {
        encoding: 'utf8',
        timeout: (options.durationSec * 10 + 60) * 1000,
      });
      const summary = /GET: ([\d.]+) requests per second, p50=([\d.]+) msec/.exec(output);
      rounds.push(summary === null ? output.trim().slice(-120) : `${Math.round(Number(summary[1]))} req/s p50 ${summary[2]}ms`);
    }
    console.log(`redis   ${name.padEnd(16)} ${rounds.join(' | ')}`);
  } finally {
    await stopTracked(child);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const certificates = makeTestCertificates();
  try {
    const token = createTokenEntry('access-cost', { '*': 'write' });
    const auth = [`Authorization: Bearer ${token.token}`];
    const tls = { certFile: certificates.certFile, keyFile: certificates.keyFile };
    console.log(`GET of one ${valueBytes}-byte value, ${connections} connections, ${threads} threads, ${options.rounds} × ${options.durationSec} s`);
    await tessera('plain', {}, 'http', [], certificates, options);
    await tessera('token', { auth: { tokens: [token.entry] } }, 'http', auth, certificates, options);
    await tessera('tls + token', { tls, auth: { tokens: [token.entry] } }, 'https', auth, certificates, options);
    const password = 'access-cost';
    await redis('plain', [], [], false, options);
    await redis('requirepass', ['--requirepass', password], ['-a', password], false, options);
    const redisTls = ['--tls-cert-file', certificates.certFile, '--tls-key-file', certificates.keyFile, '--tls-ca-cert-file', certificates.caFile, '--tls-auth-clients', 'no'];
    await redis('tls + requirepass', [...redisTls, '--requirepass', password], ['--tls', '--cacert', certificates.caFile, '-a', password], true, options);
  } finally {
    certificates.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
