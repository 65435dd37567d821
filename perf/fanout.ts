// The fanout workload: one writer, many subscribers; the figure is publish-to-deliver latency.
//
// The writer is an open-loop lane whose op is `publish`: each write carries its intended send time
// (epoch µs), so a delivery's latency runs from when the write was due, not from when a busy
// writer got round to it. Every subscriber records now - intended for each measured delivery.
// Ops/s for fanout means deliveries per second; a delivery that never arrives is an error
// (expected = writes × subscribers, counted by the main thread).

import { epochUs, fanoutPayloadBytes, readMeasuredSendUs, writeFanoutPayload } from './fanout-keys';
import { recordLatencyUs } from './latency-histogram';
import type { LaneRecorder } from './load-lanes';
import type { FanoutSubscription, TargetConnection } from './target-connection';
import type { WorkloadDriver } from './workload';

/** The writer's driver: every op publishes one payload stamped with its intended send time. */
export class FanoutWriterDriver implements WorkloadDriver {
  opsGet = 0;
  opsPut = 0;
  phase = 0;
  /** performance.timeOrigin in µs: converts the lane clock to epoch µs. */
  readonly #originUs = performance.timeOrigin * 1000;

  issue(connection: TargetConnection, intendedUs: number): Promise<number> {
    if (connection.publish === undefined) throw new Error('this target cannot publish');
    this.opsPut++;
    // A fresh payload per write: a client may still hold the previous one in its send queue.
    const payload = new Uint8Array(fanoutPayloadBytes);
    writeFanoutPayload(payload, this.#originUs + intendedUs, this.phase);
    return connection.publish(payload);
  }
}

/** Subscribes every connection; deliveries are recorded into whichever recorder is current. */
export async function subscribeAll(connections: readonly TargetConnection[], current: () => LaneRecorder): Promise<FanoutSubscription[]> {
  const onPayload = (payload: Uint8Array): void => {
    const intendedEpochUs = readMeasuredSendUs(payload);
    if (intendedEpochUs < 0) return;
    const recorder = current();
    recordLatencyUs(recorder.latency, epochUs() - intendedEpochUs);
    recorder.counts.ok++;
  };
  const subscriptions: FanoutSubscription[] = [];
  for (const connection of connections) {
    if (connection.subscribe === undefined) throw new Error('this target cannot subscribe');
    subscriptions.push(await connection.subscribe(onPayload));
  }
  return subscriptions;
}
