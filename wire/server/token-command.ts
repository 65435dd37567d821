// `tessera token create --role content=write [--role '*=read'] [--name NAME]`: makes a new random
// access token and prints it once, with the entry to put in the config file's "auth.tokens" list.
// The config keeps only the token's SHA-256; the token itself is shown here and nowhere else.

import { createToken, hashToken, roleNames, type RoleName, type TokenEntry } from './access-control';
import { ServerError } from './server-errors';

export interface TokenCreated {
  token: string;
  entry: TokenEntry;
}

function usage(message: string): never {
  throw new ServerError('Usage', `${message}\nRun tessera --help for usage.`);
}

/** Parses `ns=role` pairs ("*" for every namespace) into a roles map. */
export function parseRoles(pairs: readonly string[]): Record<string, RoleName> {
  if (pairs.length === 0) usage('token create needs at least one --role NAMESPACE=ROLE (e.g. --role content=write, --role "*=read")');
  const roles: Record<string, RoleName> = {};
  for (const pair of pairs) {
    const equals = pair.lastIndexOf('=');
    const ns = pair.slice(0, equals);
    const role = roleNames.find((candidate) => candidate === pair.slice(equals + 1));
    if (equals <= 0 || role === undefined) usage(`--role ${JSON.stringify(pair)}: expected NAMESPACE=ROLE with ROLE one of ${roleNames.join(', ')}`);
    roles[ns] = role;
  }
  return roles;
}

export function createTokenEntry(name: string, roles: Record<string, RoleName>): TokenCreated {
  if (!/^[\x21-\x7e]{1,64}$/.test(name)) usage('--name must be 1..64 visible ASCII characters');
  const token = createToken();
  return { token, entry: { name, sha256: hashToken(token), roles } };
}

export function formatTokenCreated(created: TokenCreated): string {
  return [
    `token: ${created.token}`,
    '',
    'Keep the token secret: it is shown only now. Clients send it as "Authorization: Bearer <token>"',
    '(WebSocket from a browser: ?access_token=<token>). Add this entry to the config file, under',
    '"auth": { "tokens": [ ... ] }:',
    '',
    JSON.stringify(created.entry),
    '',
  ].join('\n');
}
