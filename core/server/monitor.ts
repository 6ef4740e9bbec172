import { PADDOCK_VERSION } from "../version.ts";
import type { TxnStoreSyncStats } from "../storage/txn_log.ts";
import type { LatencyStats } from "./latency_stats.ts";
import type { QuorumCounters } from "./quorum_facts.ts";
import { MNTR_PERCENTILE_SUMMARY_KEYS, MNTR_SUMMARY_KEYS, MNTR_VALUE_KEYS, PERCENTILE_PARTS } from "./monitor_keys.ts";
import { PercentileStats } from "./percentile_stats.ts";
import type { ZkServer } from "./zk_server.ts";

/** One `mntr` line: the key after `zk_`, and its value as ZooKeeper formats it. */
export type MonitorEntry = readonly [key: string, value: string];

/** A summary as mntr prints it: count, sum, min, max (and percentiles when it keeps them). */
interface SummaryFigures {
  count: number;
  sum: number;
  min: number;
  max: number;
  stats?: PercentileStats;
}

/** Java's Double.toString for the plain-notation range the stats live in: 7 -> "7.0". */
export function javaDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** AvgMinMaxCounter.getAvg(): rounded half-up to 4 decimals. */
export function averageOf(total: number, count: number): number {
  return count === 0 ? 0 : Math.round((total / count) * 10_000) / 10_000;
}

/** ZooKeeper files the root under both "/" and "" and counts it twice; so do its tools' baselines. */
export function nodeCount(server: ZkServer): number {
  return server.tree.nodeCount + 1;
}

/** `zk_server_state`: "standalone", or an ensemble member's role ("leader", "follower", "observer"). */
export function serverState(server: ZkServer): string {
  if (server.quorum === null) return "standalone";
  return server.role?.name ?? "unknown";
}

/**
 * Counters of machinery Paddock does not have, so what they count never happens: no TLS, no
 * connection or request throttling, no stale-request checks, no response caches, no optimized
 * watch manager's dead-watcher queue, no local sessions, no quorum SASL, no leader that quits on
 * a disloyal voter. Their zero is exact, not a placeholder (and ZooKeeper's own default setup
 * reports the same zeros).
 */
const NEVER_HAPPENS: readonly string[] = [
  "local_sessions", "outstanding_tls_handshake", "non_mtls_remote_conn_count", "non_mtls_local_conn_count",
  "tls_handshake_exceeded", "stale_requests_dropped", "stale_requests", "stale_replies", "throttled_ops",
  "request_throttle_wait_count", "connection_drop_count", "dead_watchers_queued", "dead_watchers_cleared",
  "add_dead_watcher_stall_time", "response_packet_cache_hits", "response_packet_cache_misses",
  "response_packet_get_children_cache_hits", "response_packet_get_children_cache_misses", "large_requests_rejected",
  "ensemble_auth_fail", "ensemble_auth_success", "quit_leading_due_to_disloyal_voter",
];

/**
 * What `mntr` reports, in ZooKeeper 3.9.3's key order: figures Paddock measures, and the exact
 * zeros of machinery it does not have ({@link NEVER_HAPPENS}). A key ZooKeeper prints for
 * something Paddock does but does not measure is left out rather than printed as a made-up 0
 * ({@link MNTR_VALUES_NOT_KEPT}, {@link MNTR_SUMMARIES_NOT_KEPT}); a summary Paddock keeps is printed from its first sample
 * on, or with ZooKeeper's zeros before it.
 *
 * @example monitorEntries(server).find(([k]) => k === "znode_count") // ["znode_count", "5"]
 */
export function monitorEntries(server: ZkServer): MonitorEntry[] {
  const values = valueFigures(server);
  const summaries = summaryFigures(server);
  const entries: MonitorEntry[] = [];
  for (const key of MNTR_VALUE_KEYS) {
    const value = values.get(key);
    if (value !== undefined) entries.push([key, value]);
  }
  for (const key of [...MNTR_SUMMARY_KEYS, ...MNTR_PERCENTILE_SUMMARY_KEYS]) {
    const figures = summaries.get(key);
    if (figures !== undefined) entries.push(...summaryEntries(key, figures));
  }
  return [...entries, ...quorumEntries(server)];
}

