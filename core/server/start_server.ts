import { systemClock } from "../io/clock.ts";
import { nodeDisk } from "../io/node_disk.ts";
import { nodeHostInfo } from "../io/node_host_info.ts";
import { type Listener, listen } from "../io/node_listener.ts";
import { workerSnapshotEncoder } from "../io/worker_snapshot_encoder.ts";
import { FileStore } from "../storage/file_store.ts";
import { STANDALONE_HISTORY_LIMITS } from "../zab/history.ts";
import { MemoryStore } from "../storage/memory_store.ts";
import type { TxnStore } from "../storage/txn_log.ts";
import { configSummary } from "./config_summary.ts";
import { LogLevel, type LogSink } from "../log_level.ts";
import { defaultServerConfig, type ServerConfig } from "./server_config.ts";
import type { SnapshotEncoder } from "./snapshot_encoder.ts";
import { StandaloneRole } from "./standalone_role.ts";
import { ZkDatabase } from "./zk_database.ts";
import { ZkServer } from "./zk_server.ts";

const HOUR_MS = 3_600_000;
/** setInterval fires at once (every 1 ms) for delays above this; ~24.8 days is long enough. */
const TIMER_MS_MAX = 2 ** 31 - 1;

/** A running server: where it listens and how to stop it. */
export interface RunningServer {
  readonly server: ZkServer;
  readonly host: string;
  readonly port: number;
  /** `host:port`, ready for a client's connect string. */
  readonly connectString: string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** How a started server reports, and what happens when it cannot go on. */
export interface StartServerOptions {
  /** Log lines with their level; default: none. */
  log?: LogSink;
  /**
   * Called once if the server stops on its own because storage failed while serving. By then it
   * has stopped listening and dropped every client (clients fail over to other servers). `paddock
   * server` exits non-zero here, as ZooKeeper halts; an embedding application decides for itself.
   */
  onFatal?: (error: Error) => void;
}

/** The durable store a config asks for (null for `inMemory`), on real files. */
export function fileStoreFor(config: ServerConfig, log: LogSink): FileStore | null {
  if (config.inMemory) return null;
  return new FileStore({
    disk: nodeDisk(),
    dataDir: config.dataDir,
    dataLogDir: config.dataLogDir,
    snapCount: config.snapCount,
    forceSync: config.forceSync,
    fsyncWarningThresholdMs: config.fsyncWarningThresholdMs,
    preAllocSizeKb: config.preAllocSizeKb,
    snapRetainCount: config.snapRetainCount,
    // autopurge.purgeInterval=0 turns purging off, as in ZooKeeper; otherwise also after each snapshot.
    autopurge: config.purgeIntervalHours > 0,
    random: Math.random,
    log,
    monoMs: systemClock.monoMs,
  });
}

/**
 * The snapshot encoder of a server on this runtime: a worker thread, unless
 * PADDOCK_SNAPSHOT_WORKER=off (or no worker can start), in which case the server encodes
 * snapshots on its event loop in slices.
 */
export function snapshotEncoderFor(log: LogSink): SnapshotEncoder | undefined {
  if (process.env.PADDOCK_SNAPSHOT_WORKER === "off") return undefined;
  return workerSnapshotEncoder(log) ?? undefined;
}

/** Runs autopurge every purgeInterval hours on the store `fileStore()` names then; returns the timer to clear. */
export function startPurgeTimer(fileStore: () => FileStore | null, config: ServerConfig, log: LogSink): ReturnType<typeof setInterval> | null {
  if (config.inMemory || config.purgeIntervalHours <= 0) return null;
  return setInterval(() => {
    fileStore()?.purge().catch((error: unknown) => log(`autopurge failed: ${(error as Error).message}`, LogLevel.error));
  }, Math.min(config.purgeIntervalHours * HOUR_MS, TIMER_MS_MAX));
}

/**
 * Starts a standalone server on real sockets and files (or in memory with `inMemory: true`).
 *
 * @example
 * await using server = await startServer({ clientPort: 0, inMemory: true });
 * console.log(server.connectString); // 127.0.0.1:40123
 */
export async function startServer(
  overrides: Partial<ServerConfig> = {},
  { log = () => {}, onFatal = () => {} }: StartServerOptions = {},
): Promise<RunningServer> {
  const config = defaultServerConfig(overrides);
  const fileStore = fileStoreFor(config, log);
  const store: TxnStore = fileStore ?? new MemoryStore();
  const clock = systemClock;
  const db = new ZkDatabase({
    tickMs: config.tickTime,
    serverId: config.serverId,
    extendedTypesEnabled: config.extendedTypesEnabled,
    wallMs: clock.wallMs(),
    historyLimits: STANDALONE_HISTORY_LIMITS,
    log,
  });
  const startup = await db.recover(store, clock, log);
  // The listener and timers exist only after start-up; a failure before then is start()'s error.
  let stopServing: () => Promise<void> = () => Promise.resolve();
  const server = new ZkServer({
    config,
    db,
    store,
    clock,
    log,
    host: nodeHostInfo(config),
    yieldToIo: () => new Promise((resolve) => setTimeout(resolve, 0)),
    onFatal: (error) => {
      void stopServing().finally(() => onFatal(error));
    },
    snapshotEncoder: config.inMemory ? undefined : snapshotEncoderFor(log),
  });
  server.metrics.started(startup);
  server.setRole(new StandaloneRole(server, store));
  let listener: Listener;
  try {
    listener = await listen(server, { host: config.clientPortAddress, port: config.clientPort });
  } catch (error) {
    await server.stop();
    await store.close();
    throw error;
  }
  // Ticks drive session expiry; a fraction of tickTime keeps expiry within one tick of ZooKeeper's.
  const timer = setInterval(() => server.tick(), Math.max(10, Math.floor(config.tickTime / 2)));
  const purgeTimer = startPurgeTimer(() => fileStore, config, log);
  let stopped: Promise<void> | null = null;
  stopServing = () =>
    stopped ??= (async () => {
      clearInterval(timer);
      if (purgeTimer !== null) clearInterval(purgeTimer);
      await listener.close();
    })();
  log(`serving on ${listener.host}:${listener.port}: ${configSummary(config)}`);
  let closing: Promise<void> | null = null;
  const close = () =>
    closing ??= (async () => {
      await stopServing();
      await server.stop();
      await store.close();
    })();
  return {
    server,
    host: listener.host,
    port: listener.port,
    connectString: `${listener.host}:${listener.port}`,
    close,
    [Symbol.asyncDispose]: close,
  };
}
