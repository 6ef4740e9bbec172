import { FrameParser, JuteError } from "../proto/mod.ts";
import type { TransportConnection } from "../io/transport.ts";

/** What a Connection tells its owner. */
export interface ConnectionHandlers {
  onFrame(frame: Uint8Array): void;
  /** Runs exactly once, whatever closed the connection. */
  onClosed(reason: Error): void;
}

/**
 * One TCP connection to one server: frames in, batched writes out, and the liveness rules of
 * ZooKeeper's client (ping when idle for a third of the session timeout, give up when nothing was
 * heard for two thirds). It knows nothing about sessions or requests.
 */
export class Connection {
  readonly #transport: TransportConnection;
  readonly #parser: FrameParser;
  readonly #handlers: ConnectionHandlers;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #flushScheduled = false;
  #closed = false;
  #lastRecvMs = Date.now();
  #lastSendMs = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #readTimeoutMs = 0;
  #pingFrame: Uint8Array | undefined;

  constructor(transport: TransportConnection, maxFrameBytes: number, handlers: ConnectionHandlers) {
    this.#transport = transport;
    this.#parser = new FrameParser(maxFrameBytes);
    this.#handlers = handlers;
    transport.onData((chunk) => this.#onData(chunk));
    transport.onClose((error) => this.#finish(error ?? new Error("connection closed by server")));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues a frame; frames queued in the same tick go out in one write. */
  send(frame: Uint8Array): void {
    if (this.#closed) return;
    this.#batch.push(frame);
    this.#batchBytes += frame.length;
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  /** Starts pinging and watching for silence, from the negotiated session timeout. */
  startLiveness(negotiatedTimeoutMs: number, pingFrame: Uint8Array): void {
    this.#readTimeoutMs = Math.max(1, Math.floor((negotiatedTimeoutMs * 2) / 3));
    this.#pingFrame = pingFrame;
    this.#schedule();
  }

  /** Closes the connection; `onClosed` runs with the given reason. */
  close(reason: Error = new Error("connection closed by client")): void {
    this.#finish(reason);
    this.#transport.close();
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closed || this.#batch.length === 0) return;
    const batch = this.#batch;
    const total = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#lastSendMs = Date.now();
    if (batch.length === 1) {
      this.#transport.write(batch[0]!);
      return;
    }
    // One write per tick: a single copy is far cheaper than a syscall per request.
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const frame of batch) {
      joined.set(frame, offset);
      offset += frame.length;
    }
    this.#transport.write(joined);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#lastRecvMs = Date.now();
    let frames: Uint8Array[];
    try {
      frames = this.#parser.push(chunk);
    } catch (err) {
      this.close(err instanceof JuteError ? err : new Error(String(err)));
      return;
    }
    for (const frame of frames) {
      if (this.#closed) return;
      this.#handlers.onFrame(frame);
    }
  }

  #schedule(): void {
    if (this.#closed || this.#pingFrame === undefined) return;
    const now = Date.now();
    const pingIntervalMs = this.#readTimeoutMs / 2;
    if (now - this.#lastRecvMs >= this.#readTimeoutMs) {
      this.close(new Error(`no answer from server for ${now - this.#lastRecvMs} ms`));
      return;
    }
    if (now - this.#lastSendMs >= pingIntervalMs) {
      this.send(this.#pingFrame);
      // Counts as sent now: the flush runs in a microtask.
      this.#lastSendMs = now;
    }
    const nextMs = Math.min(this.#lastRecvMs + this.#readTimeoutMs, this.#lastSendMs + pingIntervalMs) - now;
    this.#timer = setTimeout(() => this.#schedule(), Math.max(1, Math.ceil(nextMs)));
  }

  #finish(reason: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#batch = [];
    this.#handlers.onClosed(reason);
  }
}
