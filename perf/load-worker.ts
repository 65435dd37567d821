// A generator thread: opens its share of the connections, then runs the phases the main thread
// asks for (worker-protocol.ts). Load comes from threads so that one event loop is not the
// bottleneck being measured; its CPU is still reported, as the generator's.

import { parentPort, workerData } from 'node:worker_threads';
import { opsPerSecondMax, progressIntervalMs } from './bounds';
import { FanoutWriterDriver, subscribeAll } from './fanout';
import { phaseMeasure, phaseWarmup } from './fanout-keys';
import { keyNames, valueBytes } from './keys';
import { createLatencyHistogram, encodeHistogram } from './latency-histogram';
import { performanceClockUs, runClosedLane, runOpenLane, type LanePlan, type LaneRecorder } from './load-lanes';
import { openConnection } from './open-connection';
import { createOutcomeCounts, outcomeTotal } from './outcome';
import { SeededRandom } from '../engine/layout/seeded-random';
import type { FanoutSubscription, TargetConnection } from './target-connection';
import { createWorkloadDriver, type WorkloadDriver } from './workload';
import { isMainToWorker, type MainToWorker, type PhaseName, type WorkerPhaseResult, type WorkerPlan, type WorkerToMain } from './worker-protocol';
import { ZipfSampler } from './zipf';

/** Messages the worker can receive in its life: two phases and a close. */
const messagesMax = 8;

function post(message: WorkerToMain): void {
  parentPort?.postMessage(message);
}

function createRecorder(): LaneRecorder {
  return { latency: createLatencyHistogram(), service: createLatencyHistogram(), counts: createOutcomeCounts() };
}

class Generator {
  readonly #plan: WorkerPlan;
  readonly #connections: TargetConnection[];
  readonly #driver: WorkloadDriver;
  readonly #fanoutWriter: FanoutWriterDriver | undefined;
  #recorder: LaneRecorder = createRecorder();
  #subscriptions: FanoutSubscription[] = [];

  constructor(plan: WorkerPlan, connections: TargetConnection[]) {
    this.#plan = plan;
    this.#connections = connections;
    const random = new SeededRandom(plan.seed + plan.workerIndex * 7919);
    if (plan.workload === 'fanout') {
      // Every fanout worker subscribes; only the one chosen as writer publishes.
      const writer = new FanoutWriterDriver();
      this.#fanoutWriter = plan.fanoutWriter ? writer : undefined;
      this.#driver = writer;
    } else {
      this.#driver = createWorkloadDriver(plan.workload, new ZipfSampler(plan.keys, plan.zipfExponent), random, plan.generations);
    }
  }

  async subscribe(): Promise<void> {
    if (this.#plan.workload === 'fanout') this.#subscriptions = await subscribeAll(this.#connections, () => this.#recorder);
  }

  async runPhase(phase: PhaseName, durationMs: number): Promise<WorkerPhaseResult> {
    this.#recorder = createRecorder();
    const recorder = this.#recorder;
    const opsGetBefore = this.#driver.opsGet;
    const opsPutBefore = this.#driver.opsPut;
    const progress = setInterval(() => post({ type: 'progress', ops: outcomeTotal(recorder.counts), errors: recorder.counts.error }), progressIntervalMs);
    try {
      if (this.#plan.workload === 'fanout') await this.#runFanoutPhase(phase, durationMs);
      else await this.#runLanes(durationMs);
    } finally {
      clearInterval(progress);
    }
    const published = this.#plan.workload === 'fanout' ? this.#driver.opsPut - opsPutBefore : 0;
    return {
      latency: encodeHistogram(recorder.latency),
      service: encodeHistogram(recorder.service),
      counts: { ...recorder.counts },
      opsGet: this.#driver.opsGet - opsGetBefore,
      opsPut: this.#plan.workload === 'fanout' ? 0 : this.#driver.opsPut - opsPutBefore,
      published,
    };
  }

  async #runLanes(durationMs: number): Promise<void> {
    const plan = this.#plan;
    const startUs = performanceClockUs();
    const lanes = this.#connections.map((connection, index) => {
      const lanePlan = lanePlanFor(plan, startUs, durationMs, plan.laneIndexFirst + index);
      return plan.ratePerLane > 0 ? runOpenLane(connection, this.#driver, lanePlan, this.#recorder) : runClosedLane(connection, this.#driver, lanePlan, this.#recorder);
    });
    await Promise.all(lanes);
  }

