import type { Acceptor, ServerSocket, SocketHandler } from "./socket.ts";
import type { Transport, TransportConnection } from "./transport.ts";

/** Who the in-process peer says it is: ZooKeeper's ip scheme and `cons` see this address. */
export interface InProcessPeer {
  remoteAddress: string;
  remotePort: number;
}

/**
 * A client Transport whose connections go straight into a server's Acceptor in the same
 * process: bytes cross as they would over TCP (framed, in order, asynchronously), so a client on
 * it takes exactly the client port's request path. The HTTP gateway's sessions use it, with the
 * HTTP peer's address, so ip ACLs and per-IP limits apply to them as to any client.
 *
 * @example const client = createClient("in-process:0", { transport: inProcessTransport(server, peer) });
 */
export function inProcessTransport(acceptor: Acceptor, peer: () => InProcessPeer): Transport {
  return {
    connect(_host, _port, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return Promise.resolve(pipe(acceptor, peer()));
    },
  };
}

function pipe(acceptor: Acceptor, peer: InProcessPeer): TransportConnection {
  let closed = false;
  let onData: ((chunk: Uint8Array) => void) | null = null;
  let onClose: ((error: Error | undefined) => void) | null = null;
  const toClient: Uint8Array[] = [];
  let paused = false;
  let handler: SocketHandler;
  const finish = () => {
    if (closed) return;
    closed = true;
    queueMicrotask(() => {
      handler.closed();
      onClose?.(undefined);
      onClose = null;
    });
  };
  const deliver = () => {
    for (let chunk = toClient.shift(); chunk !== undefined && onData !== null; chunk = toClient.shift()) onData(chunk);
  };
  const socket: ServerSocket = {
    remoteAddress: peer.remoteAddress,
    remotePort: peer.remotePort,
    write(bytes) {
      if (closed) return;
      toClient.push(bytes.slice());
      queueMicrotask(deliver);
    },
    close: () => {
      // Replies already written reach the client before the close, as a TCP FIN follows data.
      queueMicrotask(() => {
        deliver();
        finish();
      });
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      flushToServer();
    },
    writeBacklogBytes: () => toClient.reduce((n, c) => n + c.length, 0),
  };
  const toServer: Uint8Array[] = [];
  const flushToServer = () => {
    for (let chunk = toServer.shift(); chunk !== undefined; chunk = toServer.shift()) {
      if (closed) return;
      handler.data(chunk);
      if (paused) return;
    }
  };
  handler = acceptor.accept(socket);
  return {
    write(bytes) {
      if (closed) return;
      toServer.push(bytes.slice());
      if (!paused) queueMicrotask(flushToServer);
    },
    close: finish,
    onData(listener) {
      onData = listener;
      queueMicrotask(deliver);
    },
    onClose(listener) {
      if (closed) {
        queueMicrotask(() => listener(undefined));
        return;
      }
      onClose = listener;
    },
  };
}
