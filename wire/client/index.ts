export { Client, connect } from './client';
export type { BatchOp, BatchResult, ConnectOptions, DeleteOptions, GetResult, PutOptions, RecordMetadata } from './client-types';
export { Subscription } from './subscription';
export type { ChangeEvent, GapEvent, SubscribeOptions, SubscriptionEvent } from './subscription-types';
export { clientErrorCodes, TesseraError, type ClientErrorName, type TesseraErrorName } from './tessera-error';
export type { SocketConstructor, SocketLike } from './web-socket';
export { Status, type StatusName } from '../../engine/layout/status';
export type { Key, Op, PutMode, ScannedRecord, ScanOptions, ScanPage, Value } from '../../engine/layout/types';
export type { ScanOp } from '../codec/wire-types';
