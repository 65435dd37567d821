// Lua scripts that give Redis the operations Tessera has natively, each in one round trip.
//
// cms: Tessera's put with ifGeneration is emulated with EVALSHA of putIfGenerationLua over a hash
// { v: value, g: generation }. WATCH/MULTI/EXEC was the alternative: it needs four round trips and
// a connection to itself per in-flight transaction (WATCH is connection state), which would make
// Redis look far slower than it is. A script runs atomically in one round trip, like Tessera's
// put; its cost (Lua call, HGET, HSET) is what conditional writes cost on Redis. The cms get is
// HMGET v g, so Redis returns the generation along with the value as Tessera's get does.
//
// fanout: a Tessera write is also a change event to subscribers. setAndPublishLua does the same on
// Redis in one round trip: SET the record, PUBLISH the value to the channel subscribers listen on.

import { createHash } from 'node:crypto';

export const putIfGenerationLua = `
local current = tonumber(redis.call('HGET', KEYS[1], 'g') or '0')
local expected = tonumber(ARGV[2])
if expected ~= 0 and current ~= expected then return -1 end
current = current + 1
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'g', current)
return current
`;

export const setAndPublishLua = `
redis.call('SET', KEYS[1], ARGV[1])
return redis.call('PUBLISH', ARGV[2], ARGV[1])
`;

export const fanoutChannel = 'tessera-perf-fanout';

/** EVALSHA names a script by the SHA-1 of its text; computing it locally saves a round trip. */
export function scriptSha(lua: string): string {
  return createHash('sha1').update(lua).digest('hex');
}

export const putIfGenerationSha = scriptSha(putIfGenerationLua);
export const setAndPublishSha = scriptSha(setAndPublishLua);
