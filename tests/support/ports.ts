import { type AddressInfo, createServer, type Server } from "node:net";

/**
 * Asks the OS for a TCP port on 127.0.0.1 that is free right now.
 * The port is released before returning, so a concurrent process could grab it;
 * good enough for tests that start their server immediately afterwards.
 *
 * @example const port = await freePort(); // e.g. 41233
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`unexpected listen address: ${String(address)}`));
        return;
      }
      const port = address.port;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Ports held open until released, so they are distinct from each other and from ports picked meanwhile. */
export interface PortReservation {
  ports: number[];
  /** Closes the listeners; the ports are then free for whoever the caller hands them to. */
  release(): Promise<void>;
}

/**
 * Reserves `count` distinct free ports on 127.0.0.1 by listening on all of them at once (calling
 * freePort() repeatedly can return the same port twice). Release right before the servers that
 * will use them start.
 *
 * @example const r = await reservePorts(9); await startProxies(); await r.release(); startMembers(r.ports);
 */
export async function reservePorts(count: number): Promise<PortReservation> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => resolve());
      });
      servers.push(server);
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    throw err;
  }
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  return { ports, release: async () => void (await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))) };
}
