import { connect as netConnect, type Socket } from "node:net";
import type { Transport, TransportConnection } from "./transport.ts";

/**
 * The Transport over `node:net`, which Node, Deno and Bun all provide.
 *
 * @example const client = createClient("127.0.0.1:2181", { transport: nodeTransport });
 */
export const nodeTransport: Transport = {
  connect(host: string, port: number, signal?: AbortSignal): Promise<TransportConnection> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const socket = netConnect({ host, port, noDelay: true });
      const onAbort = () => {
        socket.destroy();
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("error", (err) => {
        signal?.removeEventListener("abort", onAbort);
        socket.destroy();
        reject(err);
      });
      socket.once("connect", () => {
        signal?.removeEventListener("abort", onAbort);
        socket.removeAllListeners("error");
        resolve(wrapSocket(socket));
      });
    });
  },
};

function wrapSocket(socket: Socket): TransportConnection {
  let closed = false;
  let closeError: Error | undefined;
  let closeListener: ((error: Error | undefined) => void) | undefined;
  // An error is always followed by 'close'; remember it so the close listener can see why.
  socket.on("error", (err) => {
    closeError = err;
  });
  socket.once("close", () => {
    closed = true;
    closeListener?.(closeError);
    closeListener = undefined;
  });
  return {
    write(bytes) {
      if (!closed && !socket.destroyed) socket.write(bytes);
    },
    close() {
      socket.destroy();
    },
    onData(listener) {
      socket.on("data", (chunk: Uint8Array) => listener(chunk));
    },
    onClose(listener) {
      if (closed) {
        queueMicrotask(() => listener(closeError));
        return;
      }
      closeListener = listener;
    },
  };
}
