import { NO_SLOT } from "../tree/data_tree.ts";
import { NULL_DATA } from "../tree/znode.ts";
import type { Watcher } from "../watch/watch_manager.ts";
import { monitorText, nodeCount, serverState } from "./monitor.ts";
import { PADDOCK_VERSION } from "../version.ts";
import type { Histogram } from "../metrics/histogram.ts";
import type {
  AdminEvent,
  HistogramView,
  ConnectionView,
  QuorumView,
  ServerActions,
  ServerView,
  SessionView,
  StatsView,
  TreeView,
  WatchView,
} from "./server_view.ts";
import type { ZkServer } from "./zk_server.ts";

/** What the composition root knows that the server does not. */
export interface ZkServerViewOptions {
  /** The zoo.cfg text the server started from (`icfg`). */
  initialConfig?: string;
  /** An ensemble member's quorum facts; absent on a standalone server. */
  quorum?: QuorumView;
}

/**
 * The one adapter between a running ZkServer and everything operator-facing: the read-only
 * {@link ServerView} and the {@link ServerActions} of the mutating admin commands.
 *
 * @example const view = zkServerView(running.server, { initialConfig: zooCfgText });
 */
export function zkServerView(server: ZkServer, options: ZkServerViewOptions = {}): ServerView & ServerActions {
  const view: ServerView & ServerActions = {
    version: PADDOCK_VERSION,
    serverState: () => serverState(server),
    config: () => {
      const c = server.config;
      const storage = server.host.storage();
      return {
        clientPort: c.clientPort,
        clientPortAddress: c.clientPortAddress,
        dataDir: storage.dataDir,
        dataLogDir: storage.dataLogDir,
        tickTime: c.tickTime,
        maxClientCnxns: c.maxClientCnxns,
        minSessionTimeout: c.minSessionTimeout,
        maxSessionTimeout: c.maxSessionTimeout,
        serverId: c.serverId,
        superDigest: c.superDigest,
      };
    },
    initialConfig: () => options.initialConfig ?? "",
    stats: () => stats(server),
    connections: () => [...server.connections].map(connectionView),
    sessions: () => sessions(server),
    watches: () => watches(server),
    monitorText: () => monitorText(server),
    environment: () => server.host.environment(),
    lastSnapshot: () => server.lastSnapshot,
    dirSizes: () => {
      const s = server.host.storage();
      return { dataDirBytes: s.dataDirBytes, dataLogDirBytes: s.dataLogDirBytes };
    },
    digestLog: () => [...server.db.digestLog],
    tree: treeView(server),
    ...(options.quorum === undefined ? {} : { quorum: options.quorum }),
    resetStats: () => server.metrics.reset(),
    resetConnectionStats: () => {
      for (const connection of server.connections) connection.stats.reset();
    },
    takeSnapshot: (options) => server.takeSnapshot(options),
    restoreSnapshot: (bytes) => server.restoreSnapshot(bytes),
    shedConnections: (percentage, random) => server.shedConnections(percentage, random),
    countAdmin: (event) => countAdmin(server, event),
    histograms: () => histograms(server),
    acceptor: server,
  };
  return view;
}

function stats(server: ZkServer): StatsView {
  const m = server.metrics;
  const latency = m.latency;
  return {
    packetsSent: m.packetsSent,
    packetsReceived: m.packetsReceived,
    outstandingRequests: m.outstandingWrites,
    avgLatencyMs: latency.count === 0 ? 0 : Math.round((latency.totalMs / latency.count) * 10_000) / 10_000,
    minLatencyMs: Math.round(latency.minMs),
    maxLatencyMs: Math.round(latency.maxMs),
    lastProcessedZxid: server.lastZxid,
    uptimeMs: Math.round(server.clock.monoMs() - server.startedAtMs),
    nodeCount: nodeCount(server),
    lastResponseBytes: m.lastResponseBytes,
    minResponseBytes: m.minResponseBytes,
    maxResponseBytes: m.maxResponseBytes,
    authFailedCount: m.authFailed,
    fsyncThresholdExceedCount: server.syncStats()?.fsyncThresholdExceeded ?? 0,
  };
}

