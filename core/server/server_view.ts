import type { Acceptor } from "../io/socket.ts";
import type { ACL, Stat } from "../proto/records.ts";
import type { Watcher } from "../watch/watch_manager.ts";

/**
 * What the operator-facing parts (AdminServer commands, Prometheus metrics, the HTTP gateway and
 * the web console) may see of a running server: read-only facts, in ZooKeeper's terms. The
 * composition root builds it from the server (core/server/zk_server_view.ts); plugins never reach
 * into the server itself, so the server's internals can change without touching them.
 */
export interface ServerView {
  /** The version string `srvr`, `mntr` and the AdminServer report. */
  readonly version: string;
  /** "standalone", "leader", "follower", "observer". */
  serverState(): string;
  /** Config facts as `conf` reports them. */
  config(): ConfigView;
  /** The zoo.cfg text the server was started from ("" when none), for `icfg`. */
  initialConfig(): string;
  /** ServerStats: counters `srvr`/`stat` report. */
  stats(): StatsView;
  /** Every client connection (ServerCnxn), the gateway's in-process ones included. */
  connections(): ConnectionView[];
  /** Live sessions with their expiry deadline (wall-clock ms) and ephemerals. */
  sessions(): SessionView[];
  /** Data-table watches (ZooKeeper's `wchc`/`wchp`/`wchs` read only that table). */
  watches(): WatchView;
  /** The `mntr` text, `zk_key<TAB>value` per line: the one source of monitor values. */
  monitorText(): string;
  /** `envi` pairs after zookeeper.version. */
  environment(): readonly (readonly [string, string])[];
  /** The newest snapshot written (or loaded at start), or null. */
  lastSnapshot(): { zxid: bigint; wallMs: number } | null;
  /** Bytes in the data and log directories. */
  dirSizes(): { dataDirBytes: number; dataLogDirBytes: number };
  /** The tree's digest at every 128th zxid applied, oldest first (`hash`). */
  digestLog(): readonly { zxid: bigint; digestVersion: number; digest: bigint }[];
  /** Paddock's own histograms (per-op latency, snapshot durations, group-commit batch sizes). */
  histograms(): HistogramView[];
  /** Reads the applied tree. */
  readonly tree: TreeView;
  /** Present on an ensemble member only; absent on a standalone server. */
  readonly quorum?: QuorumView;
}

/** `conf` as a standalone server answers it (the quorum part adds its own keys). */
export interface ConfigView {
  clientPort: number;
  clientPortAddress: string;
  dataDir: string;
  dataLogDir: string;
  tickTime: number;
  maxClientCnxns: number;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  serverId: number;
  superDigest: string | null;
}

/** ZooKeeper's ServerStats as the AdminServer serializes it. */
export interface StatsView {
  packetsSent: number;
  packetsReceived: number;
  outstandingRequests: number;
  avgLatencyMs: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  lastProcessedZxid: bigint;
  uptimeMs: number;
  nodeCount: number;
  /** Response sizes (BufferStats), -1 before any response. */
  lastResponseBytes: number;
  minResponseBytes: number;
  maxResponseBytes: number;
  authFailedCount: number;
  /** Group commits slower than fsync.warningthresholdms. */
  fsyncThresholdExceedCount: number;
}

/** One connection as `cons` shows it (ServerCnxn.getConnectionInfo). */
export interface ConnectionView {
  remoteAddress: string;
  remotePort: number;
  interestOps: number;
  outstandingRequests: number;
  packetsReceived: number;
  packetsSent: number;
  /** 0 before the handshake finished. */
  sessionId: bigint;
  lastOperation: string;
  establishedWallMs: number;
  sessionTimeoutMs: number;
  lastCxid: number;
  lastZxid: bigint;
  lastResponseMs: number;
  lastLatencyMs: number;
  minLatencyMs: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
}

/** One live session. */
export interface SessionView {
  sessionId: bigint;
  timeoutMs: number;
  /** When the session expires unless touched, on the wall clock. */
  expiresAtWallMs: number;
  ephemerals: string[];
}

