import { PADDOCK_VERSION } from "../version.ts";
import type { TxnStoreSyncStats } from "../storage/txn_log.ts";
import type { LatencyStats } from "./latency_stats.ts";
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
  return server.tree.nodes.has("") ? server.tree.nodeCount : server.tree.nodeCount + 1;
}

/**
 * What `mntr` reports, in ZooKeeper 3.9.3's key order: only figures Paddock measures. A key
 * ZooKeeper prints for machinery Paddock does not have (TLS, quorum, throttling, caches) is left
 * out rather than printed as a made-up 0; a summary appears once it has a sample.
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
    if (figures !== undefined && figures.count > 0) entries.push(...summaryEntries(key, figures));
  }
  return entries;
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
    ["server_state", "standalone"],
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
    ["snap_count", m.snapshotsTaken],
  ]);
  // ZooKeeper registers the descriptor gauges only where the OS reports them.
  const descriptors = server.host.fileDescriptors();
  if (descriptors !== null) {
    figures.set("max_file_descriptor_count", descriptors.max);
    figures.set("open_file_descriptor_count", descriptors.open);
  }
  return new Map([...figures].map(([k, v]) => [k, String(v)]));
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
  ]);
  const sync = server.syncStats();
  if (sync !== null) addSyncFigures(summaries, sync);
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
