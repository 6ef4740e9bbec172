import { after, before } from "node:test";
import { createClient, type Client } from "../../mod.ts";
import { paddockAvailable, startPaddock, type ServerHandle } from "./servers.ts";

/** One Paddock process for a test file, and clients on it that are closed at the end. */
export interface PaddockFixture {
  /** false, or why the tests must skip. */
  readonly skip: string | false;
  /** The server's connect string (after `before`). */
  connectString(): string;
  /** A connected client, closed after the file's tests (another server's connect string may be given). */
  connect(connectString?: string, sessionTimeoutMs?: number): Promise<Client>;
}

/**
 * Registers before/after hooks that start one Paddock server (tickTime 200 ms) and close every client.
 *
 * @example const paddock = usePaddock(); test("x", { skip: paddock.skip }, async () => { const c = await paddock.connect(); });
 */
export function usePaddock(): PaddockFixture {
  const skip = paddockAvailable() ? false : "Paddock server entry point missing";
  let server: ServerHandle | undefined;
  const clients: Client[] = [];
  before(async () => {
    if (skip === false) server = await startPaddock({ tickTimeMs: 200 });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await server?.stop();
  });
  return {
    skip,
    connectString: () => server!.connectString,
    async connect(connectString = server!.connectString, sessionTimeoutMs = 4_000) {
      const client = createClient(connectString, { sessionTimeoutMs });
      clients.push(client);
      await client.ready({ signal: AbortSignal.timeout(10_000) });
      return client;
    },
  };
}
