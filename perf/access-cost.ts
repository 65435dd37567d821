// The cost of access control and TLS (issue 9), measured with the C load generators so the client
// costs the same on both sides: wrk on Tessera's HTTP GET (cdn reads: one 1 KiB value) and
// redis-benchmark GET on Redis (1 KiB values), each plain, with a token / requirepass, and with TLS
// plus the token / requirepass. Same connections (50) and threads (2) everywhere.
//
//   npm run bench -- --access [--duration SEC] [--rounds N]      (perf/bench.ts; also writes JSON)
//   node dist/perf/access-cost.js [--duration SEC] [--rounds N]  (the table only)
//
// A mode of its own rather than a target of the main harness (which drives Tessera through the
// WebSocket client and Redis through its protocol, neither with a token or TLS): the cost of
// access control is a ratio within one run, each configuration against the same server plain.
// Certificates come from openssl at run time (wire/server/tls-certs.fixture.ts). On a shared
// 2-core machine the figures are indicative: compare ratios within one run, not across runs.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnTracked, stopTracked } from './child-processes';
import { freePort } from './free-port';
import { readProcessCpuUs } from './proc-cpu';
import { serverHost } from './running-server';
import { createTokenEntry } from '../wire/server/token-command';
import { spawnServer, testConfig } from '../wire/server/server-process.fixture';
import { makeTestCertificates, type TestCertificates } from '../wire/server/tls-certs.fixture';

const connections = 50;
const threads = 2;
const valueBytes = 1024;

export interface AccessCostOptions {
  durationSec: number;
  rounds: number;
}

/** One round of one load generator against one configuration. */
export interface AccessRound {
  requestsPerSec: number;
  /** As the tool prints it ("1.23ms"); null where it prints none (redis-benchmark -q: no p99). */
  p50: string | null;
  p99: string | null;
  /** Responses other than 2xx/3xx (wrk); must be 0 for the round to mean anything. */
  non2xx: number;
  /**
   * The server's CPU (user + system, /proc/PID/stat) during the round ÷ requests answered: the
   * figure that holds up when the load generator and other work share the 2 cores.
   */
  serverCpuUsPerRequest: number;
}

export interface AccessRow {
  target: 'tessera' | 'redis';
  /** plain | token | tls + token | requirepass | tls + requirepass */
  config: string;
  rounds: AccessRound[];
  medianRequestsPerSec: number;
  medianServerCpuUsPerRequest: number;
  /** This row's median against the same target's plain median, as a fraction (0.93 = 7 % slower). */
  relativeToPlain: number;
  /** This row's server CPU per request against the plain row's (1.10 = 10 % more CPU per request). */
  cpuRelativeToPlain: number;
}

export interface AccessCostReport {
  kind: 'access-cost';
  startedAt: string;
  finishedAt: string;
  workload: string;
  connections: number;
  threads: number;
  valueBytes: number;
  durationSec: number;
  rounds: number;
  note: string;
  rows: AccessRow[];
}

