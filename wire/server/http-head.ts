// How a HEAD's answer ends (content-read.ts, http-exchange.ts): its own module, since both use it.

import type { HttpResponse } from 'uWebSockets.js';

/**
 * Ends a HEAD's answer: the Content-Length a GET would have, and no body. Not endWithoutBody(length)
 * on a connection that stays open: uWS.js then waits for that many body bytes, so the next request
 * on the keep-alive connection was never answered and the connection closed (measured, v20.30).
 * The header is written by hand and the answer ended without a reported length, which uWS takes as
 * complete. A connection being closed ends as before (it takes no next request).
 */
export function endHead(res: HttpResponse, contentLength: number, closeConnection: boolean): void {
  if (closeConnection) {
    res.endWithoutBody(contentLength, true);
    return;
  }
  res.writeHeader('Content-Length', String(contentLength));
  res.endWithoutBody();
}