  async #runFanoutPhase(phase: PhaseName, durationMs: number): Promise<void> {
    const plan = this.#plan;
    const writer = this.#fanoutWriter;
    const connection = this.#connections[0];
    if (writer !== undefined && connection !== undefined) {
      writer.phase = phase === 'measure' ? phaseMeasure : phaseWarmup;
      const startUs = performanceClockUs();
      const writerPlan: LanePlan = {
        pipeline: plan.pipeline,
        startUs,
        deadlineUs: startUs + durationMs * 1000,
        opsMax: Math.ceil((durationMs / 1000) * plan.fanoutRate) + 1,
        intervalUs: 1e6 / plan.fanoutRate,
      };
      // Publish acknowledgements go to `service`: deliveries own `latency`.
      const ackRecorder: LaneRecorder = { latency: this.#recorder.service, service: createLatencyHistogram(), counts: createOutcomeCounts() };
      await runOpenLane(connection, writer, writerPlan, ackRecorder);
      this.#recorder.counts.error += ackRecorder.counts.error;
    } else {
      await sleep(durationMs);
    }
    await sleep(plan.fanoutGraceMs);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#subscriptions.map((subscription) => subscription.close()));
    await Promise.allSettled(this.#connections.map((connection) => connection.close()));
  }
}

function lanePlanFor(plan: WorkerPlan, startUs: number, durationMs: number, laneIndex: number): LanePlan {
  const opsMax = Math.max(1, Math.ceil(((durationMs / 1000) * opsPerSecondMax) / plan.lanesTotal));
  if (plan.ratePerLane <= 0) return { pipeline: plan.pipeline, startUs, deadlineUs: startUs + durationMs * 1000, opsMax };
  const intervalUs = 1e6 / plan.ratePerLane;
  // Lanes start staggered across one interval, so the offered load is smooth, not in bursts.
  const offsetUs = (intervalUs * laneIndex) / plan.lanesTotal;
  return { pipeline: plan.pipeline, startUs: startUs + offsetUs, deadlineUs: startUs + durationMs * 1000, opsMax, intervalUs };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function createMailbox(): () => Promise<MainToWorker> {
  const queue: MainToWorker[] = [];
  let waiting: ((message: MainToWorker) => void) | undefined;
  parentPort?.on('message', (message: unknown) => {
    if (!isMainToWorker(message)) return;
    if (waiting !== undefined) {
      const deliver = waiting;
      waiting = undefined;
      deliver(message);
    } else queue.push(message);
  });
  return () => {
    const queued = queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => (waiting = resolve));
  };
}

async function main(plan: WorkerPlan): Promise<void> {
  const nextMessage = createMailbox();
  const setup = { endpoint: plan.endpoint, workload: plan.workload, keyNames: keyNames(plan.keys), value: valueBytes(plan.valueSize, plan.seed) };
  const connections: TargetConnection[] = [];
  let generator: Generator | undefined;
  try {
    for (let index = 0; index < plan.connections; index++) connections.push(await openConnection(setup));
    generator = new Generator(plan, connections);
    await generator.subscribe();
    post({ type: 'ready' });
    for (let received = 0; received < messagesMax; received++) {
      const message = await nextMessage();
      if (message.type === 'close') break;
      post({ type: 'phase-done', phase: message.phase, result: await generator.runPhase(message.phase, message.durationMs) });
    }
  } finally {
    if (generator !== undefined) await generator.close();
    else await Promise.allSettled(connections.map((connection) => connection.close()));
  }
  post({ type: 'closed' });
}

main(workerData as WorkerPlan).catch((error: unknown) => {
  post({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
