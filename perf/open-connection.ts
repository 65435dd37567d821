// The one place that maps a target name to its adapter.

import { FakeConnection } from './target-fake';
import { openRedisConnection } from './target-redis';
import { openTesseraConnection } from './target-tessera';
import type { ConnectionSetup, TargetConnection } from './target-connection';

export function openConnection(setup: ConnectionSetup): Promise<TargetConnection> {
  switch (setup.endpoint.name) {
    case 'tessera':
      return openTesseraConnection(setup);
    case 'redis':
      return openRedisConnection(setup);
    case 'fake':
      return Promise.resolve(new FakeConnection({ keys: setup.keyNames.length, preloaded: true, shared: true }));
  }
}
