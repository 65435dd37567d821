// The one op validator lives with the wire codec (it also checks scan and subscribe ops and runs
// in browsers, so the client checks before sending). The engine, the model and the server use the
// same function, so a bad op gets the same status wherever it is caught.
export { validateOp } from '../wire/codec/validate-op';

import { validateOp } from '../wire/codec/validate-op';
import type { Status } from './status';
import type { Key, NamespaceConfig } from './types';

/** The key checks alone (InvalidKey, KeyTooLarge), for callers that have a key before an op. */
export function validateKey(key: Key, namespace: NamespaceConfig): Status {
  return validateOp({ op: 'get', ns: namespace.name, key }, namespace);
}
