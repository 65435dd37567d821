// Access control on the namespace routes, end to end: listing needs read on the namespace; purges
// (HTTP by prefix and by tag, the WebSocket purge op) need admin on it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Status } from '../../engine/layout/status';
import { connect } from '../client';
import type { RoleName } from './access-control';
import { createTokenEntry } from './token-command';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const grants: Record<string, Record<string, RoleName>> = {
  read: { content: 'read' },
  write: { content: 'write' },
  admin: { content: 'admin' },
  otherAdmin: { other: 'admin' },
};
const tokens = new Map<string, string>();
const entries = Object.entries(grants).map(([name, roles]) => {
  const created = createTokenEntry(name, roles);
  tokens.set(name, created.token);
  return created.entry;
});
let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: { ...testConfig(), auth: { tokens: entries } } });
});

after(async () => {
  await server?.stop();
});

function call(path: string, method: string, who: string | null, body?: string): Promise<Response> {
  const headers: Record<string, string> = who === null ? {} : { Authorization: `Bearer ${tokens.get(who)}` };
  return fetch(`${server.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

test('listing: read on the namespace; purges: admin on it; 401 without a token', async () => {
  const cases: [string, string, string | undefined, Record<string, number>][] = [
    ['/v1/content?prefix=a', 'GET', undefined, { none: 401, read: 200, write: 200, admin: 200, otherAdmin: 403 }],
    ['/v1/content?prefix=a', 'DELETE', undefined, { none: 401, read: 403, write: 403, admin: 200, otherAdmin: 403 }],
    ['/v1/content/_purge', 'POST', '{"tags":["t"]}', { none: 401, read: 403, write: 403, admin: 200, otherAdmin: 403 }],
  ];
  for (const [path, method, body, expected] of cases) {
    for (const [who, status] of Object.entries(expected)) {
      const response = await call(path, method, who === 'none' ? null : who, body);
      assert.equal(response.status, status, `${method} ${path} as ${who}`);
      await response.arrayBuffer();
    }
  }
  // A namespace that does not exist answers 403 to a token without a role there, not 404.
  assert.equal((await call('/v1/nowhere', 'GET', 'read')).status, 403);
});

test('the WebSocket purge op needs admin: write gets Forbidden, admin purges', async () => {
  const writer = await connect(server.wsUrl, { reconnect: false, token: tokens.get('write')! });
  const admin = await connect(server.wsUrl, { reconnect: false, token: tokens.get('admin')! });
  try {
    await writer.put('content', 'ws/a', 'v', { tags: ['ws'] });
    await assert.rejects(writer.purge({ ns: 'content', tags: ['ws'] }), { code: Status.Forbidden });
    assert.notEqual(await writer.get('content', 'ws/a'), null);
    assert.deepEqual(await admin.purge({ ns: 'content', tags: ['ws'] }), { deleted: 1 });
    await writer.put('content', 'ws/b', 'v');
    assert.deepEqual(await admin.purge({ ns: 'content', prefix: 'ws/' }), { deleted: 1 });
  } finally {
    await writer.close();
    await admin.close();
  }
});
