import { createServer } from "node:net";

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
