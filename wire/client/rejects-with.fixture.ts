// Tests: a client call rejects with a TesseraError of this status (and code, when given).

import assert from 'node:assert/strict';
import { TesseraError } from './tessera-error';

export async function rejectsWith(promise: Promise<unknown>, status: string, code?: number): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TesseraError, `a TesseraError, not ${String(error)}`);
    assert.equal(error.status, status);
    if (code !== undefined) assert.equal(error.code, code);
    return true;
  });
}
