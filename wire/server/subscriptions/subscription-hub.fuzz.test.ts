// Randomized: writes, subscribes (from now, from an LSN in or before the window, from beyond the
// newest), unsubscribes, slow and stalled readers, sweeps, pumps, answers delayed by a turn, all
// interleaved by a seeded PRNG. Every subscription's events are checked against the full history:
// each matching change after its start exactly once, in LSN order, values as asked, and a Gap
// only where the window really lost something. The seed is printed so a failure can be replayed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeLog } from '../../../engine/front/change-log';
import { namespaceDefaults } from '../../../engine/front/config';
import type { ChangeKind, NamespaceConfig } from '../../../engine/layout/types';
import { seededRandom } from '../raw-ws.fixture';
import { SubscriptionHub, type HubStats } from './subscription-hub';
import { FakeBroker } from './fake-uws.fixture';
import { TestPeer, type PeerSubscription } from './peer.fixture';

interface Written {
  lsn: number;
  ns: string;
  key: string;
  kind: ChangeKind;
  valueBytes: number;
}

const namespaces: ReadonlyMap<string, NamespaceConfig> = new Map([
  ['content', namespaceDefaults('content')],
  ['other', namespaceDefaults('other')],
]);
const keys = ['a/b/c', 'a/b/d/e', 'a/x', 'a/b/', 'b', 'b/1', 'ab/c', 'a'];
const filters: { key?: string; prefix?: string }[] = [{}, { key: 'a/b/c' }, { key: 'b' }, { prefix: 'a/' }, { prefix: 'a/b/' }, { prefix: 'a/b' }, { prefix: 'a' }, { prefix: '' }, { prefix: 'b/' }];
const seeds = 40;
const opsPerSeed = 1500;
const settleRoundsMax = 2000;

for (const coalesce of [false, true]) {
  test(`hub and client feed against the full history (${seeds} seeds × ${opsPerSeed} ops, ${coalesce ? 'changes coalesced into batches' : 'one frame per change'})`, () => fuzz(coalesce));
}

async function fuzz(coalesce: boolean): Promise<void> {
  const firstSeed = Number(process.env['TESSERA_SEED'] ?? Date.now() % 1_000_000);
  const totals = { fellBehind: 0, gapsSent: 0, batchesPublished: 0 };
  for (let offset = 0; offset < seeds; offset++) {
    const seed = firstSeed + offset;
    try {
      const stats = await runSeed(seed, coalesce);
      totals.fellBehind += stats.fellBehind;
      totals.gapsSent += stats.gapsSent;
      totals.batchesPublished += stats.batchesPublished;
    } catch (error) {
      console.log(`subscription fuzz failed with seed ${seed} (TESSERA_SEED=${seed} replays it)`);
      throw error;
    }
  }
  // The interleavings worth testing happened: slow connections, and gaps.
  assert.ok(totals.fellBehind > seeds, `connections fell behind ${totals.fellBehind} times`);
  assert.ok(totals.gapsSent > seeds, `${totals.gapsSent} gaps`);
  if (coalesce) assert.ok(totals.batchesPublished > seeds, `${totals.batchesPublished} batch frames published`);
}

