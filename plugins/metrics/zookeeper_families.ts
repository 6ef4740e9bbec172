import type { HistogramView } from "../../core/server/server_view.ts";
import type { MetricFamily, Sample } from "./exposition.ts";

/**
 * The metrics ZooKeeper registers as gauges (ZooKeeperServer.registerMetrics and the quorum
 * servers'); every other single-value `mntr` key is a counter in ServerMetrics.
 */
const GAUGES: ReadonlySet<string> = new Set([
  "avg_latency", "max_latency", "min_latency", "packets_received", "packets_sent", "num_alive_connections",
  "outstanding_requests", "uptime", "znode_count", "watch_count", "ephemerals_count", "approximate_data_size",
  "global_sessions", "local_sessions", "open_file_descriptor_count", "max_file_descriptor_count",
  "connection_drop_probability", "last_client_response_size", "max_client_response_size", "min_client_response_size",
  "outstanding_tls_handshake", "auth_failed_count", "non_mtls_remote_conn_count", "non_mtls_local_conn_count",
  "quorum_size", "synced_observers", "learners", "synced_followers", "synced_non_voting_followers", "pending_syncs",
  "leader_uptime", "last_proposal_size", "max_proposal_size", "min_proposal_size",
]);

/** `mntr` keys that describe the server rather than measure it (ZooKeeper's dumpMonitorValues). */
const NOT_METRICS: ReadonlySet<string> = new Set(["version", "server_state"]);

const SUMMARY_PART = /^(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$/;

/** The summaries whose quantiles Paddock derives from its per-op latency histograms. */
const LATENCY_SUMMARIES: Record<string, (op: string) => boolean> = {
  readlatency: (op) => READ_OPS.has(op),
  updatelatency: (op) => !READ_OPS.has(op) && op !== "ping" && op !== "createSession" && op !== "closeSession",
};
const READ_OPS = new Set([
  "getData", "exists", "getChildren", "getChildren2", "getACL", "getAllChildrenNumber", "getEphemerals", "sync",
  "checkWatches", "removeWatches", "addWatch", "setWatches", "setWatches2", "whoAmI", "multiRead",
]);

/**
 * ZooKeeper's metrics as its PrometheusMetricsProvider names them: the `mntr` key for gauges and
 * counters; for a summary `X` (mntr's avg_X, cnt_X, ...) the family X with `X{quantile=...}`,
 * `X_count` and `X_sum`, quantile 0.5 for a basic summary and 0.5, 0.9, 0.99 for an advanced one
 * (those mntr prints p50..p999 for). Quantiles come from measured samples only: p50 and p99 as
 * `mntr` reports them, read/update latency from the per-op histograms; NaN (Prometheus's "no
 * value", as its Java client reports an empty window) where Paddock has no samples.
 */
export function zookeeperFamilies(monitor: ReadonlyMap<string, number | string>, histograms: readonly HistogramView[]): MetricFamily[] {
  const families: MetricFamily[] = [];
  const summaries = new Map<string, Map<string, number>>();
  for (const [key, value] of monitor) {
    if (NOT_METRICS.has(key) || typeof value !== "number") continue;
    const part = SUMMARY_PART.exec(key);
    if (part !== null && !GAUGES.has(key)) {
      let parts = summaries.get(part[2]!);
      if (parts === undefined) summaries.set(part[2]!, (parts = new Map()));
      parts.set(part[1]!, value);
      continue;
    }
    const type = GAUGES.has(key) ? "gauge" : "counter";
    families.push({ name: key, help: key, type, samples: [{ name: key, value }] });
  }
  for (const [name, parts] of summaries) families.push(summaryFamily(name, parts, histograms));
  return families;
}

function summaryFamily(name: string, parts: Map<string, number>, histograms: readonly HistogramView[]): MetricFamily {
  const advanced = parts.has("p50");
  const fromHistograms = LATENCY_SUMMARIES[name];
  const quantile = (q: number): number => {
    if (fromHistograms !== undefined) return histogramQuantile(histograms.filter((h) => fromHistograms(h.labels.op ?? "")), q);
    if ((parts.get("cnt") ?? 0) === 0) return Number.NaN;
    if (q === 0.5 && advanced) return parts.get("p50") ?? Number.NaN;
    if (q === 0.99) return parts.get("p99") ?? Number.NaN;
    return Number.NaN;
  };
  const samples: Sample[] = (advanced ? [0.5, 0.9, 0.99] : [0.5]).map((q) => ({ name, labels: { quantile: String(q) }, value: quantile(q) }));
  samples.push({ name: `${name}_count`, value: parts.get("cnt") ?? 0 }, { name: `${name}_sum`, value: parts.get("sum") ?? 0 });
  return { name, help: name, type: "summary", samples };
}

/**
 * The q-quantile of the merged histograms, interpolated linearly inside the bucket it falls in
 * (as PromQL's histogram_quantile does); NaN without observations.
 */
export function histogramQuantile(histograms: readonly HistogramView[], q: number): number {
  if (histograms.length === 0) return Number.NaN;
  const bounds = histograms[0]!.bounds;
  const cumulative = new Array<number>(bounds.length + 1).fill(0);
  for (const h of histograms) h.cumulative.forEach((c, i) => (cumulative[i]! += c));
  const total = cumulative[bounds.length]!;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let i = 0;
  while (i < bounds.length && cumulative[i]! < rank) i++;
  if (i === bounds.length) return bounds[bounds.length - 1]!;
  const lower = i === 0 ? 0 : bounds[i - 1]!;
  const below = i === 0 ? 0 : cumulative[i - 1]!;
  const inBucket = cumulative[i]! - below;
  return inBucket === 0 ? lower : lower + ((bounds[i]! - lower) * (rank - below)) / inBucket;
}

/** Paddock's own histograms as Prometheus histogram families. */
export function histogramFamilies(histograms: readonly HistogramView[]): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  for (const h of histograms) {
    let family = byName.get(h.name);
    if (family === undefined) byName.set(h.name, (family = { name: h.name, help: h.help, type: "histogram", samples: [] }));
    h.bounds.forEach((bound, i) => family!.samples.push({ name: `${h.name}_bucket`, labels: { ...h.labels, le: String(bound) }, value: h.cumulative[i]! }));
    family.samples.push(
      { name: `${h.name}_bucket`, labels: { ...h.labels, le: "+Inf" }, value: h.count },
      { name: `${h.name}_count`, labels: h.labels, value: h.count },
      { name: `${h.name}_sum`, labels: h.labels, value: h.sum },
    );
  }
  return [...byName.values()];
}