function connectionView(c: ZkServer["connections"] extends Set<infer C> ? C : never): ConnectionView {
  const s = c.stats;
  return {
    remoteAddress: c.socket.remoteAddress,
    remotePort: c.socket.remotePort,
    interestOps: c.interestOps,
    outstandingRequests: c.outstanding,
    packetsReceived: s.packetsReceived,
    packetsSent: s.packetsSent,
    sessionId: c.sessionId,
    lastOperation: s.lastOp,
    establishedWallMs: s.established,
    sessionTimeoutMs: c.timeoutMs,
    lastCxid: s.lastCxid,
    lastZxid: s.lastZxid,
    lastResponseMs: s.lastResponseMs,
    lastLatencyMs: s.lastLatencyMs,
    minLatencyMs: s.latency.minMs,
    avgLatencyMs: s.avgLatency,
    maxLatencyMs: s.latency.maxMs,
  };
}

function sessions(server: ZkServer): SessionView[] {
  const monoToWallMs = server.clock.wallMs() - server.clock.monoMs();
  const out: SessionView[] = [];
  for (const session of server.sessions.all()) {
    out.push({
      sessionId: session.sessionId,
      timeoutMs: session.timeoutMs,
      expiresAtWallMs: Math.round(session.expiresAtMs + monoToWallMs),
      ephemerals: server.tree.ephemeralsOf(session.sessionId),
    });
  }
  return out;
}

/** ZooKeeper's DataTree.getWatches/getWatchesByPath read the data-watch table only. */
function watches(server: ZkServer): WatchView {
  const bySession = new Map<bigint, string[]>();
  const byPath = new Map<string, bigint[]>();
  let total = 0;
  for (const [path, watchers] of server.tree.dataWatches.paths()) {
    const ids: bigint[] = [];
    for (const watcher of watchers.keys()) {
      const sessionId = (watcher as { sessionId?: bigint }).sessionId;
      if (sessionId === undefined) continue;
      ids.push(sessionId);
      const paths = bySession.get(sessionId);
      if (paths === undefined) bySession.set(sessionId, [path]);
      else paths.push(path);
      total++;
    }
    if (ids.length > 0) byPath.set(path, ids);
  }
  return { bySession, byPath, total };
}

function treeView(server: ZkServer): TreeView {
  const tree = server.tree;
  return {
    get(path) {
      const slot = tree.find(path);
      if (slot === NO_SLOT) return undefined;
      const data = tree.dataOf(slot);
      return { data: data === NULL_DATA ? null : data.slice(), acl: tree.aclOf(slot), stat: tree.statOf(slot) };
    },
    children(path) {
      const slot = tree.find(path);
      return slot === NO_SLOT ? undefined : tree.childrenOf(slot);
    },
    get lastZxid() {
      return tree.lastProcessedZxid;
    },
    addInternalWatch: (path: string, watcher: Watcher, recursive: boolean) => tree.addPersistentWatch(path, watcher, recursive),
    removeInternalWatcher: (watcher: Watcher) => tree.removeWatcher(watcher),
  };
}

function countAdmin(server: ZkServer, event: AdminEvent): void {
  const m = server.paddockMetrics;
  switch (event) {
    case "snapshot_error":
      m.snapshotErrors++;
      return;
    case "snapshot_rate_limited":
      m.snapshotRateLimited++;
      return;
    case "restore_error":
      m.restoreErrors++;
      return;
    case "restore_rate_limited":
      m.restoreRateLimited++;
      return;
  }
}

function histogramView(name: string, help: string, labels: Record<string, string>, h: Histogram): HistogramView {
  return { name, help, labels, bounds: h.bounds, cumulative: h.cumulative(), sum: h.sum, count: h.count };
}

function histograms(server: ZkServer): HistogramView[] {
  const m = server.paddockMetrics;
  const out = [
    histogramView("paddock_snapshot_duration_ms", "Time to capture, encode and persist a snapshot", {}, m.snapshotDurationMs),
    histogramView("paddock_commit_batch_size", "Txns made durable by one group-commit fsync", {}, m.commitBatchSize),
  ];
  for (const [op, h] of m.opLatencyMs) {
    out.push(histogramView("paddock_request_latency_ms", "Time from a request's arrival to its answer, by op", { op }, h));
  }
  return out;
}