function parseOptions(argv: string[]): AccessCostOptions {
  const options: AccessCostOptions = { durationSec: 6, rounds: 2 };
  for (let index = 0; index < argv.length; index += 2) {
    const value = Number(argv[index + 1]);
    if (argv[index] === '--duration' && Number.isInteger(value) && value > 0 && value <= 600) options.durationSec = value;
    else if (argv[index] === '--rounds' && Number.isInteger(value) && value > 0 && value <= 10) options.rounds = value;
    else throw new Error(`usage: access-cost [--duration SEC] [--rounds N] (got ${argv[index]})`);
  }
  return options;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function wrk(url: string, headers: string[], durationSec: number, serverPid: number): AccessRound {
  const cpuBeforeUs = readProcessCpuUs(serverPid);
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationSec}s`, '--latency'];
  for (const header of headers) args.push('-H', header);
  const output = execFileSync('wrk', [...args, url], { encoding: 'utf8', timeout: (durationSec + 30) * 1000 });
  const cpuUs = readProcessCpuUs(serverPid) - cpuBeforeUs;
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  return {
    serverCpuUsPerRequest: requests === 0 ? 0 : Number((cpuUs / requests).toFixed(2)),
    requestsPerSec: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0)),
    p50: /50%\s+([\d.]+\w+)/.exec(output)?.[1] ?? null,
    p99: /99%\s+([\d.]+\w+)/.exec(output)?.[1] ?? null,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? '0'),
  };
}

async function tessera(config: object, scheme: 'http' | 'https', headers: string[], certificates: TestCertificates, options: AccessCostOptions): Promise<AccessRound[]> {
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
    if (put !== '201') throw new Error(`tessera: seeding the value answered ${put}`);
    const rounds: AccessRound[] = [];
    const pid = server.child.pid ?? 0;
    for (let round = 0; round < options.rounds; round++) rounds.push(wrk(url, headers, options.durationSec, pid));
    return rounds;
  } finally {
    await server.stop();
  }
}

async function redis(serverArgs: string[], benchmarkArgs: string[], tls: boolean, options: AccessCostOptions): Promise<AccessRound[]> {
  const port = await freePort();
  const listen = tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const child = spawnTracked('redis-server', [...listen, '--bind', serverHost, '--save', '', '--appendonly', 'no', ...serverArgs], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const requests = String(Math.max(100_000, options.durationSec * 60_000));
    const rounds: AccessRound[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const cpuBeforeUs = readProcessCpuUs(child.pid ?? 0);
      const output = execFileSync('redis-benchmark', ['-h', serverHost, '-p', String(port), '-t', 'get', '-d', String(valueBytes), '-c', String(connections), '-n', requests, '--threads', String(threads), '-q', ...benchmarkArgs], {
        encoding: 'utf8',
        timeout: (options.durationSec * 10 + 60) * 1000,
      });
      const summary = /GET: ([\d.]+) requests per second, p50=([\d.]+) msec/.exec(output);
      if (summary === null) throw new Error(`redis-benchmark printed no GET summary: ${output.trim().slice(-200)}`);
      const cpuUs = readProcessCpuUs(child.pid ?? 0) - cpuBeforeUs;
      const serverCpuUsPerRequest = Number((cpuUs / Number(requests)).toFixed(2));
      rounds.push({ requestsPerSec: Math.round(Number(summary[1])), p50: `${summary[2]}ms`, p99: null, non2xx: 0, serverCpuUsPerRequest });
    }
    return rounds;
  } finally {
    await stopTracked(child);
  }
}

function row(target: AccessRow['target'], config: string, rounds: AccessRound[], plain: AccessRow | null): AccessRow {
  const medianRequestsPerSec = Math.round(median(rounds.map((round) => round.requestsPerSec)));
  const medianServerCpuUsPerRequest = Number(median(rounds.map((round) => round.serverCpuUsPerRequest)).toFixed(2));
  const relativeToPlain = plain === null || plain.medianRequestsPerSec === 0 ? 1 : medianRequestsPerSec / plain.medianRequestsPerSec;
  const cpuRelativeToPlain = plain === null || plain.medianServerCpuUsPerRequest === 0 ? 1 : medianServerCpuUsPerRequest / plain.medianServerCpuUsPerRequest;
  return { target, config, rounds, medianRequestsPerSec, medianServerCpuUsPerRequest, relativeToPlain, cpuRelativeToPlain };
}

/** Runs every configuration (Tessera, then Redis), each with its rounds back to back. */
export async function runAccessCost(options: AccessCostOptions, log: (line: string) => void = () => undefined): Promise<AccessCostReport> {
  const startedAt = new Date().toISOString();
  const certificates = makeTestCertificates();
  const rows: AccessRow[] = [];
  try {
    const token = createTokenEntry('access-cost', { '*': 'write' });
    const auth = [`Authorization: Bearer ${token.token}`];
    const tls = { certFile: certificates.certFile, keyFile: certificates.keyFile };
    const tesseraPlain = row('tessera', 'plain', await tessera({}, 'http', [], certificates, options), null);
    rows.push(tesseraPlain);
    log('tessera plain done');
    rows.push(row('tessera', 'token', await tessera({ auth: { tokens: [token.entry] } }, 'http', auth, certificates, options), tesseraPlain));
    log('tessera token done');
    rows.push(row('tessera', 'tls + token', await tessera({ tls, auth: { tokens: [token.entry] } }, 'https', auth, certificates, options), tesseraPlain));
    log('tessera tls + token done');
    const password = 'access-cost';
    const redisPlain = row('redis', 'plain', await redis([], [], false, options), null);
    rows.push(redisPlain);
    log('redis plain done');
    rows.push(row('redis', 'requirepass', await redis(['--requirepass', password], ['-a', password], false, options), redisPlain));
    log('redis requirepass done');
    const redisTls = ['--tls-cert-file', certificates.certFile, '--tls-key-file', certificates.keyFile, '--tls-ca-cert-file', certificates.caFile, '--tls-auth-clients', 'no'];
    rows.push(row('redis', 'tls + requirepass', await redis([...redisTls, '--requirepass', password], ['--tls', '--cacert', certificates.caFile, '-a', password], true, options), redisPlain));
    log('redis tls + requirepass done');
  } finally {
    certificates.remove();
  }
  return {
    kind: 'access-cost',
    startedAt,
    finishedAt: new Date().toISOString(),
    workload: `cdn reads: HTTP GET (wrk) / GET (redis-benchmark) of one ${valueBytes}-byte value`,
    connections,
    threads,
    valueBytes,
    durationSec: options.durationSec,
    rounds: options.rounds,
    note: 'client and server share the 2 cores; compare each row with its own target\'s plain row in the same run',
    rows,
  };
}

export function renderAccessTable(report: AccessCostReport): string {
  const lines = [
    `${report.workload}, ${report.connections} connections, ${report.threads} threads, ${report.rounds} x ${report.durationSec} s`,
    `${'target'.padEnd(8)} ${'config'.padEnd(18)} ${'median req/s'.padStart(12)} ${'vs plain'.padStart(9)} ${'srv µs/req'.padStart(10)} ${'CPU vs plain'.padStart(12)}  rounds (req/s, p50, p99, srv µs/req)`,
  ];
  for (const entry of report.rows) {
    const rounds = entry.rounds.map((round) => `${round.requestsPerSec} ${round.p50 ?? '-'} ${round.p99 ?? '-'} ${round.serverCpuUsPerRequest}${round.non2xx === 0 ? '' : ` non-2xx ${round.non2xx}`}`).join(' | ');
    const relative = `${(entry.relativeToPlain * 100).toFixed(1)} %`;
    lines.push(`${entry.target.padEnd(8)} ${entry.config.padEnd(18)} ${String(entry.medianRequestsPerSec).padStart(12)} ${relative.padStart(9)} ${entry.medianServerCpuUsPerRequest.toFixed(2).padStart(10)} ${`${(entry.cpuRelativeToPlain * 100).toFixed(1)} %`.padStart(12)}  ${rounds}`);
  }
  return lines.join('\n');
}

if (require.main === module) {
  runAccessCost(parseOptions(process.argv.slice(2))).then(
    (report) => console.log(renderAccessTable(report)),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
