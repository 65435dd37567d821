// Ids and LSNs travel as uint64 (the protocol outlives JavaScript's number) but the codec's users
// hold them as numbers: values above 2^53 - 1 cannot be represented and are refused.

const safeIntegerMax = BigInt(Number.MAX_SAFE_INTEGER);

/** The value as a number, or null when it is above Number.MAX_SAFE_INTEGER. */
export function uint64ToNumber(value: bigint): number | null {
  return value >= 0n && value <= safeIntegerMax ? Number(value) : null;
}

export function isUint64Number(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

export function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}
