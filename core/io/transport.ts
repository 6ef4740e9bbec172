/**
 * The client's only view of the network: a byte stream to one server. Kept as small as nats.js's
 * transport so a runtime adapter (node:net, an in-memory pipe, a simulator) is a few lines.
 */

/** One open byte stream. Chunks arrive in order; `onClose` fires exactly once. */
export interface TransportConnection {
  /** Queues bytes for sending; never blocks. Bytes written after close are dropped. */
  write(bytes: Uint8Array): void;
  /** Closes the stream; `onClose` listeners run (once) soon after. */
  close(): void;
  /** Registers the single data listener; no chunk is delivered before it is set. */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Registers the single close listener; runs at once if the stream is already closed. */
  onClose(listener: (error: Error | undefined) => void): void;
}

/**
 * Opens connections. `connect` rejects when the server cannot be reached or the signal aborts.
 *
 * @example
 * const conn = await transport.connect("127.0.0.1", 2181, AbortSignal.timeout(1000));
 * conn.onData((chunk) => parser.push(chunk));
 */
export interface Transport {
  connect(host: string, port: number, signal?: AbortSignal): Promise<TransportConnection>;
}
