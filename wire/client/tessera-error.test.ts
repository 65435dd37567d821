import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Status, statusMessage } from '../../engine/layout/status';
import { clientErrorCodes, TesseraError } from './tessera-error';

test('server statuses keep their name and number; client errors use codes from 1000', () => {
  const error = TesseraError.fromStatus(Status.GenerationMismatch, null);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'TesseraError');
  assert.equal(error.status, 'GenerationMismatch');
  assert.equal(error.code, 2);
  assert.equal(error.message, statusMessage(Status.GenerationMismatch));
  assert.equal(TesseraError.fromStatus(Status.Busy, 'slow down').message, 'slow down');
  assert.throws(() => TesseraError.fromStatus(Status.Ok), RangeError);
  const lost = TesseraError.client('ConnectionLost');
  assert.equal(lost.status, 'ConnectionLost');
  assert.equal(lost.code, 1000);
  for (const code of Object.values(clientErrorCodes)) assert.ok(code >= 1000 && Status[code] === undefined);
});
