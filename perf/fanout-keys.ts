// Keys the fanout writer cycles through, and the payload it writes: the op's intended send time
// (epoch µs, comparable across threads of this process) and the phase it belongs to, so that
// deliveries of warm-up writes are not counted in the measured phase.

import { fanoutKeys } from './bounds';

export const fanoutPrefix = 'fanout/';
export const fanoutPayloadBytes = 16;
export const phaseWarmup = 0;
export const phaseMeasure = 1;

export function fanoutKeyNames(): string[] {
  const names = new Array<string>(fanoutKeys);
  for (let index = 0; index < fanoutKeys; index++) names[index] = `${fanoutPrefix}${String(index).padStart(6, '0')}`;
  return names;
}

/** Wall-clock microseconds, consistent across the worker threads of one process. */
export function epochUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

export function writeFanoutPayload(target: Uint8Array, intendedEpochUs: number, phase: number): void {
  const view = new DataView(target.buffer, target.byteOffset, fanoutPayloadBytes);
  view.setFloat64(0, intendedEpochUs, true);
  view.setFloat64(8, phase, true);
}

/** Returns the intended epoch µs of a measured-phase payload, or -1 (warm-up or malformed). */
export function readMeasuredSendUs(payload: Uint8Array): number {
  if (payload.byteLength < fanoutPayloadBytes) return -1;
  const view = new DataView(payload.buffer, payload.byteOffset, fanoutPayloadBytes);
  return view.getFloat64(8, true) === phaseMeasure ? view.getFloat64(0, true) : -1;
}
