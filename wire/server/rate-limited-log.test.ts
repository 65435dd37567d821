import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { RateLimitedLog } from './rate-limited-log';

test('once, then at most once per interval per kind, with the count of the lines not logged', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  let nowMs = 1000;
  const log = new RateLimitedLog(logger, 10_000, () => nowMs);
  assert.equal(log.log('warn', 'refused', { httpCode: 503 }, 'refused'), true);
  for (let i = 0; i < 50; i++) assert.equal(log.log('warn', 'refused', { httpCode: 503 }, 'refused'), false);
  assert.equal(log.log('error', 'shard', { shard: 1 }, 'died'), true, 'another kind has its own budget');
  nowMs += 10_000;
  assert.equal(log.log('warn', 'refused', { httpCode: 401 }, 'refused'), true);
  assert.deepEqual(lines.map(({ kind, httpCode, shard, suppressed, msg }) => ({ kind, httpCode, shard, suppressed, msg })), [
    { kind: 'refused', httpCode: 503, shard: undefined, suppressed: undefined, msg: 'refused' },
    { kind: 'shard', httpCode: undefined, shard: 1, suppressed: undefined, msg: 'died' },
    { kind: 'refused', httpCode: 401, shard: undefined, suppressed: 50, msg: 'refused' },
  ]);
});
