import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessControl, bearerToken, createToken, hashToken, Principal, Role } from './access-control';
import { resolveServerConfig } from './server-config';
import { createTokenEntry, parseRoles } from './token-command';

test('roles: a namespace entry wins over "*"; read < write < admin', () => {
  const principal = new Principal('p', { content: 'write', drafts: 'read', '*': 'read' });
  assert.equal(principal.roleFor('content'), Role.Write);
  assert.equal(principal.roleFor('drafts'), Role.Read);
  assert.equal(principal.roleFor('anything'), Role.Read);
  assert.equal(principal.allows({ op: 'put', ns: 'content', key: 'k', value: 'v' }), true);
  assert.equal(principal.allows({ op: 'put', ns: 'drafts', key: 'k', value: 'v' }), false);
  assert.equal(principal.allows({ op: 'scan', ns: 'drafts' }), true);
  assert.equal(principal.allows({ op: 'unsubscribe', subId: 1 }), true);
  assert.equal(principal.isAdmin, false);
  assert.equal(new Principal('a', { '*': 'admin' }).isAdmin, true);
  assert.equal(new Principal('n', { other: 'admin' }).roleFor('content'), Role.None);
});

test('tokens: random, prefixed, looked up by SHA-256 only', () => {
  const token = createToken();
  assert.match(token, /^tsr_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(createToken(), token);
  const access = new AccessControl({ tokens: [{ name: 'x', sha256: hashToken(token), roles: { '*': 'read' } }], openStatus: true, openMetrics: true });
  assert.equal(access.enabled, true);
  assert.equal(access.authenticate(token)?.name, 'x');
  assert.equal(access.authenticate(token)?.name, 'x', 'cached');
  assert.equal(access.authenticate(`${token}x`), null);
  assert.equal(access.authenticate(''), null);
  assert.equal(new AccessControl({ tokens: [], openStatus: true, openMetrics: true }).enabled, false);
});

test('bearerToken parses Authorization: Bearer only', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer  abc '), 'abc');
  assert.equal(bearerToken('Basic abc'), '');
  assert.equal(bearerToken('Bearer a b'), '');
  assert.equal(bearerToken(''), '');
});

test('token create: roles parsed, entry holds the hash, not the token', () => {
  assert.deepEqual(parseRoles(['content=write', '*=read']), { content: 'write', '*': 'read' });
  assert.throws(() => parseRoles([]), /at least one --role/);
  assert.throws(() => parseRoles(['content=owner']), /read, write, admin/);
  assert.throws(() => parseRoles(['=read']), /NAMESPACE=ROLE/);
  const created = createTokenEntry('cdn', { content: 'write' });
  assert.equal(created.entry.sha256, hashToken(created.token));
  assert.ok(!JSON.stringify(created.entry).includes(created.token));
});

test('config: auth validated; protected mode', () => {
  const read = (text: string) => () => text;
  const entry = createTokenEntry('cdn', { content: 'write' }).entry;
  const config = resolveServerConfig({ flags: { config: 'c.json' }, env: {}, readFile: read(JSON.stringify({ auth: { tokens: [entry], openStatus: false } })) });
  assert.equal(config.auth.tokens.length, 1);
  assert.equal(config.auth.openStatus, false);
  assert.equal(config.auth.openMetrics, false, 'protected unless configured open');
  const open = resolveServerConfig({ flags: { config: 'c.json' }, env: {}, readFile: read(JSON.stringify({ auth: { tokens: [entry], openStatus: true, openMetrics: true } })) });
  assert.equal(open.auth.openStatus, true);
  assert.equal(open.auth.openMetrics, true);
  assert.throws(() => resolveServerConfig({ flags: { config: 'c.json' }, env: {}, readFile: read(JSON.stringify({ auth: { tokens: [entry], openStatus: 'yes' } })) }), /auth.openStatus must be true or false/);
  assert.throws(() => resolveServerConfig({ flags: { config: 'c.json' }, env: {}, readFile: read(JSON.stringify({ auth: { tokens: [{ ...entry, sha256: 'tsr_secret' }] } })) }), (error: unknown) => {
    assert.match(String(error), /64 hex digits/);
    assert.doesNotMatch(String(error), /tsr_secret/, 'a pasted token is never echoed');
    return true;
  });
  assert.throws(() => resolveServerConfig({ flags: { config: 'c.json' }, env: {}, readFile: read(JSON.stringify({ auth: { tokens: [{ ...entry, roles: { content: 'owner' } }] } })) }), /read, write, admin/);
  assert.throws(() => resolveServerConfig({ flags: { host: '0.0.0.0' }, env: {} }), /--insecure/);
  assert.equal(resolveServerConfig({ flags: { host: '0.0.0.0', insecure: true }, env: {} }).insecure, true);
  assert.equal(resolveServerConfig({ flags: { host: 'localhost' }, env: {} }).host, 'localhost');
  const withToken = resolveServerConfig({ flags: { host: '0.0.0.0', config: 'c.json' }, env: {}, readFile: read(JSON.stringify({ auth: { tokens: [entry] } })) });
  assert.equal(withToken.host, '0.0.0.0');
});

test('authenticateHeader: Bearer values, the last valid one remembered, invalid ones never', () => {
  const token = createToken();
  const access = new AccessControl({ tokens: [{ name: 'x', sha256: hashToken(token), roles: { '*': 'read' } }], openStatus: true, openMetrics: true });
  assert.equal(access.authenticateHeader(`Bearer ${token}`)?.name, 'x');
  assert.equal(access.authenticateHeader(`Bearer ${token}`)?.name, 'x');
  assert.equal(access.authenticateHeader('Bearer wrong'), null);
  assert.equal(access.authenticateHeader('Bearer wrong'), null);
  assert.equal(access.authenticateHeader(''), null);
  assert.equal(access.authenticateHeader(`Basic ${token}`), null);
});
