// Reconnect delays: exponential from reconnectDelayMsMin, capped at reconnectDelayMsMax, with
// "equal jitter" (half fixed, half random) so that many clients dropped by one server restart do
// not all come back in the same millisecond, while none retries much sooner than planned.

export function reconnectDelayMs(attempt: number, delayMsMin: number, delayMsMax: number, random: () => number = Math.random): number {
  if (!(Number.isInteger(attempt) && attempt >= 0)) throw new RangeError(`attempt ${attempt} is not a count`);
  if (!(delayMsMin > 0 && delayMsMax >= delayMsMin)) throw new RangeError('need 0 < delayMsMin <= delayMsMax');
  // 2 ** attempt overflows to Infinity past attempt 1023; the cap applies either way.
  const ceiling = Math.min(delayMsMax, delayMsMin * 2 ** Math.min(attempt, 52));
  return ceiling / 2 + random() * (ceiling / 2);
}
