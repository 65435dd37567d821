// Access control (issue 9), end to end through a real server process: every op refused without
// the right token, table-driven over op × role, over WebSocket (typed statuses per op) and HTTP
// (401 / 403); the upgrade's token in the Authorization header or the access_token parameter;
// operator routes behind admin when configured closed; the real client's token option.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { Status } from '../../engine/layout/status';
import type { WireOp } from '../codec';
import { connect } from '../client';
import { createTokenEntry } from './token-command';
import type { RoleName } from './access-control';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

type RoleCase = 'none' | 'read' | 'write' | 'admin' | 'otherNamespace';
const grants: Record<Exclude<RoleCase, 'none'>, Record<string, RoleName>> = {
  read: { content: 'read' },
  write: { content: 'write' },
  admin: { '*': 'admin' },
  otherNamespace: { other: 'admin' },
};
const tokens = new Map<RoleCase, string>();
const entries = Object.entries(grants).map(([role, roles]) => {
  const created = createTokenEntry(role, roles);
  tokens.set(role as RoleCase, created.token);
  return created.entry;
});
const rank: Record<RoleCase, number> = { none: 0, otherNamespace: 0, read: 1, write: 2, admin: 3 };

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: { ...testConfig(), auth: { tokens: entries } } });
  // One record to read, written by the admin token.
  const admin = await openWs('admin');
  const seeded = await admin.request([{ op: 'put', ns: 'content', key: 'acl/seed', value: 'v' }]);
  assert.equal(seeded.results[0]?.status, Status.Ok);
  await admin.close();
});

after(async () => {
  await server?.stop();
});

function openWs(role: RoleCase, via: 'header' | 'query' = 'header'): Promise<RawWsClient> {
  const token = tokens.get(role);
  if (token === undefined || via === 'header') return RawWsClient.open(server.wsUrl, token === undefined ? {} : { Authorization: `Bearer ${token}` });
  return RawWsClient.open(`${server.wsUrl}?access_token=${encodeURIComponent(token)}`);
}

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

// Each op with the role it needs: read 1, write 2.
const wsOps: [string, number, (index: number, role: string) => WireOp][] = [
  ['get', 1, () => ({ op: 'get', ns: 'content', key: 'acl/seed' })],
  ['head', 1, () => ({ op: 'head', ns: 'content', key: 'acl/seed' })],
  ['scan', 1, () => ({ op: 'scan', ns: 'content', prefix: 'acl/' })],
  ['subscribe', 1, (index) => ({ op: 'subscribe', subId: 100 + index, ns: 'content', key: 'acl/seed' })],
  ['put', 2, (index, role) => ({ op: 'put', ns: 'content', key: `acl/put/${role}/${index}`, value: 'x' })],
  ['touch', 2, () => ({ op: 'touch', ns: 'content', key: 'acl/seed', ttl: 0 })],
  ['delete', 2, (index) => ({ op: 'delete', ns: 'content', key: `acl/missing/${index}` })],
];

describe('WebSocket: op × role', () => {
  test('an upgrade without a valid token is refused 401', async () => {
    assert.equal(await upgradeStatus(server.wsUrl), 401);
    assert.equal(await upgradeStatus(server.wsUrl, { Authorization: 'Bearer tsr_not-a-token' }), 401);
    assert.equal(await upgradeStatus(`${server.wsUrl}?access_token=wrong`), 401);
    assert.equal(await upgradeStatus(server.wsUrl, { Authorization: `Bearer ${tokens.get('read')}` }), 101);
    assert.equal(await upgradeStatus(`${server.wsUrl}?access_token=${tokens.get('read')}`), 101);
  });

  for (const role of ['read', 'write', 'admin', 'otherNamespace'] as const) {
    test(`role ${role}: each op allowed or Forbidden, and a Forbidden write writes nothing`, async () => {
      const client = await openWs(role, role === 'read' ? 'query' : 'header');
      try {
        for (const [index, [name, needed, build]] of wsOps.entries()) {
          const response = await client.request([build(index, role)]);
          const status = response.results[0]?.status;
          if (rank[role] >= needed) assert.notEqual(status, Status.Forbidden, `${role} may ${name}`);
          else assert.equal(status, Status.Forbidden, `${role} may not ${name}`);
        }
        const unsubscribe = await client.request([{ op: 'unsubscribe', subId: 999 }]);
        assert.notEqual(unsubscribe.results[0]?.status, Status.Forbidden, 'unsubscribe needs no role');
        const admin = await openWs('admin');
        const check = await admin.request([{ op: 'get', ns: 'content', key: `acl/put/${role}/4` }]);
        assert.equal(check.results[0]?.status, rank[role] >= 2 ? Status.Ok : Status.NotFound);
        await admin.close();
      } finally {
        await client.close();
      }
    });
  }
});

