import { coalescingWriter } from "./coalescing_writer.ts";
import type { Acceptor, ServerSocket, SocketHandler } from "./socket.ts";
import type { TransportConnection } from "./transport.ts";

/**
 * A byte stream between two members, whichever side opened it: what the election and quorum
 * connections are built on. Handlers are set once; `onClose` fires exactly once.
 */
export interface PeerStream {
  readonly remote: string;
  write(bytes: Uint8Array): void;
  close(): void;
  onData(handler: (chunk: Uint8Array) => void): void;
  onClose(handler: () => void): void;
  /** Bytes written and not yet taken by the peer (0 where the runtime cannot tell). */
  backlogBytes(): number;
  /** Calls `handler` once the backlog has drained (at once when there is none). */
  whenDrained(handler: () => void): void;
}

/** How a member opens connections to others and listens for theirs (node:net, or a test double). */
export interface PeerNetwork {
  dial(host: string, port: number, timeoutMs: number): Promise<PeerStream>;
  listen(host: string, port: number, onStream: (stream: PeerStream) => void): Promise<{ port: number; close(): Promise<void> }>;
}

/**
 * A dialed client connection as a PeerStream (it cannot report a backlog). Packets written in one
 * turn of the event loop leave in one write: a learner ACKs every proposal of a flushed batch and
 * forwards its clients' requests one packet each, which would otherwise cost a system call apiece.
 */
export function dialedStream(connection: TransportConnection, remote: string): PeerStream {
  const writer = coalescingWriter((bytes) => connection.write(bytes));
  return {
    remote,
    write: writer.write,
    close: () => {
      writer.flush();
      connection.close();
    },
    onData: (handler) => connection.onData(handler),
    onClose: (handler) => connection.onClose(() => handler()),
    backlogBytes: () => 0,
    whenDrained: (handler) => handler(),
  };
}

/**
 * Adapts a listener's accepted sockets (ServerSocket + SocketHandler, as the client port uses)
 * to PeerStreams, delivering each to `onStream`.
 */
export function acceptedStreams(onStream: (stream: PeerStream) => void): Acceptor {
  return {
    accept(socket: ServerSocket): SocketHandler {
      let data: ((chunk: Uint8Array) => void) | null = null;
      let closed: (() => void) | null = null;
      let isClosed = false;
      const drainWaiters: (() => void)[] = [];
      const early: Uint8Array[] = [];
      const stream: PeerStream = {
        remote: `${socket.remoteAddress}:${socket.remotePort}`,
        write: (bytes) => socket.write(bytes),
        close: () => socket.close(),
        onData: (handler) => {
          data = handler;
          for (const chunk of early.splice(0)) handler(chunk);
        },
        onClose: (handler) => {
          closed = handler;
          if (isClosed) handler();
        },
        backlogBytes: () => socket.writeBacklogBytes?.() ?? 0,
        whenDrained: (handler) => {
          if ((socket.writeBacklogBytes?.() ?? 0) === 0) handler();
          else drainWaiters.push(handler);
        },
      };
      onStream(stream);
      return {
        data: (chunk) => {
          if (data === null) early.push(chunk.slice());
          else data(chunk);
        },
        closed: () => {
          if (isClosed) return;
          isClosed = true;
          closed?.();
        },
        drained: () => {
          for (const waiter of drainWaiters.splice(0)) waiter();
        },
      };
    },
  };
}
