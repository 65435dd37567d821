// `tessera promote [--url HTTP_URL]`: POST /v1/admin/promote on a replica; prints the answer
// (the new epoch, history id, previous history id and switch LSN). Exit 0 when promoted.
import { promotePath } from './index';

export async function runPromote(baseUrl: string): Promise<number> {
  let url: URL;
  try {
    url = new URL(promotePath, baseUrl);
  } catch {
    process.stderr.write(`tessera: --url must be the node's HTTP URL (http://HOST:PORT), got ${JSON.stringify(baseUrl)}\n`);
    return 2;
  }
  try {
    const response = await fetch(url, { method: 'POST' });
    const text = await response.text();
    (response.ok ? process.stdout : process.stderr).write(`${text}\n`);
    return response.ok ? 0 : 1;
  } catch (error: unknown) {
    process.stderr.write(`tessera: promote failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
