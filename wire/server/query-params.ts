// The query string of a request, parsed once: `name=value` pairs split on `&`, each side
// percent-decoded byte by byte as content paths are (content-path.ts), so a prefix reaches the
// engine as the same bytes a key in a path would. `+` stays a plus (a key may contain one).

import { percentDecodeBytes } from './content-path';

/** Pairs one query string may carry; past this the request is refused (bounds the parse). */
export const queryParamsMax = 16;

export type QueryParams =
  | { ok: true; values: ReadonlyMap<string, Uint8Array> }
  | { ok: false; message: string };

const decoder = new TextDecoder();

/** Parses `a=1&b=2`; a repeated name, a bad `%` escape or more than queryParamsMax pairs is refused. */
export function parseQueryParams(query: string): QueryParams {
  const values = new Map<string, Uint8Array>();
  if (query === '') return { ok: true, values };
  const pairs = query.split('&');
  if (pairs.length > queryParamsMax) return { ok: false, message: `at most ${queryParamsMax} query parameters` };
  for (const pair of pairs) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = percentDecodeBytes(equals < 0 ? pair : pair.slice(0, equals));
    const value = percentDecodeBytes(equals < 0 ? '' : pair.slice(equals + 1));
    if (name === null || value === null) return { ok: false, message: 'a query parameter has a % not followed by two hex digits' };
    const nameText = decoder.decode(name);
    if (values.has(nameText)) return { ok: false, message: `the query parameter ${JSON.stringify(nameText)} is given twice` };
    values.set(nameText, value);
  }
  return { ok: true, values };
}

/** A parameter as text (UTF-8), or undefined when absent. */
export function queryText(params: ReadonlyMap<string, Uint8Array>, name: string): string | undefined {
  const value = params.get(name);
  return value === undefined ? undefined : decoder.decode(value);
}
