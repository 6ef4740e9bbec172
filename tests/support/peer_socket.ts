import { createServer, connect, type Server, type Socket } from "node:net";

/** One waiting reader at a time: sleeps until woken or for at most the given time. */
class Waker {
  #wake: (() => void) | null = null;

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    }).then(() => {
      this.#wake = null;
    });
  }

  wake(): void {
    this.#wake?.();
  }
}

/** Turns a connection's chunks into items (packets, notifications); throws on garbage. */
export type ChunkParser<T> = (chunk: Uint8Array) => T[];

/**
 * A TCP connection standing in for a quorum peer: what arrives is parsed into items that a test
 * awaits one by one; a parse error or a close fails the waiting test with the reason.
 *
 * @example const packet = await conn.next(5000);
 */
export class PeerConnection<T> {
  readonly #socket: Socket;
  readonly #items: T[] = [];
  #failure: Error | null = null;
  #closed = false;
  readonly #waker = new Waker();
  readonly closed: Promise<void>;

  constructor(socket: Socket, parse: ChunkParser<T>) {
    this.#socket = socket;
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.on("close", () => {
      this.#closed = true;
      this.#waker.wake();
      resolve();
    }));
    socket.on("error", () => {});
    socket.on("data", (chunk: Uint8Array) => {
      if (this.#failure !== null) return;
      try {
        this.#items.push(...parse(chunk));
      } catch (error) {
        this.#failure = error as Error;
      }
      this.#waker.wake();
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Items received and not yet taken. */
  get pending(): number {
    return this.#items.length;
  }

  /** The next item; rejects on a parse error, a close or after `timeoutMs`. */
  async next(timeoutMs: number, what = "an item"): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) return item;
      if (this.#failure !== null) throw this.#failure;
      if (this.#closed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await this.#waker.sleep(left);
    }
  }

  /** Waits for an item matching `accept`, dropping the others; rejects after `timeoutMs`. */
  async until(accept: (item: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const item = await this.next(Math.max(1, deadline - Date.now()), what);
      if (accept(item)) return item;
    }
  }

  send(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/** A listening socket whose accepted connections a test takes in order. */
export class PeerListener<T> {
  readonly #server: Server;
  readonly #accepted: PeerConnection<T>[] = [];
  readonly #all: PeerConnection<T>[] = [];
  readonly #waker = new Waker();

  private constructor(server: Server, makeParser: () => ChunkParser<T>) {
    this.#server = server;
    server.on("connection", (socket) => {
      const conn = new PeerConnection(socket, makeParser());
      this.#accepted.push(conn);
      this.#all.push(conn);
      this.#waker.wake();
    });
  }

  /** Listens on 127.0.0.1:`port`. */
  static listen<T>(port: number, makeParser: () => ChunkParser<T>): Promise<PeerListener<T>> {
    const server = createServer();
    const listener = new PeerListener(server, makeParser);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port, exclusive: true }, () => resolve(listener));
    });
  }

  /** The next accepted connection; rejects after `timeoutMs`. */
  async accept(timeoutMs: number): Promise<PeerConnection<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const conn = this.#accepted.shift();
      if (conn !== undefined) return conn;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no connection within ${timeoutMs} ms`);
      await this.#waker.sleep(left);
    }
  }

  /** Stops listening and drops every connection it accepted. */
  async close(): Promise<void> {
    for (const conn of this.#all) conn.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Dials 127.0.0.1:`port`. */
export function dialPeer<T>(port: number, parse: ChunkParser<T>): Promise<PeerConnection<T>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(new PeerConnection(socket, parse));
    });
  });
}
