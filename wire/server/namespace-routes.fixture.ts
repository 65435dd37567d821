// Helpers for the listing and purge tests: JSON over fetch, and taking events from a subscription.

import type { Subscription } from '../client/subscription';
import type { SubscriptionEvent } from '../client/subscription-types';

export interface ListedRecord {
  key: string;
  generation: number;
  size: number;
  contentType: string;
  lastModified: number;
  expiry: number;
}

export interface Listing {
  records: ListedRecord[];
  cursor: string | null;
}

export async function fetchJson<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

/** Every page of a listing, following the cursor; at most pagesMax pages. */
export async function listAll(baseUrl: string, ns: string, query: string, pagesMax = 10_000): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let cursor: string | null = null;
  for (let pages = 1; pages <= pagesMax; pages++) {
    const cursorPart: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const { status, body } = await fetchJson<Listing>(`${baseUrl}/v1/${ns}?${query}${cursorPart}`);
    if (status !== 200) throw new Error(`listing answered ${status}: ${JSON.stringify(body)}`);
    keys.push(...body.records.map((record) => record.key));
    cursor = body.cursor;
    if (cursor === null) return { keys, pages };
  }
  throw new Error(`the listing did not end within ${pagesMax} pages`);
}

/** The next count events of a subscription, or a throw after timeoutMs. */
export async function takeEvents(subscription: Subscription, count: number, timeoutMs = 10_000): Promise<SubscriptionEvent[]> {
  const events: SubscriptionEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (events.length < count) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`got ${events.length} of ${count} events within ${timeoutMs} ms`);
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      subscription.next(),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), remaining))),
    ]);
    clearTimeout(timer);
    if (next === 'timeout') continue;
    if (next.done === true) throw new Error(`the subscription ended after ${events.length} of ${count} events`);
    events.push(next.value);
  }
  return events;
}
