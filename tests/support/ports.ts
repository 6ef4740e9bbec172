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

/** Bases {@link reservePortBlock} tries; below Linux's ephemeral range, so freePort() never lands in them. */
const BLOCK_BASE_MIN = 20_000;
const BLOCK_BASE_MAX = 32_000;
const BLOCK_ATTEMPTS = 50;

/**
 * Finds a base port such that base + each offset is free on every interface right now, for
 * harnesses that derive all their ports from one number (kazoo's ZOOKEEPER_PORT_OFFSET gives
 * member i the ports offset + 10i + 0..3). Bases come from below the ephemeral range, where the
 * ports freePort() hands other tests never fall; the ports are released before returning.
 *
 * @example const base = await reservePortBlock([0, 1, 2, 3, 10, 11, 12, 13]);
 */
export async function reservePortBlock(offsets: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < BLOCK_ATTEMPTS; attempt++) {
    const base = BLOCK_BASE_MIN + Math.floor(Math.random() * (BLOCK_BASE_MAX - BLOCK_BASE_MIN));
    const servers: Server[] = [];
    let free = true;
    for (const offset of offsets) {
      const server = createServer();
      const bound = await new Promise<boolean>((resolve) => {
        server.once("error", () => resolve(false));
        // No host: the wildcard address, so a listener on any interface makes the port busy.
        server.listen({ port: base + offset, exclusive: true }, () => resolve(true));
      });
      if (!bound) {
        free = false;
        break;
      }
      servers.push(server);
    }
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    if (free) return base;
  }
  throw new Error(`no block of free ports at offsets ${offsets.join(",")} after ${BLOCK_ATTEMPTS} tries`);
}