/** The gauges an ensemble member adds (QuorumZooKeeperServer's, and LeaderZooKeeperServer's on the leader). */
function quorumEntries(server: ZkServer): MonitorEntry[] {
  const quorum = server.quorum;
  if (quorum === null) return [];
  const values: [string, string | number][] = [["peer_state", quorum.peerState()], ["quorum_size", quorum.quorumSize]];
  const leader = quorum.leaderStats();
  if (leader !== null) {
    values.push(
      ["learners", leader.learners],
      ["synced_followers", leader.syncedFollowers],
      ["synced_non_voting_followers", leader.syncedNonVotingFollowers],
      ["synced_observers", leader.syncedObservers],
      ["pending_syncs", leader.pendingSyncs],
      ["leader_uptime", leader.uptimeMs],
      ["last_proposal_size", leader.lastProposalSize],
      ["max_proposal_size", leader.maxProposalSize],
      ["min_proposal_size", leader.minProposalSize],
    );
  }
  return values.map(([key, value]) => [key, String(value)]);
}

/** ServerMetrics counters an ensemble member feeds: learners it synced by DIFF (TRUNC counts as one) and by SNAP. */
function quorumCounterFigures(c: QuorumCounters | undefined): [string, number][] {
  return [["diff_count", c === undefined ? 0 : c.diffSyncs + c.truncSyncs], ["snap_count", c?.snapSyncs ?? 0]];
}

/** `mntr`'s text: `zk_<key>\t<value>` lines. */
export function monitorText(server: ZkServer): string {
  return monitorEntries(server).map(([key, value]) => `zk_${key}\t${value}\n`).join("");
}

function valueFigures(server: ZkServer): Map<string, string> {
  const m = server.metrics;
  const tree = server.tree;
  let ephemerals = 0;
  for (const paths of tree.ephemerals.values()) ephemerals += paths.size;
  const figures = new Map<string, string | number>([
    ["version", PADDOCK_VERSION],
    ["server_state", serverState(server)],
    ["ephemerals_count", ephemerals],
    ["num_alive_connections", server.connections.size],
    ["avg_latency", javaDouble(averageOf(m.latency.totalMs, m.latency.count))],
    ["outstanding_requests", m.outstandingWrites],
    ["znode_count", nodeCount(server)],
    ["global_sessions", server.sessions.size],
    ["last_client_response_size", m.lastResponseBytes],
    ["packets_sent", m.packetsSent],
    ["packets_received", m.packetsReceived],
    ["max_client_response_size", m.maxResponseBytes],
    ["watch_count", tree.dataWatches.size + tree.childWatches.size],
    ["auth_failed_count", m.authFailed],
    ["min_latency", Math.round(m.latency.minMs)],
    ["approximate_data_size", tree.approximateDataSize],
    ["uptime", Math.round(server.clock.monoMs() - server.startedAtMs)],
    ["max_latency", Math.round(m.latency.maxMs)],
    ["min_client_response_size", m.minResponseBytes],
    ["connection_rejected", m.connectionsRejected],
    ["bytes_received_count", m.bytesReceived],
    ["connection_request_count", m.connectionRequests],
    ["digest_mismatches_count", server.db.digestMismatches],
    ["connection_drop_probability", "0.0"],
    ["snapshot_error_count", server.paddockMetrics.snapshotErrors],
    ["snapshot_rate_limited_count", server.paddockMetrics.snapshotRateLimited],
    ["restore_error_count", server.paddockMetrics.restoreErrors],
    ["restore_rate_limited_count", server.paddockMetrics.restoreRateLimited],
    ...NEVER_HAPPENS.map((key): [string, number] => [key, 0]),
  ]);
  // LearnerHandler's counters: learners this server synced, exactly none for a standalone server.
  const counters = server.quorum?.counters();
  for (const [key, value] of quorumCounterFigures(counters)) figures.set(key, value);
  // ZooKeeper registers the descriptor gauges only where the OS reports them.
  const descriptors = server.host.fileDescriptors();
  if (descriptors !== null) {
    figures.set("max_file_descriptor_count", descriptors.max);
    figures.set("open_file_descriptor_count", descriptors.open);
  }
  return new Map([...figures].map(([k, v]) => [k, String(v)]));
}

