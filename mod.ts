/**
 * Paddock's public face. Plugins and recipes import from here (or a documented barrel).
 */

/**
 * The ZooKeeper client: `createClient`, its types, errors (`KeeperError`, `MultiError`), codes
 * (`ErrorCode`, `EventType`, `CreateMode`, ...), `Acls` and `retry`.
 *
 * @example
 * import { createClient, CreateMode } from "paddock";
 * await using client = createClient("127.0.0.1:2181/app", { sessionTimeoutMs: 10_000 });
 * await client.ready();
 * await client.create("/workers/w-", "host-1", { mode: CreateMode.EPHEMERAL_SEQUENTIAL });
 */
export * from "./core/client/mod.ts";

/**
 * The server: `startServer(config)` runs a standalone ZooKeeper-compatible server on real
 * sockets and files (or in memory), `defaultServerConfig` shows every setting and its default.
 *
 * @example
 * import { startServer } from "paddock";
 * await using server = await startServer({ clientPort: 2181, dataDir: "./data" });
 * console.log(`serving on ${server.connectString}`);
 */
export { type RunningServer, startServer } from "./core/server/start_server.ts";
export { defaultServerConfig, type ServerConfig } from "./core/server/server_config.ts";

/**
 * The recipes: locks with fencing tokens, read/write lock, semaphore, leader latch and selector,
 * caches, queues, barriers, counters, group membership, service registry, configuration watching.
 * Each is also importable on its own from `recipes/<name>.ts`.
 *
 * @example
 * import { createClient, Mutex } from "paddock";
 * await using client = createClient("127.0.0.1:2181");
 * await using mutex = new Mutex(client, "/locks/report");
 * await using lease = await mutex.acquire({ signal: AbortSignal.timeout(5000) });
 * await writeReport({ fencingToken: lease.fencingToken });
 */
export * from "./recipes/mod.ts";

/**
 * Paddock's release and the version string its servers report (`srvr`, `mntr`, zkCli `version`).
 *
 * @example console.log(`paddock ${PADDOCK_RELEASE}`);
 */
export { PADDOCK_RELEASE, PADDOCK_VERSION } from "./core/version.ts";