describe('HTTP: method × role', () => {
  const methods: [string, number][] = [
    ['GET', 1],
    ['HEAD', 1],
    ['PUT', 2],
    ['DELETE', 2],
  ];
  for (const role of ['none', 'read', 'write', 'admin', 'otherNamespace'] as const) {
    test(`role ${role}`, async () => {
      for (const [method, needed] of methods) {
        const token = tokens.get(role);
        const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
        const key = method === 'DELETE' ? `acl/http/del-${role}` : method === 'PUT' ? `acl/http/put-${role}` : 'acl/seed';
        const response = await fetch(`${server.httpUrl}/v1/content/${key}`, { method, headers, body: method === 'PUT' ? 'x' : undefined });
        const expected = role === 'none' ? 401 : rank[role] >= needed ? null : 403;
        if (expected === null) assert.ok(response.status < 400 || response.status === 404, `${role} ${method}: ${response.status}`);
        else assert.equal(response.status, expected, `${role} ${method}`);
        if (expected === 401) assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
      const stored = await fetch(`${server.httpUrl}/v1/content/acl/http/put-${role}`, { headers: { Authorization: `Bearer ${tokens.get('admin')}` } });
      assert.equal(stored.status, rank[role] >= 2 ? 200 : 404, 'a refused PUT wrote nothing');
    });
  }

  test('a wrong token is 401, and an unknown namespace is not revealed without one', async () => {
    assert.equal((await fetch(`${server.httpUrl}/v1/content/acl/seed`, { headers: { Authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await fetch(`${server.httpUrl}/v1/secret-ns/k`)).status, 401);
  });

  // /status and /metrics, protected (the default once tokens exist) or open (auth.openStatus,
  // auth.openMetrics true), by the token presented. "reduced" is /status's health-only document.
  type Access = 'none' | 'invalid' | 'write' | 'admin';
  const routeTable: { route: '/status' | '/metrics'; open: boolean; expect: Record<Access, number | 'reduced'> }[] = [
    { route: '/status', open: false, expect: { none: 'reduced', invalid: 401, write: 'reduced', admin: 200 } },
    { route: '/status', open: true, expect: { none: 200, invalid: 200, write: 200, admin: 200 } },
    { route: '/metrics', open: false, expect: { none: 401, invalid: 401, write: 403, admin: 200 } },
    { route: '/metrics', open: true, expect: { none: 200, invalid: 200, write: 200, admin: 200 } },
  ];
  let openServer: ServerProcess | null = null;
  after(async () => {
    await openServer?.stop();
  });

  for (const { route, open, expect } of routeTable) {
    for (const [access, expected] of Object.entries(expect) as [Access, number | 'reduced'][]) {
      test(`${route} ${open ? 'open' : 'protected (default)'}, ${access} token: ${expected}`, async () => {
        openServer ??= await spawnServer({ config: { ...testConfig(), auth: { tokens: entries, openStatus: true, openMetrics: true } } });
        const base = open ? openServer.httpUrl : server.httpUrl;
        const bearer = access === 'none' ? undefined : access === 'invalid' ? 'tsr_not-a-token' : tokens.get(access);
        const response = await fetch(`${base}${route}`, { headers: bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` } });
        const body = await response.text();
        if (expected === 'reduced') {
          assert.equal(response.status, 200);
          const document = JSON.parse(body) as Record<string, unknown>;
          assert.deepEqual(Object.keys(document).sort(), ['detail', 'state']);
          assert.equal(document['state'], 'running');
          assert.doesNotMatch(body, /content|namespaces|dataDir/);
          return;
        }
        assert.equal(response.status, expected, body);
        if (expected === 401) assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
        if (expected === 200 && route === '/status') assert.ok(Array.isArray((JSON.parse(body) as { namespaces?: unknown }).namespaces), 'the whole document');
        if (expected === 200 && route === '/metrics') assert.match(body, /^# (HELP|TYPE) /m);
      });
    }
  }
});

describe('the client', () => {
  test('connect(url, { token }) sends the token; a Forbidden op is a typed error', async () => {
    const client = await connect(server.wsUrl, { token: tokens.get('read'), reconnect: false });
    try {
      assert.equal(new TextDecoder().decode((await client.get('content', 'acl/seed'))?.value), 'v');
      await assert.rejects(client.put('content', 'acl/client', 'x'), (error: unknown) => (error as { status?: string }).status === 'Forbidden');
    } finally {
      await client.close();
    }
  });

  test('connect without a token fails', async () => {
    await assert.rejects(connect(server.wsUrl, { reconnect: false, connectTimeoutMs: 2000 }));
  });
});

describe('protected mode', () => {
  test('a non-loopback address without tokens refuses to start, naming the fixes; --insecure starts', async () => {
    await assert.rejects(spawnServer({ config: testConfig(), args: ['--host', '0.0.0.0'] }), (error: unknown) => {
      const message = String(error);
      assert.match(message, /tessera token create/);
      assert.match(message, /--insecure/);
      return true;
    });
    const insecure = await spawnServer({ config: testConfig(), args: ['--host', '0.0.0.0', '--insecure'] });
    assert.equal((await fetch(`http://127.0.0.1:${insecure.port}/status`)).status, 200);
    await insecure.stop();
  });
});

describe('the command line', () => {
  test('tessera put/get --token (or TESSERA_TOKEN); without a token the command fails', async () => {
    const { execFile } = await import('node:child_process');
    const { cliPath } = await import('./server-process.fixture');
    const run = (args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, [cliPath, ...args, '--url', server.wsUrl], { env: { ...process.env, TESSERA_TOKEN: '', ...env }, timeout: 15_000 }, (error, stdout) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout });
        });
      });
    assert.equal((await run(['put', 'acl/cli', 'from the cli', '--token', tokens.get('write') as string])).code, 0);
    const got = await run(['get', 'acl/cli'], { TESSERA_TOKEN: tokens.get('read') as string });
    assert.deepEqual(got, { code: 0, stdout: 'from the cli' });
    assert.notEqual((await run(['get', 'acl/cli'])).code, 0, 'no token: refused');
  });
});

function replicationUpgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'tessera-replication', { headers });
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

test('admin routes (promote, failover, snapshot) and the replication link need an admin token', async () => {
  const bearer = (role: RoleCase): Record<string, string> => ({ authorization: `Bearer ${tokens.get(role)}` });
  for (const path of ['/v1/admin/promote', '/v1/admin/failover?to=http://127.0.0.1:9', '/v1/admin/snapshot']) {
    assert.equal((await fetch(`${server.httpUrl}${path}`, { method: 'POST' })).status, 401, `${path} without a token`);
    assert.equal((await fetch(`${server.httpUrl}${path}`, { method: 'POST', headers: bearer('write') })).status, 403, `${path} with a write token`);
  }
  const replicationUrl = server.wsUrl.replace('/v1/ws', '/v1/replication');
  assert.equal(await replicationUpgradeStatus(replicationUrl), 401, 'a link without a token');
  assert.equal(await replicationUpgradeStatus(replicationUrl, bearer('read')), 403, 'a link with a read token');
  const admin = tokens.get('admin')!;
  assert.equal(await replicationUpgradeStatus(`${replicationUrl}?access_token=${encodeURIComponent(admin)}`), 101, 'a link with an admin token in its URL');
});