/** ZooKeeper 3.9's RESTORE_TIME: one sample (ms) per admin restore. */
function restoreFigures(server: ZkServer): SummaryFigures {
  const t = server.paddockMetrics.restoreTime;
  return { count: t.count, sum: t.sumMs, min: t.minMs, max: t.maxMs };
}

/**
 * What ZooKeeper 3.9.3's `mntr` reports that a standalone Paddock leaves out: figures of stages
 * Paddock has but does not measure yet (queue sizes and times of ZooKeeper's request processors,
 * watch-event counts, quorum traffic counters). Tests that compare key sets with ZooKeeper's
 * leave these out, and a test holds a running server's missing keys to exactly this list.
 */
export const MNTR_VALUES_NOT_KEPT: readonly string[] = [
  "watch_bytes", "insecure_admin_count", "sessionless_connections_expired", "requests_not_forwarded_to_commit_processor",
  "prep_processor_request_queued", "response_bytes", "connection_revalidate_count", "unrecoverable_error_count",
  "unsuccessful_handshake", "commit_count", "outstanding_changes_queued", "request_commit_queued", "ensemble_auth_skip",
  "skip_learner_request_to_next_processor_count", "proposal_count", "outstanding_changes_removed",
  "cnxn_closed_without_zk_server_running", "looking_count", "learner_proposal_received_count",
  "learner_commit_received_count", "stale_sessions_expired", "sync_processor_request_queued", "revalidate_count",
];

/** Summaries (avg_/min_/max_/cnt_/sum_, and p50_... for some) a standalone Paddock leaves out. */
export const MNTR_SUMMARIES_NOT_KEPT: readonly string[] = [
  "socket_closing_time", "proposal_process_time", "leader_unavailable_time", "node_created_watch_count",
  "session_queues_drained", "write_commit_proc_req_queued", "connection_token_deficit", "read_commit_proc_req_queued",
  "node_deleted_watch_count", "sync_processor_queue_size", "follower_sync_time", "prep_processor_queue_size",
  "inflight_snap_count", "reads_issued_from_session_queue", "learner_request_processor_queue_size", "unavailable_time",
  "reads_after_write_in_session_queue", "requests_in_session_queue", "write_commit_proc_issued", "prep_process_time",
  "pending_session_queue_size", "time_waiting_empty_pool_in_commit_processor_read_ms", "commit_process_time",
  "inflight_diff_count", "netty_queued_buffer_capacity", "election_time", "commit_commit_proc_req_queued",
  "node_children_watch_count", "write_batch_time_in_commit_processor", "read_commit_proc_issued",
  "concurrent_request_processing_in_commit_processor", "observer_sync_time", "node_changed_watch_count",
  "sync_process_time", "prep_processor_queue_time_ms", "jvm_pause_time_ms", "close_session_prep_time",
  "read_commitproc_time_ms", "local_write_committed_time_ms", "request_throttle_queue_time_ms", "quorum_ack_latency",
  "om_commit_process_time_ms", "read_final_proc_time_ms", "commit_propagation_latency", "dead_watchers_cleaner_latency",
  "write_final_proc_time_ms", "proposal_ack_creation_latency", "proposal_latency", "om_proposal_process_time_ms",
  "sync_processor_queue_and_flush_time_ms", "propagation_latency", "server_write_committed_time_ms",
  "sync_processor_queue_time_ms", "sync_processor_queue_flush_time_ms", "write_commitproc_time_ms",
];