/** Data-table watches by session and by path. */
export interface WatchView {
  bySession: Map<bigint, string[]>;
  byPath: Map<string, bigint[]>;
  /** Watches counted per (path, watcher) pair. */
  total: number;
}

/** A znode as the gateway and console read it. */
export interface NodeView {
  data: Uint8Array | null;
  acl: readonly ACL[];
  stat: Stat;
}

/** Read access to the applied tree (no ACL check: callers check, as the server does). */
export interface TreeView {
  get(path: string): NodeView | undefined;
  children(path: string): readonly string[] | undefined;
  readonly lastZxid: bigint;
  /**
   * Adds a persistent or persistent-recursive watch held by a watcher inside the process (the
   * gateway's event journal); events reach it exactly as they reach a client connection.
   */
  addInternalWatch(path: string, watcher: Watcher, recursive: boolean): void;
  removeInternalWatcher(watcher: Watcher): void;
}

/**
 * The quorum facts an ensemble member adds, in ZooKeeper's AdminServer shapes. A standalone
 * server has none: the commands then answer as ZooKeeper's standalone server does.
 */
export interface QuorumView {
  /** `lead`: is_leader, leader_id, leader_ip. */
  leader(): { isLeader: boolean; leaderId: number; leaderIp: string };
  /** `voting_view`: current_config keyed by server id. */
  votingView(): Map<number, QuorumServerView>;
  /** `zabstate` beyond the standalone answer. */
  zabState(): {
    myid: number;
    isLeader: boolean;
    /** This member's quorum and election addresses, `host:port` each (ZooKeeper allows several). */
    quorumAddresses: string[];
    electionAddresses: string[];
    clientAddress: string;
    voting: boolean;
    zabstate: "election" | "discovery" | "synchronization" | "broadcast";
  };
  /** `obsr` on a leader or follower: synced observers and their LearnerHandler info. */
  observers(): { syncedObservers: number; observers: Record<string, unknown>[] };
  /** `conf` keys an ensemble member adds (ZooKeeper's QuorumPeerConfig dump), snake_case. */
  configExtras(): Record<string, unknown>;
  /** Leader only (undefined otherwise): `srvr`'s proposal_stats. */
  proposalStats?(): { lastBufferSize: number; minBufferSize: number; maxBufferSize: number } | undefined;
  /** `orst`: resets observer connection stats. */
  resetObserverStats(): void;
}

/** One voting member as `voting_view` shows it. */
export interface QuorumServerView {
  serverAddresses: string[];
  electionAddresses: string[];
  clientAddress: string;
  learnerType: "participant" | "observer";
}

/**
 * The mutating admin commands, kept apart from the view so a read-only consumer (the console's
 * charts, the Prometheus scrape) cannot reach them.
 */
export interface ServerActions {
  /** `srst`. */
  resetStats(): void;
  /** `crst`. */
  resetConnectionStats(): void;
  /** `snapshot`: a consistent snapshot at one zxid, encoded; also persisted when it is new. */
  takeSnapshot(options?: { keepBytes?: boolean }): Promise<{ zxid: bigint; length: number; bytes: Uint8Array | null }>;
  /**
   * `restore`: replaces the tree and sessions with the snapshot's, durably. Clients are
   * disconnected and reattach (or learn their session is gone). Resolves to the zxid served next.
   */
  restoreSnapshot(bytes: Uint8Array): Promise<bigint>;
  /** `shed`: closes about `percentage`% of client connections; returns how many. */
  shedConnections(percentage: number, random: () => number): number;
  /** Counts an admin snapshot/restore refusal or failure in the monitor values. */
  countAdmin(event: AdminEvent): void;
  /** Accepts an in-process connection (the gateway's sessions speak the client protocol). */
  readonly acceptor: Acceptor;
}

/** The monitor counters the admin commands feed. */
export type AdminEvent = "snapshot_error" | "snapshot_rate_limited" | "restore_error" | "restore_rate_limited";

/** One histogram, cumulative as Prometheus exposes it. */
export interface HistogramView {
  name: string;
  help: string;
  labels: Record<string, string>;
  bounds: readonly number[];
  /** Cumulative count per bound, then the +Inf count. */
  cumulative: number[];
  sum: number;
  count: number;
}
