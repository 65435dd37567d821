export { decodeRequest } from './decode-request';
export { decodeServerFrame } from './decode-server-frame';
export { encodeEvent } from './encode-event';
export { encodeRequest } from './encode-request';
export { encodeRequestFailure, encodeResponse } from './encode-response';
export { frameIdentifier } from './schema-layout';
export { validateOp, validateOpArguments } from '../../engine/layout/validate-op';
export { verifyFrame, type VerifyResult } from './verify-frame';
export type {
  DecodeRequestResult,
  EventFrame,
  InvalidFrame,
  ResponseFrame,
  ResultInput,
  PurgeOp,
  ScanOp,
  ServerFrameDecoded,
  StatusResult,
  SubscribeOp,
  UnsubscribeOp,
  WireOp,
  WireOpName,
  WireResult,
} from './wire-types';
