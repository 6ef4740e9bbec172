import { BATCH_SIZE_BUCKETS, Histogram, LATENCY_BUCKETS_MS } from "../metrics/histogram.ts";
import { opName } from "../proto/op_code.ts";

/** How many op names a server keeps latency histograms for (ZooKeeper has about 30 ops). */
const OPS_MAX = 64;

/**
 * Paddock's own measurements beside ZooKeeper's `mntr` figures: per-op answer latency,
 * snapshot durations, group-commit batch sizes, and the counters the admin snapshot/restore
 * commands feed (which ZooKeeper 3.9 reports in `mntr` too).
 */
export class PaddockMetrics {
  readonly opLatencyMs = new Map<string, Histogram>();
  readonly snapshotDurationMs = new Histogram(LATENCY_BUCKETS_MS);
  readonly commitBatchSize = new Histogram(BATCH_SIZE_BUCKETS);
  /** ZooKeeper's RESTORE_TIME summary: count and sum, min and max in ms. */
  readonly restoreTime = { count: 0, sumMs: 0, minMs: 0, maxMs: 0 };
  snapshotErrors = 0;
  snapshotRateLimited = 0;
  restoreErrors = 0;
  restoreRateLimited = 0;

  /** One answered request of op `type`, `ms` after it arrived. */
  recordOp(type: number, ms: number): void {
    const name = opName(type);
    let histogram = this.opLatencyMs.get(name);
    if (histogram === undefined) {
      if (this.opLatencyMs.size >= OPS_MAX) return;
      histogram = new Histogram(LATENCY_BUCKETS_MS);
      this.opLatencyMs.set(name, histogram);
    }
    histogram.record(ms);
  }

  recordRestore(ms: number): void {
    const t = this.restoreTime;
    t.minMs = t.count === 0 ? ms : Math.min(t.minMs, ms);
    t.maxMs = Math.max(t.maxMs, ms);
    t.count++;
    t.sumMs += ms;
  }
}
