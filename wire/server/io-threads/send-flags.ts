// The flags of a Send record (relay-codec.ts), written by remote-socket.ts on the front and read by
// io-worker.ts. Their own module: the front must not load the worker's module to name them.

/** A binary frame (uWS send's isBinary). */
export const sendFlagBinary = 1;
/** A Response to one of the connection's relayed requests (local-reads.ts counts them back). */
export const sendFlagAnswer = 2;
