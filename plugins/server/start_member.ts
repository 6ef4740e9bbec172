import { setImmediate } from "node:timers";
import { systemClock } from "../../core/io/clock.ts";
import { nodeHostInfo } from "../../core/io/node_host_info.ts";
import { type Listener, listen } from "../../core/io/node_listener.ts";
import { nodePeerNetwork } from "../../core/io/node_peer_network.ts";
import type { MemberStore } from "../../core/quorum/member_store.ts";
import { DEFAULT_HISTORY_LIMITS } from "../../core/zab/history.ts";
import { QuorumPeer } from "../../core/quorum/quorum_peer.ts";
import { TcpPeerTransport } from "../../core/quorum/tcp_peer_transport.ts";
import { realTimers } from "../../core/io/timers.ts";
import type { ServerConfig } from "../../core/server/server_config.ts";
import { fileStoreFor, snapshotEncoderFor, startPurgeTimer } from "../../core/server/start_server.ts";
import { MemoryStore } from "../../core/storage/memory_store.ts";
import { FileStore } from "../../core/storage/file_store.ts";
import { LogLevel, type LogSink } from "../../core/log_level.ts";
import type { QuorumMemberConfig } from "./quorum_cfg.ts";

/** A running ensemble member. */
export interface RunningMember {
  readonly peer: QuorumPeer;
  /** The member's client-facing server (what the HTTP side looks at). */
  readonly server: QuorumPeer["server"];
  readonly connectString: string;
  close(): Promise<void>;
}

/** How often the member's machines see time pass: election resends, pings, expiry. */
const TICK_MS_MAX = 50;
const BIND_RETRY_DELAY_MS = 1000;

/**
 * Starts an ensemble member on real sockets and files: its election and quorum ports, its
 * client port (served only while it leads or follows), the store on its dataDir, and a timer
 * that ticks the member. `electionPortBindRetry` attempts to bind, a second apart, as ZooKeeper.
 */
export async function startMember(
  config: ServerConfig,
  member: QuorumMemberConfig,
  { log, onFatal }: { log: LogSink; onFatal?: (error: Error) => void },
): Promise<RunningMember> {
  const transport = new TcpPeerTransport({
    myId: member.settings.myId,
    config: member.settings.quorum,
    network: nodePeerNetwork,
    listenOnAllIps: member.listenOnAllIps,
    connectTimeoutMs: member.connectTimeoutMs,
    handshakeTimeoutMs: config.tickTime * member.settings.syncLimit,
    timers: realTimers,
    limits: { juteMaxBuffer: config.juteMaxBuffer, extendedTypesEnabled: config.extendedTypesEnabled },
    log,
  });
  await bindWithRetry(() => transport.listen(), member.electionPortBindRetry, log);
  const openStore = (): MemberStore => (fileStoreFor(config, log) ?? new MemoryStore()) as MemberStore;
  const peer = new QuorumPeer({
    config,
    settings: member.settings,
    clock: systemClock,
    transport,
    openStore,
    log,
    readOnlyMode: member.readOnlyMode,
    ...(member.commitLogCount === undefined ? {} : { historyLimits: { ...DEFAULT_HISTORY_LIMITS, maxEntries: member.commitLogCount } }),
    server: {
      host: nodeHostInfo(config),
      yieldToIo: () => new Promise((resolve) => setTimeout(resolve, 0)),
      onFatal,
      snapshotEncoder: snapshotEncoderFor(log),
    },
  });
  await peer.start();
  const clientHost = member.clientAddress?.host ?? config.clientPortAddress;
  const clientPort = member.clientAddress?.port ?? config.clientPort;
  let listener: Listener;
  try {
    listener = await listen(peer.server, { host: clientHost, port: clientPort });
  } catch (error) {
    await peer.stop();
    throw error;
  }
  // The tick runs after the I/O that is ready (setImmediate follows the event loop's poll phase):
  // a process that did not run for a while (a loaded host, a pause) reads what its peers sent
  // meanwhile before it judges their silence, as ZooKeeper's blocking reads do. Timers alone run
  // first, and a leader back from a second's starvation dropped a follower whose PING answers
  // were waiting in its socket (and lost its quorum).
  const timer = setInterval(() => setImmediate(() => peer.tick()), Math.min(TICK_MS_MAX, Math.max(5, Math.floor(config.tickTime / 4))));
  // The store is reopened after a TRUNC: purge whichever the member holds now.
  const purgeTimer = startPurgeTimer(() => (peer.store instanceof FileStore ? peer.store : null), config, log);
  let closing: Promise<void> | null = null;
  return {
    peer,
    server: peer.server,
    connectString: `${listener.host}:${listener.port}`,
    close: () =>
      closing ??= (async () => {
        clearInterval(timer);
        if (purgeTimer !== null) clearInterval(purgeTimer);
        await listener.close();
        await peer.stop();
      })(),
  };
}

async function bindWithRetry(bind: () => Promise<void>, attempts: number, log: LogSink): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await bind();
      return;
    } catch (error) {
      if (attempts !== 0 && attempt >= attempts) throw error;
      log(`cannot bind the election/quorum ports (${(error as Error).message}); retry ${attempt}${attempts === 0 ? "" : ` of ${attempts}`}`, LogLevel.warn);
      await new Promise((resolve) => setTimeout(resolve, BIND_RETRY_DELAY_MS));
    }
  }
}
