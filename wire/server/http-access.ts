// Access checks for the HTTP routes (access-control.ts has the model). No token, or one that is
// not valid: 401 with `WWW-Authenticate: Bearer`; a valid token without the role: 403.

import type { HttpRequest } from 'uWebSockets.js';
import { Status } from '../../engine/layout/status';
import { Role, type AccessControl, type Principal } from './access-control';
import type { HttpExchange } from './http-exchange';

const challenge: [string, string][] = [['WWW-Authenticate', 'Bearer realm="tessera"']];

/**
 * True when the request may go on; otherwise it has been answered 401 or 403. `allowed` decides
 * for a valid token. With access control off (no tokens configured) every request may go on.
 */
export function admitHttp(access: AccessControl, req: HttpRequest, exchange: HttpExchange, allowed: (principal: Principal) => boolean): boolean {
  if (!access.enabled) return true;
  const principal = access.authenticateHeader(req.getHeader('authorization'));
  if (principal === null) {
    exchange.refuse(Status.Unauthorized, undefined, { headers: challenge });
    return false;
  }
  if (!allowed(principal)) {
    exchange.refuse(Status.Forbidden);
    return false;
  }
  return true;
}

/** The role an HTTP content method needs on its namespace. */
export function methodRole(method: string): Role {
  return method === 'get' || method === 'head' ? Role.Read : Role.Write;
}
