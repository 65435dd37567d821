// Loads the Tessera client (wire/client) at run time instead of importing it, for two reasons:
// the harness must build and its tests must run before the client exists, and the fanout workload
// must detect whether this client has `subscribe` yet. The shapes below are the parts of the
// client's API the harness relies on (issue 5); each is checked when the module loads.

import * as path from 'node:path';
import type { Client, ConnectOptions } from '../wire/client';

export interface TesseraRecordLike {
  value: Uint8Array;
  generation: number;
}

export interface TesseraPutOptionsLike {
  ttl?: number;
  ifGeneration?: number;
  mode?: 'upsert' | 'create' | 'update';
  contentType?: string;
}

export interface TesseraEventLike {
  lsn: unknown;
  kind: unknown;
  key: unknown;
  value?: unknown;
}

export interface TesseraSubscribeOptionsLike {
  ns: string;
  prefix?: string;
  values?: boolean;
}

/** A subscription that can also hand its events to a callback (listen, no Promise per event). */
export interface TesseraListenableLike extends AsyncIterable<TesseraEventLike> {
  listen?: (onEvent: (event: TesseraEventLike) => void, onEnd?: (error: unknown) => void) => void;
  close?: () => Promise<void>;
}

export interface TesseraClientLike {
  get(ns: string, key: string): Promise<TesseraRecordLike | null>;
  put(ns: string, key: string, value: Uint8Array | string, options?: TesseraPutOptionsLike): Promise<{ generation: number }>;
  close(): unknown;
  subscribe?: (options: TesseraSubscribeOptionsLike) => TesseraListenableLike | Promise<TesseraListenableLike>;
}

export interface TesseraConnectOptionsLike {
  /** Absent: the client's default (on). */
  autoPipelining?: boolean;
}

export type TesseraConnect = (url: string, options?: TesseraConnectOptionsLike) => Promise<TesseraClientLike>;

/**
 * Compile-time proof that the real client fits the shape above: if wire/client changes its API,
 * this line fails to type-check instead of the harness failing at run time.
 */
export const clientFitsShape: (client: Client) => TesseraClientLike = (client) => client;
export const optionsFitShape: (options: TesseraConnectOptionsLike) => ConnectOptions = (options) => options;

/** The client module as compiled beside this file: dist/perf → dist/wire/client. */
export const tesseraClientModulePath = path.join(__dirname, '..', 'wire', 'client');

let cached: TesseraConnect | string | undefined;

/** Returns connect(), or the reason the client cannot be used. */
export function loadTesseraConnect(): TesseraConnect | string {
  if (cached !== undefined) return cached;
  cached = loadUncached();
  return cached;
}

function loadUncached(): TesseraConnect | string {
  let loaded: unknown;
  try {
    loaded = require(tesseraClientModulePath) as unknown;
  } catch (error: unknown) {
    return `the Tessera client is not built (${tesseraClientModulePath}): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  if (typeof loaded !== 'object' || loaded === null) return 'wire/client exports nothing';
  const connect = (loaded as { connect?: unknown }).connect;
  if (typeof connect !== 'function') return 'wire/client has no connect()';
  return (url: string, options?: TesseraConnectOptionsLike) => (connect as (url: string, options?: TesseraConnectOptionsLike) => Promise<unknown>)(url, options).then(checkClient);
}

function checkClient(client: unknown): TesseraClientLike {
  if (typeof client !== 'object' || client === null) throw new TypeError('connect() did not return a client');
  for (const method of ['get', 'put', 'close']) {
    if (typeof (client as Record<string, unknown>)[method] !== 'function') throw new TypeError(`the Tessera client has no ${method}()`);
  }
  return client as TesseraClientLike;
}

export function tesseraUrl(host: string, port: number): string {
  return `ws://${host}:${port}/v1/ws`;
}

/** The client throws TesseraError with a string status; expected statuses become outcome codes. */
export function errorStatus(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const status = (error as { status?: unknown }).status;
  return typeof status === 'string' ? status : '';
}
