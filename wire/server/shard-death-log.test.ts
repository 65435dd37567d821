import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { EngineApi } from '../../engine/front/engine-api';
import { watchShardDeaths } from './shard-death-log';

test('a shard thread death is logged once with its reason; a crash loop is rate-limited', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  let shardRestarts = 0;
  const engine = { stats: () => ({ shardRestarts }) } as unknown as EngineApi;
  const stop = watchShardDeaths(engine, logger, 20);
  try {
    const waitMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    await waitMs(60);
    assert.equal(lines.length, 0, 'nothing died');
    process.emitWarning('tessera shard 1 thread died: boom', 'TesseraShardRestart');
    await new Promise((resolve) => setImmediate(resolve));
    shardRestarts = 1;
    await waitMs(60);
    shardRestarts = 5;
    await waitMs(60);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.deepEqual([lines[0]?.['level'], lines[0]?.['died'], lines[0]?.['shardRestarts'], lines[0]?.['reason']], [50, 1, 1, 'tessera shard 1 thread died: boom']);
  } finally {
    stop();
  }
});
