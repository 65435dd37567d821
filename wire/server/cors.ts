// CORS for the HTTP content API (Fetch standard, "CORS protocol"), driven by the server's
// allowedOrigins, the same list that admits WebSocket upgrades and cross-site writes
// (request-origin.ts):
//   - a preflight (OPTIONS with Origin and Access-Control-Request-Method) from an allowed origin is
//     answered 204 with the methods, request headers and max-age below; from any other origin, 403;
//   - every content response to an allowed origin carries Access-Control-Allow-Origin (the origin,
//     echoed) and Access-Control-Expose-Headers; with allowedOrigins set, every content response
//     carries `Vary: Origin`, so a shared cache never hands one origin's answer to another.
// The origin is echoed rather than `*`: `*` would forbid Authorization-bearing requests with
// credentials, and an echo is what a list of several origins needs anyway.

export const corsAllowMethods = 'GET, HEAD, PUT, DELETE, OPTIONS';
/** Request headers a page may send: the API's own plus the simple ones browsers gate on preflight. */
export const corsAllowHeaders =
  'Authorization, Content-Type, Cache-Control, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range, Range';
/** Response headers a page may read beyond the CORS-safelisted ones. */
export const corsExposeHeaders = 'ETag, Tessera-Generation, Content-Range, Accept-Ranges, Content-Encoding, Content-Length, Last-Modified, Cache-Control';
/** How long a browser may cache a preflight's answer (Chromium caps it at 7200). */
export const corsMaxAgeSec = 600;
