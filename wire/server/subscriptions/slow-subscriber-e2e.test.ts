// End to end: a subscriber that never reads while 200 MiB of changes flow. The server must stay
// bounded in memory (the slow connection leaves live delivery at subscriberBackpressureBytes and
// catches up from the change log later), a fast subscriber beside it must get everything, and the
// slow one, once it reads again, must learn what it lost with a Gap event, never by silence.
//
// What the server holds for its subscribers is read two ways. Exactly: /status's
// bufferedOutputBytes (the WebSockets' unread output as of the output budget's last sweep, every
// 50 ms), sampled after every four puts. Coarsely: RSS, measured against the same flow with no
// subscriber: 200 puts of 1 MiB grow a fresh server by ~180 MiB on their own (request copies and
// shard batches that V8 collects lazily; the table holds 4 MiB), a plateau a second identical flow
// does not raise. So a warm-up flow runs first, and the subscribers' cost is the peak RSS (VmHWM)
// above the warm-up's peak. Both printed. The peak depends on when V8 collects garbage: it read
// 0-22 MiB in most runs and 50 MiB once (a fresh-clone CI run), so its bound only tells a bounded
// server (tens of MiB) from one that holds the flow (200 MiB); the exact bound is the first.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Change } from '../../../engine/layout/types';
import { connect, type Client } from '../../client';
import { spawnServer, type ServerProcess } from '../server-process.fixture';
import { RawSubscriber } from './subscriber.fixture';

const valueBytes = 1024 * 1024;
const writes = 200;
const windowChanges = 32;
const subscriberBackpressureBytes = 8 * 1024 * 1024;
let server: ServerProcess;

/** A line of /proc/PID/status in KiB (VmRSS, VmHWM). */
function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith(`${field}:`));
  assert.ok(line !== undefined, `${field} in /proc/${pid}/status`);
  return Number(line.replace(/\D+/g, ''));
}

const mib = (kib: number): number => Math.round(kib / 1024);

/** /status's bufferedOutputBytes. */
async function bufferedOutputBytes(): Promise<number> {
  const status = (await (await fetch(`${server.httpUrl}/status`)).json()) as { bufferedOutputBytes: number };
  return status.bufferedOutputBytes;
}

/**
 * Writes `writes` values of 1 MiB (four in flight) to four keys; returns the largest VmRSS sampled
 * and, when asked, the largest bufferedOutputBytes sampled.
 */
async function flow(writer: Client, pid: number, label: string, sampleBuffered = false): Promise<{ rssMaxKiB: number; bufferedMax: number }> {
  const value = new Uint8Array(valueBytes).fill(label.charCodeAt(0));
  let rssMaxKiB = 0;
  let bufferedMax = 0;
  // Bounded: `writes` puts, four in flight.
  for (let index = 0; index < writes; index += 4) {
    await Promise.all([0, 1, 2, 3].map((offset) => writer.put('content', `big/${(index + offset) % 4}`, value)));
    rssMaxKiB = Math.max(rssMaxKiB, procStatusKiB(pid, 'VmRSS'));
    if (sampleBuffered) bufferedMax = Math.max(bufferedMax, await bufferedOutputBytes());
  }
  return { rssMaxKiB: Math.max(rssMaxKiB, procStatusKiB(pid, 'VmHWM')), bufferedMax };
}

before(async () => {
  server = await spawnServer({
    config: {
      logLevel: 'info',
      engine: {
        shards: 1,
        sweepIntervalMs: 0,
        changeLogCapacity: windowChanges,
        namespaces: [{ name: 'content', mode: 'store', maxValueBytes: 2 * valueBytes, memoryLimitBytes: 256 * 1024 * 1024 }],
      },
      limits: { shutdownGraceMs: 2000, subscriberBackpressureBytes },
    },
  });
});

after(async () => {
  await server?.stop();
});

