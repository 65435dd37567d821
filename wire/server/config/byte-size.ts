// Sizes in the config file: a number is bytes; a string is a number and a unit, "1GiB", "512 MiB",
// "64KiB", "1.5GiB" (binary units, powers of 1024) or "500MB" (SI units, powers of 1000). Units
// are case-insensitive; a size that is not a whole number of bytes is refused.

const unitBytes: Readonly<Record<string, number>> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
};

/** What a size string must look like (also published in config.schema.json). */
export const byteSizePattern = '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgGtT]i?[bB]|[bB])?\\s*$';
const byteSizeExpression = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i;

/** Bytes of a size string, or null when it is not one (or not a whole number of bytes). */
export function parseByteSize(text: string): number | null {
  const match = byteSizeExpression.exec(text);
  if (match === null) return null;
  const unit = unitBytes[(match[2] ?? 'b').toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** A byte count as an operator reads it: "1 GiB", "512 MiB", "1536 B". */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1).replace(/\.0$/, '')} ${unit}`;
    }
  }
  return `${bytes} B`;
}
