// Validation of a namespace's "cache" entry (NamespaceCachePolicy in layout/types.ts). The engine
// stores it only to hand it to the HTTP front; it is checked here, where namespaces are parsed.

import { ttlSecMax } from '../layout/limits';
import type { NamespaceCachePolicy } from '../layout/types';

const secondsFields = ['sMaxAge', 'staleWhileRevalidate', 'staleIfError'] as const;
const cacheFields: readonly string[] = ['maxAge', ...secondsFields, 'immutable'];

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= ttlSecMax;
}

/** The policy, checked field by field; a RangeError naming the field otherwise. */
export function normalizeCachePolicy(input: unknown, namespace: string): NamespaceCachePolicy {
  const where = `invalid engine config: namespace ${namespace}: cache`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new RangeError(`${where} must be an object`);
  const fields = input as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!cacheFields.includes(name)) throw new RangeError(`${where}.${name} is not a cache setting (${cacheFields.join(', ')})`);
  }
  const policy: NamespaceCachePolicy = {};
  const maxAge = fields['maxAge'];
  if (maxAge !== undefined) {
    if (maxAge !== 'no-cache' && !isSeconds(maxAge)) throw new RangeError(`${where}.maxAge must be whole seconds in 0..${ttlSecMax} or "no-cache"`);
    policy.maxAge = maxAge;
  }
  for (const name of secondsFields) {
    const value = fields[name];
    if (value === undefined) continue;
    if (!isSeconds(value)) throw new RangeError(`${where}.${name} must be whole seconds in 0..${ttlSecMax}`);
    policy[name] = value;
  }
  const immutable = fields['immutable'];
  if (immutable !== undefined) {
    if (typeof immutable !== 'boolean') throw new RangeError(`${where}.immutable must be true or false`);
    policy.immutable = immutable;
  }
  return policy;
}
