// Named conversions between byte offsets and typed-array indices, for the shared-memory layouts
// (table, journal, batch): a field's byte offset is what the layout comments name, and these turn
// it into the index of the Uint32Array or Float64Array that reads it. Callers keep u32 fields
// 4-aligned and f64 fields 8-aligned (each layout asserts that at load).

/** The Uint32Array index of the 4-aligned field at `byteOffset`. */
export function wordAt(byteOffset: number): number {
  return byteOffset >>> 2;
}

/** The Float64Array index of the 8-aligned field at `byteOffset`. */
export function doubleAt(byteOffset: number): number {
  return byteOffset >>> 3;
}

/** `length` rounded up to a multiple of 4 (ops and results are 4-aligned). */
export function pad4(length: number): number {
  return (length + 3) & ~3;
}

/** `length` rounded up to a multiple of 8 (journal entries and records are 8-aligned). */
export function pad8(length: number): number {
  return (length + 7) & ~7;
}