async function runSeed(seed: number, coalesce: boolean): Promise<HubStats> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const log = new ChangeLog(64);
  const broker = new FakeBroker();
  const hub = new SubscriptionHub(log, broker, namespaces, { subscriberBackpressureBytes: 64 * 1024, subscriptionsPerConnectionMax: 16 }, { manualTimers: true, coalesceChanges: coalesce });
  const peers = Array.from({ length: 3 }, () => new TestPeer(hub, broker));
  for (const peer of peers) peer.deferAnswers = random() < 0.5;
  const history: Written[] = [];
  const starts = new Map<PeerSubscription, { start: number; beyond: boolean }>();
  const encoder = new TextEncoder();

  const write = (): void => {
    const kind: ChangeKind = random() < 0.8 ? 'put' : pick(['delete', 'touch', 'expired', 'evicted'] as const);
    const ns = random() < 0.9 ? 'content' : 'other';
    const key = pick(keys);
    const valueBytes = kind === 'put' ? Math.floor(random() * random() * 6000) : 0;
    const lsn = log.append({ kind, ns, key: encoder.encode(key), generation: history.length + 1, expiry: 0, lastModified: 0, contentType: '', value: kind === 'put' ? new Uint8Array(valueBytes) : null });
    history.push({ lsn, ns, key, kind, valueBytes });
  };
  const subscribe = (): void => {
    const peer = pick(peers);
    // Stay under subscriptionsPerConnectionMax: any refusal is then a failure.
    if (peer.subscriptions.filter((subscription) => !subscription.unsubscribed).length >= 16) return;
    const last = log.lastLsn;
    const roll = random();
    const fromLsn = roll < 0.5 ? undefined : roll < 0.9 ? Math.max(0, last - Math.floor(random() * 100)) : roll < 0.95 ? 0 : last + 3;
    const subscription = peer.subscribe({ ns: random() < 0.9 ? 'content' : 'other', ...pick(filters), fromLsn, values: random() < 0.7 });
    starts.set(subscription, { start: fromLsn ?? last, beyond: fromLsn !== undefined && fromLsn > last });
  };
  const unsubscribe = (): void => {
    const peer = pick(peers);
    const candidates = peer.subscriptions.filter((subscription) => !subscription.unsubscribed);
    if (candidates.length > 0) peer.unsubscribe(pick(candidates));
  };

  for (let op = 0; op < opsPerSeed; op++) {
    const roll = random();
    if (roll < 0.4) write();
    else if (roll < 0.47) subscribe();
    else if (roll < 0.49) unsubscribe();
    else if (roll < 0.69) {
      // The third peer is a stalled reader most of the time.
      const peer = pick(peers);
      if (peer !== peers[2] || random() < 0.1) peer.read(random() < 0.5 ? undefined : Math.floor(random() * 20));
    } else if (roll < 0.79) {
      // uWS hands frames to sockets after the turn's microtasks, where the hub flushes.
      hub.flush();
      broker.drain();
    }
    else if (roll < 0.84) hub.sweep();
    else if (roll < 0.94) hub.pump();
    else if (roll < 0.97) for (const peer of peers) peer.flushAnswers();
    else await Promise.resolve();
  }
  // Settle: everyone reads until every subscription has its answer and nobody is catching up.
  for (let round = 0; round < settleRoundsMax; round++) {
    hub.flush();
    broker.drain();
    for (const peer of peers) {
      peer.flushAnswers();
      peer.read();
    }
    hub.sweep();
    hub.pump();
    await Promise.resolve();
    await Promise.resolve();
    const unanswered = peers.some((peer) => peer.subscriptions.some((subscription) => !subscription.unsubscribed && subscription.status === null));
    if (!unanswered && hub.stats().catchingUp === 0 && peers.every((peer) => peer.socket.wire.length === 0)) break;
  }
  for (const peer of peers) {
    for (const subscription of peer.subscriptions) {
      const { start, beyond } = starts.get(subscription) ?? { start: 0, beyond: false };
      check(subscription, start, beyond, history);
    }
  }
  return hub.stats();
}

function matches(subscription: PeerSubscription, written: Written): boolean {
  const { op } = subscription;
  if (written.ns !== op.ns) return false;
  if (op.key !== undefined) return written.key === op.key;
  return op.prefix === undefined || written.key.startsWith(op.prefix as string);
}

function check(subscription: PeerSubscription, start: number, beyond: boolean, history: readonly Written[]): void {
  const label = JSON.stringify({ ...subscription.op, key: subscription.op.key, prefix: subscription.op.prefix });
  if (subscription.status !== null && subscription.status !== 0) assert.fail(`${label}: refused with status ${subscription.status}`);
  let position = start;
  let index = 0;
  for (const event of subscription.events) {
    if (event.kind === 'gap') {
      // A start beyond the newest change gets a Gap that moves the position back.
      if (!(beyond && index === 0)) assert.ok(event.oldestLsn - 1 > position, `${label}: a gap at ${event.oldestLsn} skips nothing after ${position}`);
      position = event.oldestLsn - 1;
      index++;
      continue;
    }
    const expected = history.find((written) => written.lsn > position && matches(subscription, written));
    assert.ok(expected !== undefined, `${label}: event ${event.lsn} after ${position}, but nothing matching was written`);
    assert.equal(event.lsn, expected.lsn, `${label}: after ${position} expected lsn ${expected.lsn}`);
    assert.equal(Buffer.from(event.key).toString(), expected.key);
    assert.equal(event.kind, expected.kind);
    const wantsValue = subscription.op.values !== false && expected.kind === 'put';
    assert.equal(event.value === null ? null : event.value.byteLength, wantsValue ? expected.valueBytes : null, `${label}: value of ${event.lsn}`);
    position = event.lsn;
    index++;
  }
  if (subscription.unsubscribed) return;
  const missing = history.find((written) => written.lsn > position && matches(subscription, written));
  assert.equal(missing, undefined, `${label}: nothing delivered after ${position} though lsn ${missing?.lsn} matches`);
}
