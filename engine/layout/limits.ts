// Every bound in one place. Each is enforced at the edge (wire/ or engine/front/engine.ts) with a typed
// status, never by a crash deeper in.

export const partitionCount = 4096;
export const partitionMask = partitionCount - 1;

/** Namespace defaults, overridable per namespace in config. */
export const keyBytesMaxDefault = 1024;
export const valueBytesMaxDefault = 1024 * 1024;
/** A namespace id is one byte in the record header. */
export const namespacesMax = 255;
/** Content types are stored inline in the record, length in one byte. */
export const contentTypeBytesMax = 255;
/** Keys are at most this long whatever the namespace says (u16 length in the record header). */
export const keyBytesMaxHard = 16 * 1024;
/** Values are at most this long whatever the namespace says. */
export const valueBytesMaxHard = 64 * 1024 * 1024;

/** Ops in one wire request (a batch). */
export const opsPerRequestMax = 1024;
/** Bytes in one WebSocket frame. */
export const frameBytesMax = 8 * 1024 * 1024;
/** Requests in flight per connection before the server replies Busy. */
export const requestsInFlightPerConnectionMax = 8192;
/** Records in one scan page. */
export const scanLimitMax = 1000;
export const scanLimitDefault = 100;
/** TTLs are at most ten years (the expiry is a u32 of epoch seconds). */
export const ttlSecMax = 10 * 365 * 24 * 3600;
