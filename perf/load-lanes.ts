// A lane is one connection's share of the load. Two kinds:
//
//   closed loop: keep `pipeline` ops in flight; each completion starts the next op at once. The
//     server sets the pace, so this finds the maximum throughput. Latency = completion - send.
//
//   open loop: ops are due at fixed intervals, `intendedUs = startUs + i × intervalUs`, whatever
//     the server does. An op is sent when it is due and fewer than `pipeline` are in flight;
//     latency = completion - intendedUs. If the server stalls, ops that should have been sent
//     during the stall carry the time they waited (coordinated-omission correction, as wrk2 does).
//     The uncorrected figure (completion - actual send) is kept apart as the service time.
//
//        due:   |    |    |    |    |    |    |     (intervalUs apart)
//        sent:  |    |    |              ||||      (a stall holds the pipeline full)
//        latency is measured from "due", not from "sent".
//
//     Node timers fire no sooner than 1 ms, and late by up to a millisecond more; measured from
//     "due", that lateness alone put a ~0.7 ms floor under every open-loop p50 (measured against
//     the in-process fake: p50 692 µs corrected vs 39 µs uncorrected at 10 k ops/s). So an op due
//     within sendAheadUs is sent at once, and latency runs from min(due, sent): an op sent early
//     is timed from its send, an op sent late still carries all of its wait.
//
// Every lane stops at its deadline or after opsMax ops, whichever comes first, then waits at most
// drainMs for in-flight ops and counts any still missing as errors.

import { drainMs } from './bounds';
import { recordLatencyUs, type Histogram } from './latency-histogram';
import { countOutcome, outcomeError, type OutcomeCounts } from './outcome';
import type { TargetConnection } from './target-connection';
import type { WorkloadDriver } from './workload';

export interface LaneRecorder {
  /** Closed loop: completion - send. Open loop: completion - intended send (corrected). */
  latency: Histogram;
  /** Open loop only: completion - actual send (uncorrected). */
  service: Histogram;
  counts: OutcomeCounts;
}

export interface LanePlan {
  pipeline: number;
  startUs: number;
  deadlineUs: number;
  opsMax: number;
  /** Open loop only: microseconds between intended sends on this lane. */
  intervalUs?: number;
  /** How long past the deadline in-flight ops are awaited (default bounds.drainMs). */
  drainMs?: number;
}

export type ClockUs = () => number;

/** Open loop: ops due this soon are sent now rather than after another timer wait (see above). */
export const sendAheadUs = 1_000;

export const performanceClockUs: ClockUs = () => performance.now() * 1000;

function assertPlan(plan: LanePlan): void {
  if (!Number.isInteger(plan.pipeline) || plan.pipeline < 1) throw new RangeError(`pipeline must be >= 1, got ${plan.pipeline}`);
  if (!Number.isInteger(plan.opsMax) || plan.opsMax < 1) throw new RangeError(`opsMax must be >= 1, got ${plan.opsMax}`);
  if (!(plan.deadlineUs > plan.startUs)) throw new RangeError('deadline must follow start');
}

function hardStopMs(plan: LanePlan, nowUs: number): number {
  return Math.max(0, (plan.deadlineUs - nowUs) / 1000) + (plan.drainMs ?? drainMs);
}

export function runClosedLane(connection: TargetConnection, driver: WorkloadDriver, plan: LanePlan, recorder: LaneRecorder, clockUs: ClockUs = performanceClockUs): Promise<void> {
  assertPlan(plan);
  return new Promise((resolve) => {
    let issued = 0;
    let inFlight = 0;
    let finished = false;
    // Ends the lane even if the target never answers: the deadline plus the drain allowance.
    const hardStop = setTimeout(() => finish(), hardStopMs(plan, clockUs()));
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(hardStop);
      recorder.counts.error += inFlight;
      resolve();
    };
    const onDone = (sentUs: number, outcome: number): void => {
      if (finished) return;
      const nowUs = clockUs();
      recordLatencyUs(recorder.latency, nowUs - sentUs);
      countOutcome(recorder.counts, outcome);
      inFlight--;
      if (nowUs < plan.deadlineUs && issued < plan.opsMax) issueOne();
      else if (inFlight === 0) finish();
    };
    const issueOne = (): void => {
      issued++;
      inFlight++;
      const sentUs = clockUs();
      driver.issue(connection, sentUs).then(
        (outcome) => onDone(sentUs, outcome),
        () => onDone(sentUs, outcomeError),
      );
    };
    for (let slot = 0; slot < plan.pipeline && issued < plan.opsMax; slot++) issueOne();
  });
}

export function runOpenLane(connection: TargetConnection, driver: WorkloadDriver, plan: LanePlan, recorder: LaneRecorder, clockUs: ClockUs = performanceClockUs): Promise<void> {
  assertPlan(plan);
  const intervalUs = plan.intervalUs ?? 0;
  if (!(intervalUs > 0)) throw new RangeError('an open-loop lane needs intervalUs > 0');
  return new Promise((resolve) => {
    let issued = 0;
    let inFlight = 0;
    let nextDueUs = plan.startUs;
    let finished = false;
    let wakeTimer: NodeJS.Timeout | undefined;
    const hardStop = setTimeout(() => finish(), hardStopMs(plan, clockUs()));
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (wakeTimer !== undefined) clearTimeout(wakeTimer);
      clearTimeout(hardStop);
      recorder.counts.error += inFlight;
      resolve();
    };
    const onDone = (intendedUs: number, sentUs: number, outcome: number): void => {
      if (finished) return;
      const nowUs = clockUs();
      recordLatencyUs(recorder.latency, nowUs - (intendedUs < sentUs ? intendedUs : sentUs));
      recordLatencyUs(recorder.service, nowUs - sentUs);
      countOutcome(recorder.counts, outcome);
      inFlight--;
      pump();
    };
    const send = (intendedUs: number): void => {
      issued++;
      inFlight++;
      const sentUs = clockUs();
      driver.issue(connection, intendedUs).then(
        (outcome) => onDone(intendedUs, sentUs, outcome),
        () => onDone(intendedUs, sentUs, outcomeError),
      );
    };
    const pump = (): void => {
      if (finished) return;
      const nowUs = clockUs();
      // Sends every op that is due, at most `pipeline` in flight: bounded by the pipeline depth.
      while (inFlight < plan.pipeline && issued < plan.opsMax && nextDueUs <= nowUs + sendAheadUs && nextDueUs < plan.deadlineUs) {
        send(nextDueUs);
        // Multiplied, not accumulated: repeated float additions drift and could fit one op too many.
        nextDueUs = plan.startUs + issued * intervalUs;
      }
      const exhausted = nextDueUs >= plan.deadlineUs || issued >= plan.opsMax;
      if (exhausted) {
        if (inFlight === 0) finish();
        return;
      }
      // With the pipeline full, the next completion calls pump; otherwise sleep until the next op is due.
      if (inFlight < plan.pipeline && wakeTimer === undefined) {
        wakeTimer = setTimeout(() => {
          wakeTimer = undefined;
          pump();
        }, Math.max(0, (nextDueUs - sendAheadUs - nowUs) / 1000));
      }
    };
    pump();
  });
}