const SUMMARY_PREFIX = /^(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$/;

/** True for an `mntr` key (as ZooKeeper prints it, after `zk_`) that a standalone Paddock leaves out. */
export function mntrKeyNotKept(key: string): boolean {
  if (MNTR_VALUES_NOT_KEPT.includes(key)) return true;
  const summary = SUMMARY_PREFIX.exec(key)?.[2];
  return summary !== undefined && MNTR_SUMMARIES_NOT_KEPT.includes(summary);
}

/** The keys of ZooKeeper 3.9.3's `mntr` this server does not print (compare with the lists above). */
export function mntrKeysMissing(server: ZkServer): string[] {
  const printed = new Set(monitorEntries(server).map(([key]) => key));
  const all = [
    ...MNTR_VALUE_KEYS,
    ...MNTR_SUMMARY_KEYS.flatMap((k) => ["avg", "min", "max", "cnt", "sum"].map((p) => `${p}_${k}`)),
    ...MNTR_PERCENTILE_SUMMARY_KEYS.flatMap((k) => ["avg", "min", "max", "cnt", "sum", ...PERCENTILE_PARTS].map((p) => `${p}_${k}`)),
  ];
  return all.filter((key) => !printed.has(key));
}

function fromStats(stats: LatencyStats): SummaryFigures {
  return {
    count: stats.count, sum: stats.totalMs, min: stats.minMs, max: stats.maxMs,
    ...(stats instanceof PercentileStats ? { stats } : {}),
  };
}

function summaryFigures(server: ZkServer): Map<string, SummaryFigures> {
  const m = server.metrics;
  const summaries = new Map<string, SummaryFigures>([
    ["readlatency", fromStats(m.readLatency)],
    ["updatelatency", fromStats(m.updateLatency)],
    ["snapshottime", fromStats(m.snapshotTime)],
    ["startup_snap_load_time", fromStats(m.startupSnapLoad)],
    ["startup_txns_load_time", fromStats(m.startupTxnsLoad)],
    ["startup_txns_loaded", fromStats(m.startupTxnsLoaded)],
    ["dbinittime", fromStats(m.dbInit)],
    ["restore_time", restoreFigures(server)],
  ]);
  const sync = server.syncStats();
  if (sync !== null) addSyncFigures(summaries, sync);
  const counters = server.quorum?.counters();
  if (counters !== undefined) {
    summaries.set("election_time", { count: counters.elections, sum: counters.electionTimeSumMs, min: counters.electionTimeMinMs, max: counters.electionTimeMaxMs });
  }
  return summaries;
}

/**
 * Group commit fills two summaries, as ZooKeeper's SyncRequestProcessor does: one `fsynctime`
 * sample (whole ms) and one `sync_processor_batch_size` sample (txns flushed) per fsync.
 */
function addSyncFigures(summaries: Map<string, SummaryFigures>, sync: TxnStoreSyncStats): void {
  if (sync.fsyncMsTotal !== undefined) {
    summaries.set("fsynctime", { count: sync.fsyncs, sum: sync.fsyncMsTotal, min: sync.fsyncMsMin ?? 0, max: sync.fsyncMsMax ?? 0 });
  }
  if (sync.minBatchSize !== undefined) {
    summaries.set("sync_processor_batch_size", { count: sync.fsyncs, sum: sync.txnsSynced, min: sync.minBatchSize, max: sync.maxBatchSize });
  }
}

function summaryEntries(key: string, f: SummaryFigures): MonitorEntry[] {
  const entries: MonitorEntry[] = [
    [`avg_${key}`, javaDouble(averageOf(f.sum, f.count))],
    [`min_${key}`, String(Math.round(f.min))],
    [`max_${key}`, String(Math.round(f.max))],
    [`cnt_${key}`, String(f.count)],
    [`sum_${key}`, String(Math.round(f.sum))],
  ];
  if (f.stats === undefined) return entries;
  const quantiles: Record<(typeof PERCENTILE_PARTS)[number], number> = { p50: 0.5, p95: 0.95, p99: 0.99, p999: 0.999 };
  for (const part of PERCENTILE_PARTS) entries.push([`${part}_${key}`, String(f.stats.percentile(quantiles[part]))]);
  return entries;
}
