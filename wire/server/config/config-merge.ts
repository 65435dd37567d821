// Lays a parsed config file over the defaults: an object merges key by key at every depth, anything
// else (a number, a string, a list, `false`, `null`) replaces what was there. So a new key needs no
// line here, and `"limits": { "maxConnections": 10 }` keeps every other limit's default.

type Mergeable = Record<string, unknown>;

function isPlainObject(value: unknown): value is Mergeable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergeConfig<T extends object>(target: T, source: object): T {
  const into = target as Mergeable;
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const current = into[key];
    into[key] = isPlainObject(value) && isPlainObject(current) ? mergeConfig({ ...current }, value) : value;
  }
  return target;
}