test(`a subscriber that never reads while ${writes} MiB of changes flow: bounded server memory, then a Gap`, async () => {
  const pid = server.child.pid;
  assert.ok(pid !== undefined);
  const slow = await RawSubscriber.open(server.wsUrl);
  const reader = await connect(server.wsUrl);
  const writer = await connect(server.wsUrl);
  try {
    const warmPeakKiB = (await flow(writer, pid, 'warm-up')).rssMaxKiB;
    const answer = await slow.request([{ op: 'subscribe', subId: 1, ns: 'content', prefix: 'big/' }]);
    const joinedLsn = Number(answer.results[0]?.cursor);
    const fast = reader.subscribe({ ns: 'content', prefix: 'big/', values: true, queueMax: 16 });
    await fast.ready;
    let fastEvents = 0;
    let fastBytes = 0;
    const fastDone = (async () => {
      for await (const event of fast) {
        if (event.kind === 'gap') assert.fail('the fast subscriber got a gap');
        fastEvents++;
        fastBytes += event.value?.byteLength ?? 0;
        if (fastEvents === writes) return;
      }
    })();
    slow.pause();
    const startedMs = performance.now();
    const measured = await flow(writer, pid, 'measured', true);
    const flowPeakKiB = measured.rssMaxKiB;
    await fastDone;
    const flowMs = performance.now() - startedMs;
    const peakKiB = procStatusKiB(pid, 'VmHWM');
    const costKiB = peakKiB - warmPeakKiB;
    console.log(
      `slow subscriber: ${writes} MiB written in ${Math.round(flowMs)} ms past a subscriber that never reads; server peak RSS (VmHWM) ` +
        `${mib(peakKiB)} MiB (sampled max ${mib(flowPeakKiB)} MiB), the same flow with no subscriber ${mib(warmPeakKiB)} MiB: ` +
        `the subscribers cost ${mib(costKiB)} MiB; the slow one had read ${mib(slow.bytesReceived / 1024)} MiB; ` +
        `bufferedOutputBytes at most ${mib(measured.bufferedMax / 1024)} MiB`,
    );
    assert.equal(fastEvents, writes, 'the fast subscriber got every change');
    assert.equal(fastBytes, writes * valueBytes);
    // Held for the subscribers: per socket at most its allowance (8 MiB), a quarter of it more
    // before a sweep sees it, and a frame of 1 MiB, so 22 MiB for the two (seen: 10-22). The bound
    // leaves room for a sample taken between sweeps, and is far below the 200 MiB that flowed,
    // which a server that buffered for the slow one would hold.
    const heldMax = 4 * subscriberBackpressureBytes;
    assert.ok(measured.bufferedMax <= heldMax, `unread output of ${mib(measured.bufferedMax / 1024)} MiB held`);
    assert.ok(measured.bufferedMax >= subscriberBackpressureBytes, 'the slow socket filled its allowance (so the bound above was tested)');
    assert.ok(costKiB < 100 * 1024, `the subscribers cost ${mib(costKiB)} MiB of RSS`);

    // The slow subscriber reads again: what was buffered, then a Gap, then the window, up to the end.
    const lastLsn = joinedLsn + writes;
    slow.resume();
    await slow.until(() => {
      const last = slow.events[slow.events.length - 1]?.change;
      return last !== undefined && !('gap' in last) && last.lsn === lastLsn;
    }, 30_000);
    const events = slow.events.filter((event) => event.subId === 0 || event.subId === 1);
    const gaps = events.filter((event) => 'gap' in event.change);
    assert.ok(gaps.length >= 1, 'the slow subscriber was told it lost changes');
    let position = joinedLsn;
    for (const event of events) {
      if ('gap' in event.change) {
        assert.equal(event.subId, 1);
        assert.ok(event.change.oldestLsn - 1 > position, 'a gap skips forward');
        position = event.change.oldestLsn - 1;
        continue;
      }
      const change: Change = event.change;
      assert.equal(change.lsn, position + 1, 'no silent loss: each change follows the last, or a gap');
      assert.equal(change.value?.byteLength, valueBytes);
      position = change.lsn;
    }
    assert.equal(position, lastLsn);
    // The switch to catch-up is logged with its figures, once (rate-limited), not per change.
    const switched = server.logs.filter((line) => line.includes('slow subscriber switched to catch-up'));
    assert.equal(switched.length, 1, switched.join('\n'));
    const fields = JSON.parse(switched[0] ?? '{}') as { level?: number; bufferedBytes?: number; subscriberBackpressureBytes?: number; subscriptions?: number };
    assert.equal(fields.level, 40, 'a warning');
    assert.ok((fields.bufferedBytes ?? 0) >= subscriberBackpressureBytes, `bufferedBytes ${fields.bufferedBytes}`);
    assert.deepEqual([fields.subscriberBackpressureBytes, fields.subscriptions], [subscriberBackpressureBytes, 1]);
  } finally {
    slow.terminate();
    await reader.close();
    await writer.close();
  }
});
