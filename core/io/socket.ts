/**
 * The server side of one accepted connection, as the core sees it. The runtime adapter
 * (node_listener.ts) implements it; tests and the simulator can implement it in memory.
 */
export interface ServerSocket {
  /** The peer's address as ZooKeeper's ip scheme sees it ("127.0.0.1"). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Queues bytes; adapters batch writes made in the same tick into one syscall. */
  write(bytes: Uint8Array): void;
  /** Flushes what is queued, then closes. */
  close(): void;
  /** Stops/restarts reading: backpressure when a client has too many requests outstanding. */
  pause(): void;
  resume(): void;
  /** Bytes written but not yet taken by the peer; absent where writes cannot back up. */
  writeBacklogBytes?(): number;
}

/** What the core hands back for each accepted socket. */
export interface SocketHandler {
  data(bytes: Uint8Array): void;
  closed(): void;
  /** The write backlog has been flushed to the peer. */
  drained?(): void;
}

/** The core's side of a listener: accept a socket, get its handler. */
export interface Acceptor {
  accept(socket: ServerSocket): SocketHandler;
}
