import * as net from "node:net";
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

/** Replies at most this large are copied into one buffer per turn; larger ones are written as they are. */
const COALESCE_MAX_BYTES = 64 * 1024;

function adapt(socket: net.Socket): ServerSocket {
  // Replies made in one turn of the event loop leave in one write: one system call and one Buffer
  // instead of a writev over a Buffer per reply (which Node makes of every Uint8Array it is given).
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const chunks = pending;
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    if (chunks.length === 0 || socket.destroyed) return;
    if (chunks.length === 1 || bytes > COALESCE_MAX_BYTES) {
      if (chunks.length > 1) socket.cork();
      for (const chunk of chunks) socket.write(chunk);
      if (chunks.length > 1) socket.uncork();
      return;
    }
    const out = Buffer.allocUnsafe(bytes);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    socket.write(out);
  };
  const address = socket.remoteAddress ?? "";
  return {
    remoteAddress: address.startsWith("::ffff:") ? address.slice(7) : address,
    remotePort: socket.remotePort ?? 0,
    write(bytes) {
      if (socket.destroyed) return;
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
    },
    close() {
      flush();
      socket.end();
      // A peer that never reads must not keep the socket half-open forever.
      setTimeout(() => socket.destroy(), 1000).unref?.();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    writeBacklogBytes: () => socket.writableLength + pendingBytes,
  };
}
