import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostName, isIpLiteralHost, isLoopbackHost, OriginPolicy } from './request-origin';

test('hostName strips the port, keeps IPv6 brackets', () => {
  assert.equal(hostName('localhost:7070'), 'localhost');
  assert.equal(hostName('[::1]:7070'), '[::1]');
  assert.equal(hostName('Example.COM'), 'example.com');
});

test('isLoopbackHost', () => {
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', 'app.localhost']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', 'evil.example', '10.0.0.1', 'localhost.evil.example', '128.0.0.1']) assert.equal(isLoopbackHost(host), false, host);
});

test('isIpLiteralHost: dotted IPv4 and bracketed IPv6 only', () => {
  for (const host of ['10.0.0.1', '0.0.0.0', '192.168.1.20', '[::1]', '[fe80::1]', '[2001:db8::7]']) assert.equal(isIpLiteralHost(host), true, host);
  for (const host of ['evil.example', '10.0.0.1.evil.example', '::1', '[evil.example]', '300.1.1.1', '']) assert.equal(isIpLiteralHost(host), false, host);
});

test('bound to loopback: IP literals and loopback names, plus allowedHosts', () => {
  const policy = new OriginPolicy({ host: '127.0.0.1', allowedOrigins: [], allowedHosts: ['tessera.internal'] });
  for (const host of ['127.0.0.1:7070', 'localhost', '[::1]:1', 'tessera.internal:7070', '', '10.0.0.1']) assert.equal(policy.hostAllowed(host), true, host);
  for (const host of ['evil.example', 'evil.example:7070', 'localhost.evil.example']) assert.equal(policy.hostAllowed(host), false, host);
});

test('bound to a wildcard address, allowedHosts empty: DNS names are refused (DNS rebinding)', () => {
  const policy = new OriginPolicy({ host: '0.0.0.0', allowedOrigins: [], allowedHosts: [] });
  for (const host of ['anything.example', 'anything.example:7070', 'evil.example.']) assert.equal(policy.hostAllowed(host), false, host);
  for (const host of ['10.0.0.5:7070', '[fe80::1]:7070', 'localhost:7070', '127.0.0.1', '']) assert.equal(policy.hostAllowed(host), true, host);
});

test('bound to a wildcard address with allowedHosts: those names, IP literals and loopback names', () => {
  const listed = new OriginPolicy({ host: '0.0.0.0', allowedOrigins: [], allowedHosts: ['a.example'] });
  for (const host of ['a.example:80', 'A.Example', '10.0.0.5', '[::1]:7070', 'localhost']) assert.equal(listed.hostAllowed(host), true, host);
  for (const host of ['b.example', 'a.example.evil', 'sub.a.example']) assert.equal(listed.hostAllowed(host), false, host);
});

test('origins: none allowed by default, absent Origin allowed, exact match, * for any', () => {
  const none = new OriginPolicy({ host: '127.0.0.1', allowedOrigins: [], allowedHosts: [] });
  assert.equal(none.originAllowed(''), true);
  assert.equal(none.originAllowed('http://evil.example'), false);
  // A page served by this node itself is same-origin: its Origin names the Host it came from.
  assert.equal(none.originAllowed('http://127.0.0.1:7070', '127.0.0.1:7070'), true);
  assert.equal(none.originAllowed('http://evil.example', '127.0.0.1:7070'), false);
  assert.equal(none.originAllowed('http://127.0.0.1:7071', '127.0.0.1:7070'), false);
  const listed = new OriginPolicy({ host: '127.0.0.1', allowedOrigins: ['https://App.example/'], allowedHosts: [] });
  assert.equal(listed.originAllowed('https://app.example'), true);
  assert.equal(listed.originAllowed('http://app.example'), false);
  assert.equal(listed.originAllowed('https://app.example.evil'), false);
  assert.equal(new OriginPolicy({ host: '127.0.0.1', allowedOrigins: ['*'], allowedHosts: [] }).originAllowed('http://x'), true);
});

test('corsAllowed: listed origins, "*" for any but null, nothing malformed', () => {
  const listed = new OriginPolicy({ host: '127.0.0.1', allowedOrigins: ['https://app.example'], allowedHosts: [] });
  assert.equal(listed.corsEnabled, true);
  assert.equal(listed.corsAllowed('https://app.example'), true);
  assert.equal(listed.corsAllowed('https://APP.example'), true);
  assert.equal(listed.corsAllowed('https://other.example'), false);
  assert.equal(listed.corsAllowed(''), false);
  assert.equal(listed.corsAllowed('null'), false);
  const any = new OriginPolicy({ host: '127.0.0.1', allowedOrigins: ['*'], allowedHosts: [] });
  assert.equal(any.corsAllowed('https://whoever.example:8443'), true);
  assert.equal(any.corsAllowed('null'), false, 'sandboxed stored pages run as null');
  assert.equal(any.corsAllowed('https://x.example\r\nSet-Cookie: a=b'), false);
  assert.equal(any.corsAllowed(`https://${'a'.repeat(400)}.example`), false);
  const none = new OriginPolicy({ host: '127.0.0.1', allowedOrigins: [], allowedHosts: [] });
  assert.equal(none.corsEnabled, false);
  assert.equal(none.corsAllowed('https://app.example'), false);
  const nullListed = new OriginPolicy({ host: '127.0.0.1', allowedOrigins: ['null'], allowedHosts: [] });
  assert.equal(nullListed.corsAllowed('null'), true);
});
