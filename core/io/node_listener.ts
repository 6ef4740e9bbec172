import * as net from "node:net";
import { coalescingWriter } from "./coalescing_writer.ts";
import type { Acceptor, ServerSocket } from "./socket.ts";

/** A listening TCP server feeding accepted sockets to the core. */
export interface Listener {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

/**
 * Listens with node:net (works on Node, Deno and Bun) and adapts each socket to ServerSocket.
 * Writes made in one tick leave in one write.
 */
export function listen(acceptor: Acceptor, { host, port }: { host: string; port: number }): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    const handler = acceptor.accept(adapt(socket));
    socket.on("data", (chunk: Uint8Array) => handler.data(chunk));
    socket.on("drain", () => handler.drained?.());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      sockets.delete(socket);
      handler.closed();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        host,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function adapt(socket: net.Socket): ServerSocket {
  // Replies made in one turn of the event loop leave in one write: one system call and one Buffer
  // instead of a writev over a Buffer per reply (which Node makes of every Uint8Array it is given).
  const writer = coalescingWriter(
    (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    (chunks) => {
      if (socket.destroyed) return;
      socket.cork();
      for (const chunk of chunks) socket.write(chunk);
      socket.uncork();
    },
  );
  const address = socket.remoteAddress ?? "";
  return {
    remoteAddress: address.startsWith("::ffff:") ? address.slice(7) : address,
    remotePort: socket.remotePort ?? 0,
    write(bytes) {
      if (!socket.destroyed) writer.write(bytes);
    },
    close() {
      writer.flush();
      socket.end();
      // A peer that never reads must not keep the socket half-open forever.
      setTimeout(() => socket.destroy(), 1000).unref?.();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    writeBacklogBytes: () => socket.writableLength + writer.pendingBytes,
  };
}
