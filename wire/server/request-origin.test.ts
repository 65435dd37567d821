import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostName, isLoopbackHost, OriginPolicy } from './request-origin';

test('hostName strips the port, keeps IPv6 brackets', () => {
  assert.equal(hostName('localhost:7070'), 'localhost');
  assert.equal(hostName('[::1]:7070'), '[::1]');
  assert.equal(hostName('Example.COM'), 'example.com');
});

test('isLoopbackHost', () => {
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', 'app.localhost']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', 'evil.example', '10.0.0.1', 'localhost.evil.example', '128.0.0.1']) assert.equal(isLoopbackHost(host), false, host);
});

test('bound to loopback: loopback Host names only, plus allowedHosts', () => {
  const policy = new OriginPolicy({ host: '127.0.0.1', allowedOrigins: [], allowedHosts: ['tessera.internal'] });
  for (const host of ['127.0.0.1:7070', 'localhost', '[::1]:1', 'tessera.internal:7070', '']) assert.equal(policy.hostAllowed(host), true, host);
  for (const host of ['evil.example', 'evil.example:7070', '10.0.0.1']) assert.equal(policy.hostAllowed(host), false, host);
});

test('bound elsewhere: any Host unless allowedHosts lists some', () => {
  assert.equal(new OriginPolicy({ host: '0.0.0.0', allowedOrigins: [], allowedHosts: [] }).hostAllowed('anything.example'), true);
  const listed = new OriginPolicy({ host: '0.0.0.0', allowedOrigins: [], allowedHosts: ['a.example'] });
  assert.equal(listed.hostAllowed('a.example:80'), true);
  assert.equal(listed.hostAllowed('b.example'), false);
  assert.equal(listed.hostAllowed('localhost'), false, 'loopback names are not implied off loopback');
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
