// `tessera promote [--url HTTP_URL]`: POST /v1/admin/promote on a replica; prints the answer
// (the new epoch, history id, previous history id and switch LSN). Exit 0 when promoted.
// `tessera failover --to HTTP_URL [--url HTTP_URL]`: POST /v1/admin/failover?to= on the primary.
// Both send TESSERA_TOKEN as a bearer token when it is set (an admin token, with access control on).
import { failoverPath, promotePath } from './index';

export function runPromote(baseUrl: string): Promise<number> {
  return post(baseUrl, promotePath);
}

export function runFailover(baseUrl: string, to: string): Promise<number> {
  return post(baseUrl, `${failoverPath}?to=${encodeURIComponent(to)}`);
}

async function post(baseUrl: string, pathAndQuery: string): Promise<number> {
  let url: URL;
  try {
    url = new URL(pathAndQuery, baseUrl);
  } catch {
    process.stderr.write(`tessera: --url must be the node's HTTP URL (http://HOST:PORT), got ${JSON.stringify(baseUrl)}\n`);
    return 2;
  }
  try {
    // With access control on, these need an admin token: TESSERA_TOKEN, as the other commands take it.
    const token = process.env['TESSERA_TOKEN'];
    const response = await fetch(url, { method: 'POST', headers: token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` } });
    const text = await response.text();
    (response.ok ? process.stdout : process.stderr).write(`${text}\n`);
    return response.ok ? 0 : 1;
  } catch (error: unknown) {
    process.stderr.write(`tessera: ${pathAndQuery} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
